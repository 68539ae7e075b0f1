// Legacy parameters (Expected, QueryFilter/ScanFilter, KeyConditions, AttributeUpdates,
// AttributesToGet), the expression/legacy mixing rules and the placeholder-map decoders.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "expr/expr.h"
#include "expr/test_util.h"

namespace runnel::expr {
namespace {

using namespace test;

rapidjson::Document json(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

// Evaluates an Expected map (optionally with ConditionalOperator) against `item`.
std::string expected_eval(const char* expected, const AttributeMap& item, bool& result,
                          const char* op = nullptr) {
  auto e = json(expected);
  rapidjson::Document o;
  if (op) o = json(op);
  auto c = condition_from_expected(e, op ? &o : nullptr);
  if (!c.ok()) return c.error().message;
  auto r = evaluate(*c, item);
  result = r.ok() && *r;
  return "";
}

const AttributeMap kItem = Item({{"a", S("x")}, {"n", N("5")}, {"ss", SS({"p", "q"})}, {"l", L({S("e")})}});

bool expect_true(const char* expected, const char* op = nullptr) {
  bool r = false;
  std::string err = expected_eval(expected, kItem, r, op);
  EXPECT_EQ(err, "") << expected;
  return r;
}

TEST(LegacyExpected, ValueAndExists) {
  EXPECT_TRUE(expect_true(R"({"a": {"Value": {"S": "x"}}})"));
  EXPECT_FALSE(expect_true(R"({"a": {"Value": {"S": "y"}}})"));
  EXPECT_TRUE(expect_true(R"({"a": {"Value": {"S": "x"}, "Exists": true}})"));
  EXPECT_TRUE(expect_true(R"({"zz": {"Exists": false}})"));
  EXPECT_FALSE(expect_true(R"({"a": {"Exists": false}})"));
  EXPECT_TRUE(expect_true(R"({})"));
}

TEST(LegacyExpected, ComparisonOperators) {
  EXPECT_TRUE(expect_true(R"({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "4"}]}})"));
  EXPECT_TRUE(expect_true(R"({"n": {"ComparisonOperator": "LE", "Value": {"N": "5"}}})"));
  EXPECT_TRUE(expect_true(R"({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]}})"));
  EXPECT_TRUE(expect_true(R"({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}})"));
  EXPECT_TRUE(expect_true(R"({"a": {"ComparisonOperator": "NOT_NULL"}})"));
  EXPECT_TRUE(expect_true(R"({"zz": {"ComparisonOperator": "NULL"}})"));
  EXPECT_TRUE(expect_true(R"({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "p"}]}})"));
  EXPECT_TRUE(expect_true(R"({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}})"));
  EXPECT_TRUE(expect_true(R"({"l": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "e"}]}})"));
  // Unlike NOT contains(...), NOT_CONTAINS is false for a missing attribute.
  EXPECT_FALSE(expect_true(R"({"zz": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}})"));
  EXPECT_TRUE(expect_true(R"({"zz": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "z"}]}})"));
  EXPECT_TRUE(expect_true(R"({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]}})"));
}

TEST(LegacyExpected, ConditionalOperator) {
  const char* two = R"({"a": {"Value": {"S": "x"}}, "n": {"Value": {"N": "6"}}})";
  EXPECT_FALSE(expect_true(two));
  EXPECT_FALSE(expect_true(two, R"("AND")"));
  EXPECT_TRUE(expect_true(two, R"("OR")"));
  bool r;
  EXPECT_EQ(expected_eval(two, kItem, r, R"("XOR")"),
            "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]");
}

TEST(LegacyExpected, ValidationMessages) {
  bool r;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"a": {"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}})",
       "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a"},
      {R"({"a": {"ComparisonOperator": "EQ", "Exists": true, "Value": {"S": "x"}}})",
       "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a"},
      {R"({"a": {"ComparisonOperator": "EQ"}})",
       "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"},
      {R"({"a": {"AttributeValueList": [{"S": "x"}]}})",
       "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
      {R"({"a": {}})", "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"},
      {R"({"a": {"Exists": true}})", "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"},
      {R"({"a": {"Exists": false, "Value": {"S": "x"}}})",
       "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"},
      {R"({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}, {"S": "y"}]}})",
       "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"},
      {R"({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "x"}, {"N": "1"}]}})",
       "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"},
      {R"({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}})",
       "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"},
      {R"({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "1"}]}})",
       "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
      {R"({"a": {"ComparisonOperator": "LIKE", "AttributeValueList": [{"S": "x"}]}})",
       "1 validation error detected: Value 'LIKE' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"},
  };
  for (const auto& [text, msg] : cases) {
    EXPECT_EQ(expected_eval(text, kItem, r), msg) << text;
  }
}

TEST(LegacyFilter, ScanFilter) {
  auto f = json(R"({"n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "5"}]},
                    "a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}})");
  auto c = condition_from_filter(f, nullptr);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(*evaluate(*c, kItem));
  EXPECT_FALSE(*evaluate(*c, Item({{"n", N("5")}})));
  auto o = json(R"("OR")");
  auto c2 = condition_from_filter(f, &o);
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE(*evaluate(*c2, Item({{"n", N("5")}})));
  auto bad = json(R"({"n": {"ComparisonOperator": "GE", "AttributeValueList": []}})");
  EXPECT_EQ(error_of(condition_from_filter(bad, nullptr)),
            "One or more parameter values were invalid: Invalid number of argument(s) for the GE ComparisonOperator");
}

TEST(LegacyKeyConditions, Conversions) {
  const std::string hash = "pk", range = "sk";
  auto k = json(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "h"}]},
                    "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}})");
  auto r = key_condition_from_legacy(k, hash, &range);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->hash_value, S("h"));
  EXPECT_EQ(r->range_op, KeyCondition::RangeOp::Between);
  EXPECT_EQ(r->range_hi, N("2"));

  auto only_hash = json(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "h"}]}})");
  EXPECT_TRUE(key_condition_from_legacy(only_hash, hash, nullptr).ok());

  auto cases = {
      std::make_pair(R"({})", "Conditions can be of length 1 or 2 only"),
      std::make_pair(R"({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "h"}]}})",
                     "Query key condition not supported"),
      std::make_pair(R"({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "h"}]}})",
                     "Query condition missed key schema element: pk"),
      std::make_pair(R"({"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "h"}]}})",
                     "Attempted conditional constraint is not an indexable operation"),
  };
  for (const auto& [text, msg] : cases) {
    auto j = json(text);
    EXPECT_EQ(error_of(key_condition_from_legacy(j, hash, &range)), msg) << text;
  }
  auto two = json(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "h"}]},
                      "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "h"}]}})");
  EXPECT_EQ(error_of(key_condition_from_legacy(two, hash, nullptr)), "Query key condition not supported");
}

