// Unit tests of the SNS filter policy engine: for every operator, tables of messages that match and
// messages that do not, and every validation error. Cases marked [recorded] reproduce what AWS did
// in LocalStack's AWS-validated SNS filter policy tests; the others follow the SNS developer guide
// and event-ruler (sources in filter_policy.cc).
#include "pattern/filter_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace runnel::pattern {
namespace {

constexpr FilterScope kAttributes = FilterScope::kMessageAttributes;
constexpr FilterScope kBody = FilterScope::kMessageBody;

struct AttributeCase {
  const char* policy;
  FilterAttributes attributes;
  bool match;
};

struct BodyCase {
  const char* policy;
  const char* body;
  bool match;
};

std::string describe(const FilterAttributes& attributes) {
  std::string out;
  for (const auto& [name, a] : attributes) out += name + "=" + a.data_type + ":" + a.string_value + " ";
  return out.empty() ? "(no attributes)" : out;
}

void expect_attribute_cases(const std::vector<AttributeCase>& cases) {
  for (const auto& c : cases) {
    auto policy = FilterPolicy::parse(c.policy, kAttributes);
    ASSERT_TRUE(policy.ok()) << c.policy << ": " << policy.error().message;
    EXPECT_EQ(policy->matches(c.attributes), c.match) << c.policy << " with " << describe(c.attributes);
  }
}

void expect_body_cases(const std::vector<BodyCase>& cases) {
  for (const auto& c : cases) {
    auto policy = FilterPolicy::parse(c.policy, kBody);
    ASSERT_TRUE(policy.ok()) << c.policy << ": " << policy.error().message;
    EXPECT_EQ(policy->matches_body(c.body), c.match) << c.policy << " with " << c.body;
  }
}

FilterAttributes string_attr(const char* name, const char* value) { return {{name, {"String", value}}}; }
FilterAttributes number_attr(const char* name, const char* value) { return {{name, {"Number", value}}}; }
FilterAttributes array_attr(const char* name, const char* value) { return {{name, {"String.Array", value}}}; }

TEST(FilterPolicyMatch, ExactStrings) {
  const char* p = R"({"customer_interests": ["rugby", "tennis"]})";
  expect_attribute_cases({
      {p, string_attr("customer_interests", "rugby"), true},
      {p, string_attr("customer_interests", "tennis"), true},
      {p, array_attr("customer_interests", R"(["rugby", "tennis"])"), true},
      {p, array_attr("customer_interests", R"(["soccer", "rugby", "hockey"])"), true},
      {p, string_attr("customer_interests", "baseball"), false},
      {p, array_attr("customer_interests", R"(["baseball"])"), false},
      {p, string_attr("customer_interests", "Rugby"), false},  // case-sensitive
      {p, string_attr("store", "rugby"), false},               // key missing
      {p, {{"customer_interests", {"String.custom", "rugby"}}}, true},
      {R"({"n": ["100"]})", string_attr("n", "100"), true},
      {R"({"n": ["100"]})", number_attr("n", "100"), false},  // a string never equals a number
  });
  expect_body_cases({
      {R"({"customer_interests": ["rugby"]})", R"({"customer_interests": "rugby"})", true},
      {R"({"customer_interests": ["rugby"]})", R"({"customer_interests": ["rugby", "x"]})", true},
      {R"({"customer_interests": ["rugby"]})", R"({"customer_interests": "baseball"})", false},
      {R"({"customer_interests": ["rugby"]})", R"({"customer_interests": {"x": "rugby"}})", false},
  });
}

TEST(FilterPolicyMatch, ExactNumbersCompareNumerically) {
  const char* p = R"({"price": [300]})";
  expect_attribute_cases({
      {p, number_attr("price", "300"), true},
      {p, number_attr("price", "3.0e2"), true},
      {p, number_attr("price", "300.000"), true},
      {p, number_attr("price", "300.0000001"), true},  // compared to six decimals
      {p, number_attr("price", "300.000001"), false},
      {p, number_attr("price", "301"), false},
      {p, string_attr("price", "300"), false},
      {p, array_attr("price", "[5, 300]"), true},
      {p, {{"price", {"Number.float", "300"}}}, true},
      // Beyond event-ruler's comparable range a number matches by its text only.
      {R"({"id": [123456789012]})", number_attr("id", "123456789012"), true},
      {R"({"id": [123456789012]})", number_attr("id", "123456789012.0"), false},
  });
  expect_body_cases({
      {p, R"({"price": 3e2})", true},
      {p, R"({"price": "300"})", false},
      {R"({"price": [301.5]})", R"({"price": 3.015e2})", true},
  });
}

TEST(FilterPolicyMatch, BooleanAndNullLiterals) {
  expect_body_cases({
      {R"({"flag": [true]})", R"({"flag": true})", true},
      {R"({"flag": [true]})", R"({"flag": "true"})", false},
      {R"({"flag": [true]})", R"({"flag": false})", false},
      {R"({"v": [null]})", R"({"v": null})", true},
      {R"({"v": [null]})", R"({"v": "null"})", false},
      {R"({"v": [null]})", R"({"w": null})", false},
  });
  expect_attribute_cases({
      {R"({"v": [false]})", array_attr("v", "[false]"), true},
      {R"({"v": [false]})", string_attr("v", "false"), false},
      // [recorded] null OR anything-but, and a message without attributes: not delivered.
      {R"({"attr1": [null, {"anything-but": "whatever"}]})", {}, false},
  });
}

TEST(FilterPolicyMatch, Prefix) {
  const char* p = R"({"customer_interests": [{"prefix": "bas"}]})";
  expect_attribute_cases({
      {p, string_attr("customer_interests", "baseball"), true},
      {p, string_attr("customer_interests", "basketball"), true},
      {p, array_attr("customer_interests", R"(["rugby", "bass"])"), true},
      {p, string_attr("customer_interests", "rugby"), false},
      {p, string_attr("customer_interests", "ba"), false},
  });
  expect_body_cases({
      {R"({"n": [{"prefix": "12"}]})", R"({"n": "1234"})", true},
      {R"({"n": [{"prefix": "12"}]})", R"({"n": 1234})", false},  // string operators need strings
  });
}

TEST(FilterPolicyMatch, Suffix) {
  const char* p = R"({"customer_interests": [{"suffix": "ball"}]})";
  expect_attribute_cases({
      {p, string_attr("customer_interests", "baseball"), true},
      {p, string_attr("customer_interests", "basketball"), true},
      {p, array_attr("customer_interests", R"(["rugby", "football"])"), true},
      {p, string_attr("customer_interests", "rugby"), false},
      {p, string_attr("customer_interests", "balls"), false},
  });
  expect_body_cases({{p, R"({"customer_interests": "baseball"})", true}, {p, R"({"customer_interests": "rugby"})", false}});
}

TEST(FilterPolicyMatch, EqualsIgnoreCase) {
  const char* p = R"({"customer_interests": [{"equals-ignore-case": "tennis"}]})";
  expect_attribute_cases({
      {p, string_attr("customer_interests", "TENNIS"), true},
      {p, string_attr("customer_interests", "Tennis"), true},
      {p, string_attr("customer_interests", "tenis"), false},
      {p, string_attr("customer_interests", "baseball"), false},
      {R"({"k": [{"equals-ignore-case": "ÉCOLE Ωmega Жук"}]})", string_attr("k", "école ωMEGA жУК"), true},
  });
  expect_body_cases({{p, R"({"customer_interests": "teNnis"})", true}, {p, R"({"customer_interests": "tennis!"})", false}});
}

TEST(FilterPolicyMatch, AnythingButValues) {
  const char* p = R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})";
  expect_attribute_cases({
      {p, string_attr("customer_interests", "baseball"), true},
      {p, string_attr("customer_interests", "football"), true},
      {p, array_attr("customer_interests", R"(["rugby", "baseball"])"), true},  // one element is not excluded
      {p, string_attr("customer_interests", "rugby"), false},
      {p, array_attr("customer_interests", R"(["rugby"])"), false},
      {p, string_attr("store", "x"), false},  // anything-but needs the key
      {R"({"event": [{"anything-but": "order_cancelled"}]})", string_attr("event", "order_placed"), true},
      {R"({"event": [{"anything-but": "order_cancelled"}]})", string_attr("event", "order_cancelled"), false},
  });
  const char* numbers = R"({"price": [{"anything-but": [100, 500]}]})";
  expect_attribute_cases({
      {numbers, number_attr("price", "101"), true},
      {numbers, number_attr("price", "100.1"), true},
      {numbers, array_attr("price", "[100, 50]"), true},
      {numbers, number_attr("price", "100"), false},
      {numbers, number_attr("price", "1e2"), false},
      {numbers, string_attr("price", "100"), true},  // excludes numbers only
      {R"({"price": [{"anything-but": 100}]})", number_attr("price", "99"), true},
      {R"({"price": [{"anything-but": 100}]})", number_attr("price", "100.0"), false},
  });
  expect_body_cases({
      {p, R"({"customer_interests": ["rugby", "baseball"]})", true},
      {p, R"({"customer_interests": ["rugby"]})", false},
      {p, R"({"customer_interests": 5})", true},  // excludes strings only
  });
}

