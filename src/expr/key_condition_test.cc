#include <gtest/gtest.h>

#include "expr/expr.h"
#include "expr/test_util.h"

namespace runnel::expr {
namespace {

using namespace test;

const AttributeMap kV = Item({{":p", S("q")}, {":a", N("1")}, {":b", N("5")}, {":s", S("pre")},
                              {":n", N("1")}, {":t", Bool(true)}, {":f", Bool(false)}});
const std::string kHash = "pk";
const std::string kRange = "sk";

Result<KeyCondition> kc(std::string_view text, const std::string* range = &kRange,
                        std::map<std::string, std::string> names = {}) {
  Ctx ctx(std::move(names), kV);
  return parse_key_condition(text, ctx.subs, kHash, range);
}

TEST(KeyCondition, HashOnly) {
  auto r = kc("pk = :p", nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->hash_value, S("q"));
  EXPECT_EQ(r->range_op, KeyCondition::RangeOp::None);
  auto r2 = kc("pk = :p");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->range_op, KeyCondition::RangeOp::None);
}

TEST(KeyCondition, EveryRangeOperator) {
  const std::pair<const char*, KeyCondition::RangeOp> cases[] = {
      {"pk = :p AND sk = :a", KeyCondition::RangeOp::Eq},
      {"pk = :p AND sk < :a", KeyCondition::RangeOp::Lt},
      {"pk = :p AND sk <= :a", KeyCondition::RangeOp::Le},
      {"pk = :p AND sk > :a", KeyCondition::RangeOp::Gt},
      {"pk = :p AND sk >= :a", KeyCondition::RangeOp::Ge},
      {"sk > :a AND pk = :p", KeyCondition::RangeOp::Gt},
      {"pk = :p AND :a < sk", KeyCondition::RangeOp::Gt},   // written value first: mirrored
      {"pk = :p AND :a >= sk", KeyCondition::RangeOp::Le},
      {":p = pk AND (sk <= :a)", KeyCondition::RangeOp::Le},
  };
  for (const auto& [text, op] : cases) {
    auto r = kc(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
    EXPECT_EQ(r->range_op, op) << text;
    EXPECT_EQ(r->range_lo, N("1")) << text;
    EXPECT_EQ(r->hash_value, S("q")) << text;
  }
}

TEST(KeyCondition, BetweenAndBeginsWith) {
  auto r = kc("pk = :p AND sk BETWEEN :a AND :b");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->range_op, KeyCondition::RangeOp::Between);
  EXPECT_EQ(r->range_lo, N("1"));
  EXPECT_EQ(r->range_hi, N("5"));
  auto b = kc("pk = :p AND begins_with(#k, :s)", &kRange, {{"#k", "sk"}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->range_op, KeyCondition::RangeOp::BeginsWith);
  EXPECT_EQ(b->range_lo, S("pre"));
}

TEST(KeyCondition, OperatorErrors) {
  EXPECT_EQ(error_of(kc("pk = :p OR sk = :a")), "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(error_of(kc("NOT pk = :p")), "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: NOT");
  EXPECT_EQ(error_of(kc("pk IN (:p)")), "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: IN");
  EXPECT_EQ(error_of(kc("pk <> :p")), "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>");
  EXPECT_EQ(error_of(kc("pk = :p AND attribute_exists(sk)")),
            "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists");
  EXPECT_EQ(error_of(kc("pk = :p AND contains(sk, :s)")),
            "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: contains");
  EXPECT_EQ(error_of(kc("pk = :p AND size(sk) = :a")),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations");
}

TEST(KeyCondition, ShapeErrors) {
  EXPECT_EQ(error_of(kc("pk = :p AND sk > :a AND sk < :b")),
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(error_of(kc("pk = sk")),
            "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
  EXPECT_EQ(error_of(kc(":p = :s")),
            "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: No key attribute specified");
  EXPECT_EQ(error_of(kc("pk.x = :p")),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes");
  EXPECT_EQ(error_of(kc("pk = :p AND :a BETWEEN sk AND :b")),
            "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand");
  EXPECT_EQ(error_of(kc("pk = :p AND begins_with(:s, sk)")),
            "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand");
}

TEST(KeyCondition, SchemaErrors) {
  EXPECT_EQ(error_of(kc("pk = :p AND sk > :a AND extra = :b")),
            "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)");
  EXPECT_EQ(error_of(kc("pk = :p AND sk > :a", nullptr)),
            "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)");
  EXPECT_EQ(error_of(kc("sk = :a")), "Query condition missed key schema element: pk");
  EXPECT_EQ(error_of(kc("extra = :p", nullptr)), "Query condition missed key schema element: pk");
  EXPECT_EQ(error_of(kc("pk = :p AND extra = :a")), "Query condition missed key schema element: sk");
  EXPECT_EQ(error_of(kc("pk > :p")), "Query key condition not supported");
  EXPECT_EQ(error_of(kc("begins_with(pk, :s)")), "Query key condition not supported");
}

TEST(KeyCondition, OperandTypeErrorsComeFromTheExpressionPass) {
  EXPECT_EQ(error_of(kc("pk = :p AND begins_with(sk, :n)")),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
  EXPECT_EQ(error_of(kc("pk = :p AND sk < :t")),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL");
  EXPECT_EQ(error_of(kc("pk = :p AND :t >= sk")),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL");
  EXPECT_EQ(error_of(kc("pk = :p AND sk BETWEEN :f AND :t")),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL");
  // Equality with a boolean is left to the caller's schema type check.
  EXPECT_TRUE(kc("pk = :p AND sk = :t").ok());
}

TEST(KeyCondition, SyntaxAndPlaceholderErrors) {
  EXPECT_EQ(error_of(kc("pk = :missing")),
            "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing");
  EXPECT_EQ(error_of(kc("pk = :p AND")),
            "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
}

}  // namespace
}  // namespace runnel::expr