TEST(LegacyAttributeUpdates, Actions) {
  auto u = json(R"({"put": {"Value": {"S": "v"}}, "p2": {"Action": "PUT", "Value": {"N": "1"}},
                    "gone": {"Action": "DELETE"}, "cnt": {"Action": "ADD", "Value": {"N": "2"}},
                    "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
                    "lst": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}}})");
  auto up = update_from_attribute_updates(u);
  ASSERT_TRUE(up.ok()) << up.error().message;
  AttributeMap item = Item({{"gone", S("x")}, {"cnt", N("1")}, {"tags", SS({"a", "b"})}, {"lst", L({S("y")})}});
  ASSERT_EQ(error_of(apply_update(*up, item)), "");
  EXPECT_EQ(item, Item({{"put", S("v")}, {"p2", N("1")}, {"cnt", N("3")}, {"tags", SS({"b"})},
                        {"lst", L({S("y"), S("z")})}}));
  AttributeMap mismatch = Item({{"cnt", S("x")}});
  EXPECT_EQ(error_of(apply_update(*up, mismatch)), "Type mismatch for attribute to update");
}

TEST(LegacyAttributeUpdates, ValidationMessages) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"a": {"Action": "PUT"}})",
       "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
      {R"({"a": {"Action": "DELETE", "Value": {"S": "x"}}})",
       "One or more parameter values were invalid: DELETE action with value is not supported for the type S"},
      {R"({"a": {"Action": "ADD", "Value": {"S": "x"}}})",
       "One or more parameter values were invalid: ADD action is not supported for the type S"},
      {R"({"a": {"Action": "MERGE", "Value": {"S": "x"}}})",
       "1 validation error detected: Value 'MERGE' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"},
  };
  for (const auto& [text, msg] : cases) {
    auto j = json(text);
    EXPECT_EQ(error_of(update_from_attribute_updates(j)), msg) << text;
  }
}