TEST(FilterPolicyMatch, AnythingButPrefixSuffixWildcard) {
  const char* prefix = R"({"event": [{"anything-but": {"prefix": "order-"}}]})";
  expect_attribute_cases({
      {prefix, string_attr("event", "data-entry"), true},
      {prefix, string_attr("event", "order_number"), true},
      {prefix, string_attr("event", "order-cancelled"), false},
      {R"({"event": [{"anything-but": {"prefix": ["a", "b"]}}]})", string_attr("event", "bc"), false},
      {R"({"event": [{"anything-but": {"prefix": ["a", "b"]}}]})", string_attr("event", "cb"), true},
  });
  const char* suffix = R"({"customer_interests": [{"anything-but": {"suffix": "ball"}}]})";
  const char* wildcard = R"({"customer_interests": [{"anything-but": {"wildcard": "*ball"}}]})";
  expect_body_cases({
      {prefix, R"({"event": "order-cancelled"})", false},
      {prefix, R"({"event": "data-entry"})", true},
      {suffix, R"({"customer_interests": ["hockey", "rugby", "soccer"]})", true},
      {suffix, R"({"customer_interests": ["baseball", "basketball"]})", false},
      {suffix, R"({"customer_interests": "rugby"})", true},
      {wildcard, R"({"customer_interests": ["hockey", "rugby", "soccer"]})", true},
      {wildcard, R"({"customer_interests": ["baseball", "basketball"]})", false},
      {wildcard, R"({"customer_interests": "ballet"})", true},
  });
}

