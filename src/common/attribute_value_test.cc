#include "common/attribute_value.h"

#include <gtest/gtest.h>

namespace runnel {
namespace {

Result<AttributeValue> decode(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  return decode_attribute_value(d);
}

TEST(AttributeValue, DecodesEveryTypeAndRendersItBack) {
  const char* json =
      R"({"s":{"S":"x"},"n":{"N":"1.50"},"b":{"B":"AAE="},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},)"
      R"("bs":{"BS":["AA=="]},"m":{"M":{"k":{"BOOL":true}}},"l":{"L":[{"NULL":true},{"N":"-0"}]}})";
  rapidjson::Document d;
  d.Parse(json);
  auto m = decode_attribute_map(d);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->at("n").scalar, "1.5");  // numbers are normalised on the way in
  EXPECT_EQ(m->at("b").scalar, std::string("\0\1", 2));
  EXPECT_EQ(attribute_map_to_json(*m),
            R"({"b":{"B":"AAE="},"bs":{"BS":["AA=="]},"l":{"L":[{"NULL":true},{"N":"0"}]},"m":{"M":{"k":{"BOOL":true}}},)"
            R"("n":{"N":"1.5"},"ns":{"NS":["1","2"]},"s":{"S":"x"},"ss":{"SS":["a","b"]}})");
}

TEST(AttributeValue, RejectsWhatDynamoDbRejects) {
  EXPECT_EQ(decode(R"({})").error().code, "ValidationException");
  EXPECT_EQ(decode(R"({"S":"a","N":"1"})").error().code, "ValidationException");
  EXPECT_EQ(decode(R"({"SS":[]})").error().message,
            "One or more parameter values were invalid: An string set  may not be empty");
  EXPECT_EQ(decode(R"({"SS":["a","a"]})").error().code, "ValidationException");
  EXPECT_EQ(decode(R"({"NULL":false})").error().code, "ValidationException");
  EXPECT_EQ(decode(R"({"N":"abc"})").error().code, "ValidationException");
  EXPECT_EQ(decode(R"({"B":"!!"})").error().code, "SerializationException");
  EXPECT_EQ(decode(R"({"S":1})").error().code, "SerializationException");
}

TEST(AttributeValue, NestingDepthIsLimited) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += R"({"L":[)";
  deep += R"({"S":"x"})";
  for (int i = 0; i < 40; ++i) deep += "]}";
  EXPECT_EQ(decode(deep.c_str()).error().message, "Nesting Levels have exceeded supported limits");
}

TEST(AttributeValue, SetsCompareAsSetsNumbersByValue) {
  EXPECT_EQ(*decode(R"({"SS":["a","b"]})"), *decode(R"({"SS":["b","a"]})"));
  EXPECT_EQ(*decode(R"({"N":"1.0"})"), *decode(R"({"N":"1"})"));
  EXPECT_FALSE(*decode(R"({"S":"1"})") == *decode(R"({"N":"1"})"));
}

TEST(AttributeValue, SizeFollowsTheFormula) {
  AttributeMap item;
  item["ab"] = AttributeValue::string("xyz");  // 2 + 3
  item["b"] = AttributeValue::boolean_value(true);  // 1 + 1
  EXPECT_EQ(item_size(item), 7u);
}

TEST(AttributeValue, CompareScalar) {
  EXPECT_LT(compare_scalar(*decode(R"({"N":"9"})"), *decode(R"({"N":"10"})")), 0);
  EXPECT_LT(compare_scalar(*decode(R"({"S":"B"})"), *decode(R"({"S":"a"})")), 0);
  EXPECT_EQ(compare_scalar(*decode(R"({"N":"1.0"})"), *decode(R"({"N":"1"})")), 0);
}

}  // namespace
}  // namespace runnel