TEST(LegacyAttributesToGet, Projection) {
  auto a = json(R"(["a", "n"])");
  auto p = projection_from_attributes_to_get(a);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(project(*p, kItem), Item({{"a", S("x")}, {"n", N("5")}}));
  auto dup = json(R"(["a", "a"])");
  EXPECT_EQ(error_of(projection_from_attributes_to_get(dup)),
            "One or more parameter values were invalid: Duplicate value in attribute name: a");
}

TEST(ExpressionMix, Rules) {
  const std::vector<std::string_view> upd_expr = {"UpdateExpression", "ConditionExpression"};
  const std::vector<std::string_view> upd_legacy = {"AttributeUpdates", "Expected"};
  auto mixed = json(R"({"UpdateExpression": "SET a = :v", "AttributeUpdates": {}})");
  EXPECT_EQ(error_of(check_expression_mix(mixed, upd_expr, upd_legacy)),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}");
  auto names_only = json(R"({"ExpressionAttributeNames": {"#a": "a"}})");
  EXPECT_EQ(error_of(check_expression_mix(names_only, upd_expr, upd_legacy)),
            "ExpressionAttributeNames can only be specified when using expressions");
  auto values_only = json(R"({"ExpressionAttributeValues": {":a": {"S": "a"}}})");
  EXPECT_EQ(error_of(check_expression_mix(values_only, upd_expr, upd_legacy)),
            "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null");
  const std::vector<std::string_view> get_expr = {"ProjectionExpression"};
  auto proj_values = json(R"({"ProjectionExpression": "a", "ExpressionAttributeValues": {":a": {"S": "a"}}})");
  EXPECT_EQ(error_of(check_expression_mix(proj_values, get_expr, {"AttributesToGet"})), "");
  // KeyConditions may accompany a FilterExpression while there is no KeyConditionExpression.
  const std::vector<std::string_view> q_expr = {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"};
  const std::vector<std::string_view> q_legacy = {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"};
  auto q = json(R"({"KeyConditions": {}, "FilterExpression": "a = :v"})");
  EXPECT_EQ(error_of(check_expression_mix(q, q_expr, q_legacy)), "");
  auto q2 = json(R"({"KeyConditions": {}, "KeyConditionExpression": "a = :v", "QueryFilter": {}})");
  EXPECT_EQ(error_of(check_expression_mix(q2, q_expr, q_legacy)),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter, KeyConditions} Expression parameters: {KeyConditionExpression}");
  auto nulls = json(R"({"UpdateExpression": null, "AttributeUpdates": {}})");
  EXPECT_EQ(error_of(check_expression_mix(nulls, upd_expr, upd_legacy)), "");
}

TEST(PlaceholderMaps, Decoders) {
  auto n = json(R"({"#a": "attr", "#b": "other"})");
  auto names = decode_expression_attribute_names(n);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->at("#a"), "attr");
  auto bad_names = json(R"({"#a": 1})");
  EXPECT_FALSE(decode_expression_attribute_names(bad_names).ok());
  auto v = json(R"({":v": {"S": "x"}, ":n": {"N": "1"}})");
  auto values = decode_expression_attribute_values(v);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->at(":v"), S("x"));
  auto bad_values = json(R"({":v": {"N": "abc"}})");
  auto err = decode_expression_attribute_values(bad_values);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().message.rfind("ExpressionAttributeValues contains invalid value: ", 0), 0u) << err.error().message;
  EXPECT_NE(err.error().message.find(" for key :v"), std::string::npos);
}

}  // namespace
}  // namespace runnel::expr