TEST(FilterPolicyMatch, NumericRanges) {
  expect_attribute_cases({
      {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", number_attr("price_usd", "301.5"), true},
      {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", number_attr("price_usd", "3.015e2"), true},
      {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", number_attr("price_usd", "301.6"), false},
      {R"({"price_usd": [{"numeric": ["=", 301.5]}]})", string_attr("price_usd", "301.5"), false},
      {R"({"price_usd": [{"numeric": ["<", 0]}]})", number_attr("price_usd", "-1"), true},
      {R"({"price_usd": [{"numeric": ["<", 0]}]})", number_attr("price_usd", "-0.000001"), true},
      {R"({"price_usd": [{"numeric": ["<", 0]}]})", number_attr("price_usd", "0"), false},
      // Below a millionth, values are floored as event-ruler's ComparableNumber floors them.
      {R"({"price_usd": [{"numeric": ["<", 0]}]})", number_attr("price_usd", "-0.0000001"), true},
      {R"({"price_usd": [{"numeric": ["=", 0]}]})", number_attr("price_usd", "0.0000009"), true},
      {R"({"price_usd": [{"numeric": ["<=", 0]}]})", number_attr("price_usd", "0"), true},
      {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})", number_attr("price_usd", "150"), true},
      {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})", number_attr("price_usd", "0.000001"), true},
      {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})", number_attr("price_usd", "0"), false},
      {R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})", number_attr("price_usd", "150.000001"), false},
      {R"({"attr1": [{"numeric": [">", 0, "<=", 100]}]})", number_attr("attr1", "99"), true},    // [recorded]
      {R"({"attr1": [{"numeric": [">", 0, "<=", 100]}]})", number_attr("attr1", "111"), false},  // [recorded]
      {R"({"n": [{"numeric": [">=", 10, "<", 20]}]})", number_attr("n", "10"), true},
      {R"({"n": [{"numeric": [">=", 10, "<", 20]}]})", number_attr("n", "19.999999"), true},
      {R"({"n": [{"numeric": [">=", 10, "<", 20]}]})", number_attr("n", "20"), false},
      {R"({"n": [{"numeric": [">=", -5e9]}]})", number_attr("n", "-5000000000"), true},
      {R"({"n": [{"numeric": [">", 0]}]})", number_attr("n", "6e9"), false},  // beyond +-5e9: not comparable
      {R"({"n": [{"numeric": [">", 0]}]})", string_attr("n", "5"), false},
  });
  expect_body_cases({
      {R"({"n": [{"numeric": ["<=", 5]}]})", R"({"n": [10, 1]})", true},
      {R"({"n": [{"numeric": ["<=", 5]}]})", R"({"n": [10, 6]})", false},
      {R"({"n": [{"numeric": ["<=", 5]}]})", R"({"n": "1"})", false},
  });
}

TEST(FilterPolicyMatch, ExistsTrueAndFalse) {
  const char* present = R"({"store": [{"exists": true}]})";
  const char* absent = R"({"store": [{"exists": false}]})";
  FilterAttributes store_and_def = {{"store", {"Number", "99"}}, {"def", {"Number", "99"}}};
  expect_attribute_cases({
      {present, store_and_def, true},                      // [recorded]
      {present, number_attr("attr1", "111"), false},       // [recorded]
      {present, string_attr("store", "fans"), true},
      {present, {{"store", {"Binary", "fans"}}, {"x", {"String", "y"}}}, false},  // Binary is ignored
      {absent, number_attr("def", "99"), true},            // [recorded]
      {absent, store_and_def, false},                      // [recorded]
      {absent, {}, false},                                 // an empty set of attributes matches nothing
      {absent, {{"store", {"Binary", "fans"}}, {"x", {"String", "y"}}}, true},
      {absent, {{"store", {"Binary", "fans"}}}, false},    // nothing but Binary: no attributes
      {R"({"store": [{"exists": false}, "fans"]})", string_attr("store", "fans"), true},
  });
  expect_body_cases({
      {present, R"({"store": 0})", true},
      {present, R"({"store": null})", false},  // "non-null and non-empty"
      {present, R"({"store": ""})", false},
      {present, R"({"other": 1})", false},
      {absent, R"({"other": 1})", true},
      {absent, R"({})", false},
      // exists works on leaves: an object at the path is not a value there.
      {R"({"detail": {"c-count": [{"exists": false}]}})", R"({"detail": {"c-count": {"c1": 100}}})", true},
      {R"({"detail": {"c-count": [{"exists": false}]}})", R"({"detail": {"c-count": 5}})", false},
  });
  // [recorded] payload filtering with prefix, exact and exists:false at two levels.
  const char* nested = R"({"object": {"key": [{"prefix": "auto-"}, "hardcodedvalue"], "nested_key": [{"exists": false}]},
                           "test": [{"exists": false}]})";
  expect_body_cases({
      {nested, R"({"object": {"key": "auto-test"}})", true},
      {nested, R"({"object": {"key": "hardcodedvalue"}})", true},
      {nested, R"({"object": {"key": "test-auto"}})", false},
      {nested, R"({"object": {"key": "auto-test"}, "test": "just-exists"})", false},
      {nested, R"({"object": {"key": "auto-test", "nested_key": "just-exists"}})", false},
      {nested, R"({"object": {"test": "auto-test"}})", false},
      {nested, R"({"test": "auto-test"})", false},
  });
}

