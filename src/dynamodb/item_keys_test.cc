#include "dynamodb/item_keys.h"

#include <gtest/gtest.h>

#include "common/decimal.h"
#include "dynamodb/service.h"

namespace runnel::dynamodb {
namespace {

TableInfo hash_range_table() {
  TableInfo t;
  t.id = 7;
  t.keys.hash = {"pk", AttrType::S};
  t.keys.range = KeyAttribute{"sk", AttrType::N};
  return t;
}

AttributeMap item(std::string pk, std::string sk) {
  AttributeMap m;
  m["pk"] = AttributeValue::string(std::move(pk));
  m["sk"] = AttributeValue::number(std::move(sk));
  return m;
}

// Golden bytes: the item key layout is on disk. Changing it breaks every existing data directory.
TEST(ItemKeys, GoldenLayout) {
  TableInfo t = hash_range_table();
  std::string k = item_key(t, item("a", "1"));
  std::string expected("\0\0\0\0\0\0\0\x07", 8);
  uint16_t h = partition_hash(AttributeValue::string("a"));
  expected.push_back(static_cast<char>(h >> 8));
  expected.push_back(static_cast<char>(h & 0xff));
  expected += std::string("a\0\x01", 3);
  Decimal::parse("1")->encode_ordered(expected);
  EXPECT_EQ(k, expected);
  EXPECT_EQ(partition_hash(AttributeValue::string("a")), partition_hash(AttributeValue::string("a")));
}

// Golden bytes of a stored item: format byte 0x01, then the item's canonical JSON (attributes sorted,
// numbers normalised). GetItem splices these bytes into its response.
TEST(ItemKeys, StoredItemFormat) {
  AttributeMap m = item("a", "1.5");
  m["b"] = AttributeValue::binary(std::string("\x00\x01", 2));
  EXPECT_EQ(encode_stored_item(m), "\x01{\"b\":{\"B\":\"AAE=\"},\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1.5\"}}");
  auto back = decode_stored_item(encode_stored_item(m));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, m);
  EXPECT_FALSE(decode_stored_item("\x02{}").has_value());  // unknown format byte
}

TEST(ItemKeys, SortKeysOrderNumerically) {
  TableInfo t = hash_range_table();
  std::vector<std::string> numbers = {"-100", "-1.5", "0", "0.001", "2", "10", "1E+20"};
  for (size_t i = 1; i < numbers.size(); ++i) {
    auto a = item_key(t, item("p", Decimal::parse(numbers[i - 1])->to_string()));
    auto b = item_key(t, item("p", Decimal::parse(numbers[i])->to_string()));
    EXPECT_LT(a, b) << numbers[i - 1] << " vs " << numbers[i];
  }
}

TEST(ItemKeys, ValidateKeyRejectsWrongShape) {
  TableInfo t = hash_range_table();
  EXPECT_TRUE(validate_key(t, item("a", "1")).ok());
  AttributeMap missing;
  missing["pk"] = AttributeValue::string("a");
  EXPECT_EQ(validate_key(t, missing).error().code, "ValidationException");
  AttributeMap wrong = item("a", "1");
  wrong["sk"] = AttributeValue::string("x");
  EXPECT_EQ(validate_key(t, wrong).error().message, "The provided key element does not match the schema");
  AttributeMap empty = item("", "1");
  EXPECT_EQ(validate_key(t, empty).error().code, "ValidationException");
}

TEST(ItemKeys, SparseIndexHasNoEntry) {
  TableInfo t = hash_range_table();
  IndexInfo gsi;
  gsi.id = 9;
  gsi.keys.hash = {"g", AttrType::S};
  EXPECT_TRUE(index_entry_key(t, gsi, item("a", "1")).empty());
  AttributeMap with = item("a", "1");
  with["g"] = AttributeValue::string("x");
  EXPECT_FALSE(index_entry_key(t, gsi, with).empty());
}

TEST(ItemKeys, ItemSizeLimit) {
  TableInfo t = hash_range_table();
  AttributeMap big = item("a", "1");
  big["blob"] = AttributeValue::string(std::string(kMaxItemBytes, 'x'));
  EXPECT_EQ(validate_item(t, big).error().message, "Item size has exceeded the maximum allowed size");
}

}  // namespace
}  // namespace runnel::dynamodb