TEST(FilterPolicyMatch, Cidr) {
  const char* p = R"({"source_ip": [{"cidr": "10.0.0.0/24"}]})";
  const char* v6 = R"({"ip": [{"cidr": "2001:db8::/32"}]})";
  expect_attribute_cases({
      {p, string_attr("source_ip", "10.0.0.0"), true},
      {p, string_attr("source_ip", "10.0.0.255"), true},
      {p, string_attr("source_ip", "10.1.1.0"), false},
      {p, string_attr("source_ip", "10.0.0.256"), false},
      {p, string_attr("source_ip", "not an address"), false},
      {v6, string_attr("ip", "2001:db8::1"), true},
      {v6, string_attr("ip", "2001:DB8:ffff:ffff:ffff:ffff:ffff:ffff"), true},
      {v6, string_attr("ip", "2001:db9::1"), false},
      {v6, string_attr("ip", "10.0.0.1"), false},  // IPv4 never falls in an IPv6 range
      // The range starts at the address as written, not at the network address (event-ruler).
      {R"({"ip": [{"cidr": "10.0.0.5/24"}]})", string_attr("ip", "10.0.0.4"), false},
      {R"({"ip": [{"cidr": "10.0.0.5/24"}]})", string_attr("ip", "10.0.0.5"), true},
      {R"({"ip": [{"cidr": "10.0.0.0/8"}]})", string_attr("ip", "::ffff:a00:1"), true},  // IPv4-mapped
      // An exact value that is an address matches that address however it is written.
      {R"({"ip": ["2001:db8::1"]})", string_attr("ip", "2001:0DB8:0:0:0:0:0:1"), true},
      {R"({"ip": ["2001:db8::1"]})", string_attr("ip", "2001:db8::2"), false},
  });
  expect_body_cases({{p, R"({"source_ip": "10.0.0.7"})", true}, {p, R"({"source_ip": "10.0.1.7"})", false}});
}

TEST(FilterPolicyMatch, Wildcard) {
  expect_attribute_cases({
      {R"({"k": [{"wildcard": "*ball"}]})", string_attr("k", "baseball"), true},
      {R"({"k": [{"wildcard": "*ball"}]})", string_attr("k", "ball"), true},
      {R"({"k": [{"wildcard": "*ball"}]})", string_attr("k", "ballet"), false},
      {R"({"k": [{"wildcard": "b*s*ball"}]})", string_attr("k", "basketball"), true},
      {R"({"k": [{"wildcard": "b*s*ball"}]})", string_attr("k", "bball"), false},
      {R"({"k": [{"wildcard": "a\\*b"}]})", string_attr("k", "a*b"), true},  // escaped: a literal '*'
      {R"({"k": [{"wildcard": "a\\*b"}]})", string_attr("k", "axb"), false},
  });
  expect_body_cases({{R"({"customer_interests": [{"wildcard": "*ball"}]})", R"({"customer_interests": ["baseball", "x"]})", true}});
}

TEST(FilterPolicyMatch, OrOperator) {
  const char* p = R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]})";
  expect_attribute_cases({
      {p, {{"source", {"String", "aws.cloudwatch"}}, {"metricName", {"String", "CPUUtilization"}}}, true},
      {p, {{"source", {"String", "aws.cloudwatch"}}, {"namespace", {"String", "AWS/EC2"}}}, true},
      {p, string_attr("source", "aws.cloudwatch"), false},
      {p, string_attr("metricName", "CPUUtilization"), false},
      // Not two objects: "$or" is an ordinary key.
      {R"({"$or": ["a", "b"]})", string_attr("$or", "a"), true},
  });
  // [recorded] parallel OR on a payload: 7 of these 12 messages are delivered.
  const char* parallel = R"({"$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
      "detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}})";
  expect_body_cases({
      {parallel, R"({"metricName": "CPUUtilization", "detail": {"scope": "aws.cloudwatch", "type": "CloudWatch Alarm State Change"}})", false},
      {parallel, R"({"metricName": "CPUUtilization", "detail": {"scope": "Service", "type": "CPUUtilization"}})", false},
      {parallel, R"({"metricName": "CPUUtilization", "detail": {"type": "CloudWatch Alarm State Change"}})", false},
      {parallel, R"({"metricName": "CPUUtilization", "detail": {"scope": "Service"}})", false},
      {parallel, R"({"metricName": "CPUUtilization", "scope": "Service"})", false},
      {parallel, R"({"metricName": "CPUUtilization", "detail": {"scope": "Service", "source": "aws.cloudwatch"}})", true},
      {parallel, R"({"metricName": "ReadLatency", "detail": {"scope": "Service", "source": "aws.cloudwatch"}})", true},
      {parallel, R"({"namespace": "AWS/EC2", "detail": {"scope": "Service", "source": "aws.cloudwatch"}})", true},
      {parallel, R"({"namespace": "AWS/ES", "detail": {"scope": "Service", "source": "aws.cloudwatch"}})", true},
      {parallel, R"({"metricName": "CPUUtilization", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}})", true},
      {parallel, R"({"metricName": "AWS/EC2", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}})", false},
      {parallel, R"({"namespace": "CPUUtilization", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}})", false},
  });
  // "$or" inside "$or" (event-ruler README): source && (metricName || (metricType && (metricId || spaceId))).
  const char* nested = R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]},
      {"metricType": ["MetricType"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]})";
  expect_body_cases({
      {nested, R"({"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 1000})", true},
      {nested, R"({"source": "aws.cloudwatch", "metricType": "MetricType"})", false},
      {nested, R"({"source": "aws.cloudwatch", "metricId": 1234})", false},
  });
}

TEST(FilterPolicyMatch, NestedKeysAndDots) {
  // [recorded] keys are joined with '.', so dotted keys and nesting are interchangeable.
  expect_body_cases({
      {R"({"object.nested": ["string.value"]})", R"({"object": {"nested": "string.value"}})", true},
      {R"({"object.nested": ["string.value"]})", R"({"object.nested": "string.value"})", true},
      {R"({"object.nested": ["string.value"]})", R"({"object": {"nested": "test-auto"}})", false},
      {R"({"object.nested.test": ["string.value"]})", R"({"object": {"nested": {"test": "string.value"}}})", true},
      {R"({"object.nested.test": ["string.value"]})", R"({"object.nested.test": "string.value"})", true},
      {R"({"object.nested.test": ["string.value"]})", R"({"object.nested": {"test": "string.value"}})", true},
      {R"({"object.nested.test": ["string.value"]})", R"({"object": {"nested.test": "string.value"}})", true},
      {R"({"object.nested.test": ["string.value"]})", R"({"object": {"nested": {"test": "string.notvalue"}}})", false},
      {R"({"object": {"nested": ["v"]}})", R"({"object": {"nested": "v"}})", true},
  });
}

TEST(FilterPolicyMatch, ArraysInTheBody) {
  // [recorded] an array matches when any element does.
  const char* queue1 = R"({"headers": {"route-to": ["queue1"]}})";
  expect_body_cases({
      {queue1, R"({"headers": {"route-to": ["queue3"]}})", false},
      {queue1, R"({"headers": {"route-to": ["queue1"]}})", true},
      {queue1, R"({"headers": {"route-to": ["queue2"]}})", false},
      {queue1, R"({"headers": {"route-to": ["queue1", "queue2"]}})", true},
  });
  // [recorded] arrays of objects: fields must come from the same element of an array.
  const char* records = R"({"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}})";
  expect_body_cases({
      {records, R"({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": [[{"key": "auto-insurance-2314.xml"}]]}},
                                {"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "home-insurance-2314.xml"}}}]})", true},
      {records, R"({"Records": [{"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "auto-insurance-2314.xml"}}}]})", false},
      {records, R"({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "home-insurance-2314.xml"}}}]})", false},
      {records, R"({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "auto-insurance-2314.xml"}}}]})", true},
      {records, R"({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "home.xml"}}},
                                {"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "auto-1.xml"}}}]})", false},
  });
  const char* employees = R"({"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"},
                                            {"firstName": "Peter", "lastName": "Jones"}]})";
  expect_body_cases({
      {R"({"employees": {"firstName": ["Anna"]}})", employees, true},
      {R"({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}})", employees, true},
      {R"({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}})", employees, false},
  });
}

TEST(FilterPolicyMatch, MessagesThatAreNotJsonObjectsMatchNothing) {
  const char* p = R"({"k": [{"exists": false}]})";
  expect_body_cases({
      {p, "Regular string message", false},
      {p, R"("a JSON string")", false},
      {p, "[1, 2]", false},
      {p, "", false},
      {p, R"({"other": "v"})", true},
  });
}

TEST(FilterPolicyMatch, EmptyPolicyMatchesEverything) {
  auto p = FilterPolicy::parse("{}", kBody);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->matches_body("not JSON"));
  EXPECT_TRUE(p->matches({}));
}

TEST(FilterPolicyMatch, LaterDefinitionsOfAKeyWin) {
  // event-ruler's compiler puts each key into the rule in order, so a repeated key replaces the first.
  expect_attribute_cases({
      {R"({"a": ["x"], "a": ["y"]})", string_attr("a", "y"), true},
      {R"({"a": ["x"], "a": ["y"]})", string_attr("a", "x"), false},
  });
  expect_body_cases({{R"({"a.b": ["x"], "a": {"b": ["y"]}})", R"({"a": {"b": "y"}})", true}});
}

TEST(FilterPolicyMatch, StringArrayElementsKeepTheirJsonTypes) {
  expect_attribute_cases({
      {R"({"k": [5]})", array_attr("k", R"(["5", 5])"), true},
      {R"({"k": ["5"]})", array_attr("k", "[5]"), false},
      {R"({"k": [{"numeric": [">", 1]}]})", array_attr("k", R"(["x", 2])"), true},
      {R"({"k": [{"exists": true}]})", array_attr("k", "[]"), false},
  });
}

TEST(FilterPolicyMatch, BinaryAttributesAreIgnored) {
  expect_attribute_cases({
      {R"({"k": ["abc"]})", {{"k", {"Binary", "abc"}}}, false},
      {R"({"k": [{"prefix": "a"}]})", {{"k", {"Binary.custom", "abc"}}, {"j", {"String", "x"}}}, false},
      {R"({"k": ["abc"]})", {{"k", {"String", "abc"}}, {"b", {"Binary", "zz"}}}, true},
  });
}

// ---- Validation --------------------------------------------------------------------------------

struct ErrorCase {
  const char* policy;
  const char* reason;  // after "Invalid parameter: FilterPolicy: "
  FilterScope scope = kAttributes;
};

void expect_errors(const std::vector<ErrorCase>& cases) {
  for (const auto& c : cases) {
    auto p = FilterPolicy::parse(c.policy, c.scope);
    ASSERT_FALSE(p.ok()) << c.policy;
    EXPECT_EQ(p.error().code, "InvalidParameter") << c.policy;
    EXPECT_EQ(p.error().http_status, 400) << c.policy;
    EXPECT_EQ(p.error().message, std::string("Invalid parameter: FilterPolicy: ") + c.reason) << c.policy;
  }
}

void expect_valid(const std::vector<ErrorCase>& cases) {
  for (const auto& c : cases) {
    auto p = FilterPolicy::parse(c.policy, c.scope);
    EXPECT_TRUE(p.ok()) << c.policy << ": " << (p.ok() ? "" : p.error().message);
  }
}

TEST(FilterPolicyValidation, Json) {
  for (const char* bad : {"not json", R"({"k": ["a"]} x)", R"({"k": ["a",]})", "{\"k\": [\"\xff\"]}", ""}) {
    auto p = FilterPolicy::parse(bad, kAttributes);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().message.rfind("Invalid parameter: FilterPolicy: failed to parse JSON. ", 0), 0u) << p.error().message;
  }
  std::string deep(1001, '[');
  EXPECT_FALSE(FilterPolicy::parse(R"({"k": )" + deep, kBody).ok());
  expect_errors({{"[]", "Filter is not an object"}, {R"("abc")", "Filter is not an object"}, {"null", "Filter is not an object"}});
}

TEST(FilterPolicyValidation, Structure) {
  expect_errors({
      {R"({"key": [["value"]]})", "Match value must be String, number, true, false, or null"},  // [recorded]
      {R"({"key": [{"wrong-operator": true}]})", "Unrecognized match type wrong-operator"},     // [recorded]
      {R"({"key": [{"exactly": "x"}]})", "Unrecognized match type exactly"},
      {R"({"key": [{"suffix": "value", "prefix": "value2"}]})", "Only one key allowed in match expression"},  // [recorded]
      {R"({"key": {"suffix": "value"}})", R"("suffix" must be an object or an array)"},                 // [recorded]
      {R"({"key": {"suffix": "value", "prefix": "value"}})", R"("suffix" must be an object or an array)"},  // [recorded]
      {R"({"key": {"not-an-operator": "value"}})", R"("not-an-operator" must be an object or an array)"},  // [recorded]
      {R"({"key_a": "value_one"})", R"("key_a" must be an object or an array)"},                          // [recorded]
      {R"({"key": []})", "Empty arrays are not allowed"},
      {R"({"key": [{}]})", "Match expression name not found"},
      {R"({"key": {}})", "Empty objects are not allowed", kBody},
      // "$or" with reserved keywords is an ordinary key, whose values are then match expressions.
      {R"({"$or": [{"numeric": 123}, {"prefix": "abc"}]})", "Value of numeric must be an array."},
      {R"({"$or": [{"a": ["x"]}]})", "Unrecognized match type a"},
  });
}

TEST(FilterPolicyValidation, StringOperators) {
  expect_errors({
      {R"({"key": [{"suffix": 100}]})", "suffix match pattern must be a string"},  // [recorded]
      {R"({"key": [{"suffix": null}]})", "suffix match pattern must be a string"},  // [recorded]
      {R"({"key": [{"suffix": []}]})", "suffix match pattern must be a string"},    // [recorded]
      {R"({"key": [{"suffix": ["test", "test2"]}]})", "suffix match pattern must be a string"},  // [recorded]
      {R"({"key": [{"prefix": {"equals-ignore-case": "a"}}]})", "prefix match pattern must be a string"},
      {R"({"key": [{"equals-ignore-case": 5}]})", "equals-ignore-case match pattern must be a string"},
      {R"({"key": [{"wildcard": true}]})", "wildcard match pattern must be a string"},
      {R"({"key": [{"wildcard": "a**b"}]})", "Consecutive wildcard characters at pos 2"},
      {R"({"key": [{"wildcard": "a\\b"}]})", "Invalid escape character at pos 2"},
      {R"({"key": [{"wildcard": "ab\\"}]})", "Invalid escape character at pos 3"},
  });
}

TEST(FilterPolicyValidation, Numeric) {
  expect_errors({  // all [recorded] but the last four
      {R"({"key": [{"numeric": []}]})", "Invalid member in numeric match: ]"},
      {R"({"key": [{"numeric": ["operator"]}]})", "Unrecognized numeric range operator: operator"},
      {R"({"key": [{"numeric": [1, "<="]}]})", "Invalid member in numeric match: 1"},
      {R"({"key": [{"numeric": ["=", "000"]}]})", "Value of equals must be numeric"},
      {R"({"key": [{"numeric": [">="]}]})", "Value of >= must be numeric"},
      {R"({"key": [{"numeric": ["<", 100, ">", 10]}]})", "Too many elements in numeric expression"},
      {R"({"key": [{"numeric": [">=", 1, ">", 2]}]})", "Bad numeric range operator: >"},
      {R"({"key": [{"numeric": [">", 3, "<", 1]}]})", "Bottom must be less than top"},
      {R"({"key": [{"numeric": [">", 20, "<="]}]})", "Value of <= must be numeric"},
      {R"({"key": [{"numeric": [">", 20, 30]}]})", "Bad value in numeric range: 30"},
      {R"({"key": [{"numeric": [">", 20, "test"]}]})", "Bad numeric range operator: test"},
      {R"({"key": [{"numeric": [">", "20", "<", "30"]}]})", "Value of > must be numeric"},
      {R"({"key": [{"numeric": [">", 20, "<", "30"]}]})", "Value of < must be numeric"},
      {R"({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]})", "Too many terms in numeric range expression"},
      {R"({"key": [{"numeric": ">"}]})", "Value of numeric must be an array."},
      {R"({"key": [{"numeric": [">", 6e9]}]})", "Value must be between -5.0E9 and 5.0E9, inclusive"},
      {R"({"key": [{"numeric": ["=", -5000000000.000001]}]})", "Value must be between -5.0E9 and 5.0E9, inclusive"},
      {R"({"key": [{"numeric": [">", 1], "prefix": "a"}]})", "Too many elements in numeric expression"},
  });
  expect_valid({{R"({"key": [{"numeric": ["<=", 5e9]}]})", ""}, {R"({"key": [{"numeric": ["=", 3.018e2]}]})", ""}});
}

TEST(FilterPolicyValidation, ExistsAndMixing) {
  expect_errors({
      {R"({"key": [{"exists": null}]})", "exists match pattern must be either true or false."},  // [recorded]
      {R"({"key": [{"exists": "no"}]})", "exists match pattern must be either true or false."},  // [recorded]
      {R"({"key": [{"exists": true, "prefix": "a"}]})", "Only one key allowed in match expression"},
      {R"({"key": [{"exists": false, "anything-but": "a"}]})", "Only one key allowed in match expression"},
  });
  // exists next to values in one array is an OR, and is allowed.
  expect_valid({{R"({"key": [{"exists": false}, "x", {"anything-but": "y"}]})", ""}});
}

TEST(FilterPolicyValidation, AnythingBut) {
  expect_errors({
      {R"({"key": [{"anything-but": {"wrong-operator": null}}]})", "Unsupported anything-but pattern: wrong-operator"},  // [recorded]
      {R"({"key": [{"anything-but": {"exists": false}}]})", "Unsupported anything-but pattern: exists"},  // [recorded]
      {R"({"key": [{"anything-but": {"prefix": false}}]})", "prefix match pattern must be a string"},  // [recorded]
      {R"({"key": [{"anything-but": {"suffix": ["a", 1]}}]})", "suffix match pattern must be a string"},
      {R"({"key": [{"anything-but": {"prefix": ""}}]})", "Null prefix/suffix not allowed"},
      {R"({"key": [{"anything-but": {"wildcard": "**"}}]})", "Consecutive wildcard characters at pos 1"},
      {R"({"key": [{"anything-but": {}}]})", "Anything-But expression name not found"},
      {R"({"key": [{"anything-but": {"prefix": "a", "suffix": "b"}}]})", "Too many elements in numeric expression"},
      {R"({"key": [{"anything-but": ["a", 1]}]})", "Inside anything but list, either all values are number or string, mixed type is not supported"},
      {R"({"key": [{"anything-but": []}]})", "Inside anything but list, either all values are number or string, mixed type is not supported"},
      {R"({"key": [{"anything-but": [true]}]})", "Inside anything but list, start|null|boolean is not supported."},
      {R"({"key": [{"anything-but": null}]})", "Value of anything-but must be an array or single string/number value."},
      {R"({"key": [{"anything-but": [1e10]}]})", "Value must be between -5.0E9 and 5.0E9, inclusive"},
      {R"({"key": [{"anything-but": "a", "prefix": "b"}]})", "Too many elements in numeric expression"},
  });
  expect_valid({  // [recorded] accepted
      {R"({"key": [{"anything-but": {"prefix": "test-"}}]})", ""},
      {R"({"key": [{"anything-but": ["test", "test2"]}]})", ""},
      {R"({"key": [{"anything-but": "test"}]})", ""},
  });
}

TEST(FilterPolicyValidation, Cidr) {
  expect_errors({
      {R"({"ip": [{"cidr": "10.0.0.0"}]})", "Malformed CIDR, one '/' required"},
      {R"({"ip": [{"cidr": "10.0.0.0/8/8"}]})", "Malformed CIDR, one '/' required"},
      {R"({"ip": [{"cidr": "10.0.0.0/x"}]})", "Malformed CIDR, mask bits must be an integer"},
      {R"({"ip": [{"cidr": "10.0.0.0/-1"}]})", "Malformed CIDR, mask bits must not be negative"},
      {R"({"ip": [{"cidr": "10.0.0.0/32"}]})", "IPv4 mask bits must be < 32"},
      {R"({"ip": [{"cidr": "::/128"}]})", "IPv6 mask bits must be < 128"},
      {R"({"ip": [{"cidr": "host/8"}]})", "Nonstandard IP address: host"},
      {R"({"ip": [{"cidr": "300.0.0.0/8"}]})", "Invalid IP address: 300.0.0.0"},
      {R"({"ip": [{"cidr": "1::2::3/64"}]})", "Invalid IP address: 1::2::3"},
      {R"({"ip": [{"cidr": 10}]})", "prefix match pattern must be a string"},  // sic, as event-ruler says
  });
  expect_valid({{R"({"ip": [{"cidr": "10.0.0.0/24/"}]})", ""}, {R"({"ip": [{"cidr": "::1/+64"}]})", ""}});
}

TEST(FilterPolicyValidation, NestingNeedsBodyScope) {
  const char* nested = R"({"object": {"key": [{"prefix": "auto-"}]}})";
  auto p = FilterPolicy::parse(nested, kAttributes);  // [recorded]
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "InvalidParameter");
  EXPECT_EQ(p.error().message, "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy");
  EXPECT_TRUE(FilterPolicy::parse(nested, kBody).ok());
  // "$or" branches are not nesting.
  EXPECT_TRUE(FilterPolicy::parse(R"({"$or": [{"a": ["x"]}, {"b": ["y"]}]})", kAttributes).ok());
}

std::string values(const char* key, int n) {
  std::string out = std::string("\"") + key + "\": [";
  for (int i = 0; i < n; ++i) out += (i ? ", \"v" : "\"v") + std::to_string(i) + "\"";
  return out + "]";
}

TEST(FilterPolicyValidation, Complexity) {
  expect_errors({  // [recorded]
      {("{" + values("key", 151) + "}").c_str(), "Filter policy is too complex"},
      {("{" + values("key1", 100) + ", " + values("key2", 51) + "}").c_str(), "Filter policy is too complex"},
      {R"({"key1": ["value1"], "key2": ["value2"], "key3": ["value3"], "key4": ["value4"], "key5": ["value5"], "key6": ["value6"]})",
       "Filter policy can not have more than 5 keys"},
      // 3 x 4 x 2 x 3 x 1 x 3 = 216
      {R"({"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}, "key_f": ["1", "2", "3"]})",
       "Filter policy is too complex", kBody},
      // (4 * 6) + (4 * 4 * 4) + (4 * 4 * 4) = 152
      {R"({"source": ["a", "b", "c", "d"], "$or": [{"metricName": ["1", "2", "3", "4", "5", "6"]},
          {"metricType": ["1", "2", "3", "4"], "$or": [{"metricId": [1, 2, 3, 4]}, {"spaceId": [1, 2, 3, 4]}]}]})",
       "Filter policy is too complex"},
      // (3 * 4 * 2) + (3 * 4 * 6) + (2 * 4 * 2) + (2 * 4 * 6) = 160
      {R"({"$or": [{"metricName": ["a", "b", "c"]}, {"namespace": ["a", "b"]}],
          "detail": {"scope": ["a", "b"], "$or": [{"source": ["a"]}, {"type": ["a", "b", "c"]}]}})",
       "Filter policy is too complex", kBody},
  });
  expect_errors({
      {R"({"a": {"b": ["1"], "c": ["1"], "d": ["1"]}, "e": {"f": ["1"], "g": ["1"], "h": ["1"]}})",
       "Filter policy can not have more than 5 keys", kBody},  // leaf keys count
  });
  expect_valid({
      {("{" + values("key", 150) + "}").c_str(), ""},
      // [recorded] (3 * 6) + (3 * 4 * 4) + (3 * 4 * 7) = 150
      {R"({"source": ["a", "b", "c"], "$or": [{"metricName": ["1", "2", "3", "4", "5", "6"]},
          {"metricType": ["1", "2", "3", "4"], "$or": [{"metricId": [1, 2, 3, 4]}, {"spaceId": [1, 2, 3, 4, 5, 6, 7]}]}]})", ""},
      // The guide's example: 4 x 3 x 3 x 2 = 72
      {R"({"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}})", "", kBody},
      {R"({"a": {"b": ["1"], "c": ["1"]}, "d": {"e": ["1"], "f": ["1"], "g": ["1"]}})", "", kBody},
  });
  // Nesting depth multiplies: a single value 150 levels deep is at the limit, 151 is over.
  auto deep = [](int levels) {
    std::string s;
    for (int i = 1; i < levels; ++i) s += "{\"k\": ";
    s += "{\"k\": [\"v\"]}";
    return s + std::string(levels - 1, '}');
  };
  EXPECT_TRUE(FilterPolicy::parse(deep(150), kBody).ok());
  auto too_deep = FilterPolicy::parse(deep(151), kBody);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().message, "Invalid parameter: FilterPolicy: Filter policy is too complex");
  // Many "$or" forks: too many branches to be within 150.
  std::string forks = "{";
  for (int i = 0; i < 10; ++i) forks += (i ? ", " : "") + std::string("\"x") + std::to_string(i) + "\": {\"$or\": [{\"a\": [1]}, {\"b\": [1]}]}";
  expect_errors({{(forks + "}").c_str(), "Filter policy is too complex", kBody}});
}

TEST(FilterPolicyValidation, WildcardComplexity) {
  expect_errors({
      {R"({"k": [{"wildcard": "*a*b*c*"}]})", "Filter policy is too complex"},  // 4 wildcards in one pattern
      {R"({"k": [{"anything-but": {"wildcard": "*a*b*c*"}}]})", "Filter policy is too complex"},
      // six patterns of two wildcards: (6 x 6 points) x 6 patterns = 216 > 100
      {R"({"k": [{"wildcard": "*a*"}, {"wildcard": "*b*"}, {"wildcard": "*c*"}, {"wildcard": "*d*"}, {"wildcard": "*e*"}, {"wildcard": "*f*"}]})",
       "Filter policy is too complex"},
  });
  expect_valid({
      {R"({"k": [{"wildcard": "*a*b*c"}]})", ""},
      {R"({"greeting": [{"anything-but": {"prefix": "Hello"}}, {"wildcard": "H*"}]})", ""},  // the guide's example: 4 points
      {R"({"k": [{"wildcard": "a*"}, {"wildcard": "b*"}, {"wildcard": "c*"}, {"wildcard": "d*"}, {"wildcard": "e*"}]})", ""},
  });
}

TEST(FilterPolicyValidation, Size) {
  std::string big = R"({"k": [")" + std::string(256 * 1024, 'x') + R"("]})";
  expect_errors({{big.c_str(), "Filter policy is too large"}});
  std::string fits = R"({"k": [")" + std::string(256 * 1024 - 11, 'x') + R"("]})";
  ASSERT_EQ(fits.size(), 256u * 1024);
  EXPECT_TRUE(FilterPolicy::parse(fits, kAttributes).ok());
}

}  // namespace
}  // namespace runnel::pattern
