// A table's definition as the catalog stores it: golden bytes, so that what an older runnel
// stored still reads back, and what reads back is stored the same again.
#include "dynamodb/table_schema.h"

#include <gtest/gtest.h>

namespace runnel::dynamodb {
namespace {

TableInfo full_table() {
  TableInfo t;
  t.account = "000000000000";
  t.region = "us-east-1";
  t.name = "messages";
  t.id = 4;
  t.keys.hash = {"message_id", AttrType::S};
  t.stream = {true, "NEW_AND_OLD_IMAGES", "2026-12-07T00:00:00.000"};
  t.table_uuid = "0a0b0c0d-0000-4000-8000-000000000004";
  t.creation_time = 1764806400.5;
  t.attribute_definitions = {{"message_id", AttrType::S}, {"author", AttrType::S}, {"timestamp", AttrType::N}};
  IndexInfo gsi;
  gsi.name = "author-index";
  gsi.id = 5;
  gsi.global = true;
  gsi.keys.hash = {"author", AttrType::S};
  gsi.keys.range = KeyAttribute{"timestamp", AttrType::N};
  gsi.projection.type = IndexProjection::Type::kInclude;
  gsi.projection.non_key_attributes = {"content"};
  gsi.read_capacity = 2;
  gsi.write_capacity = 3;
  t.global_indexes.push_back(gsi);
  IndexInfo lsi;
  lsi.name = "by-time";
  lsi.id = 6;
  lsi.global = false;
  lsi.keys.hash = {"message_id", AttrType::S};
  lsi.keys.range = KeyAttribute{"timestamp", AttrType::N};
  t.local_indexes.push_back(lsi);
  t.billing_mode = "PAY_PER_REQUEST";
  t.billing_mode_changed = 1764806401;
  t.ttl_attribute = "expires";
  t.ttl_enabled = true;
  t.ttl_changed = 1764806402;
  t.tags = {{"team", "chat"}};
  t.deletion_protection = true;
  return t;
}

TEST(StoredTable, GoldenBytesRoundTrip) {
  const std::string golden =
      R"({"v":1,"account":"000000000000","region":"us-east-1","name":"messages",)"
      R"("uuid":"0a0b0c0d-0000-4000-8000-000000000004","id":4,"created":1764806400.5,"hash":{"n":"message_id","t":1},)"
      R"("attrs":[{"n":"message_id","t":1},{"n":"author","t":1},{"n":"timestamp","t":2}],)"
      R"("gsi":[{"name":"author-index","id":5,"global":true,"hash":{"n":"author","t":1},"range":{"n":"timestamp","t":2},)"
      R"("ptype":2,"nonkey":["content"],"rcu":2,"wcu":3}],)"
      R"("lsi":[{"name":"by-time","id":6,"global":false,"hash":{"n":"message_id","t":1},)"
      R"("range":{"n":"timestamp","t":2},"ptype":0,"nonkey":[],"rcu":0,"wcu":0}],)"
      R"("billing":"PAY_PER_REQUEST","rcu":0,"wcu":0,"billing_changed":1764806401.0,"stream_enabled":true,)"
      R"("stream_view":"NEW_AND_OLD_IMAGES","stream_label":"2026-12-07T00:00:00.000","ttl_attr":"expires",)"
      R"("ttl_enabled":true,"ttl_changed":1764806402.0,"tags":[["team","chat"]],"deletion_protection":true,)"
      R"("class":"STANDARD"})";
  EXPECT_EQ(encode_table_info(full_table()), golden);
  auto back = decode_table_info(golden);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "messages");
  EXPECT_EQ(back->stream.label, "2026-12-07T00:00:00.000");
  ASSERT_EQ(back->global_indexes.size(), 1u);
  EXPECT_EQ(back->global_indexes[0].keys.range->type, AttrType::N);
  EXPECT_EQ(back->global_indexes[0].projection.type, IndexProjection::Type::kInclude);
  EXPECT_EQ(back->global_indexes[0].projection.non_key_attributes, std::vector<std::string>{"content"});
  ASSERT_EQ(back->local_indexes.size(), 1u);
  EXPECT_FALSE(back->local_indexes[0].global);
  EXPECT_EQ(back->tags, full_table().tags);
  EXPECT_EQ(encode_table_info(*back), golden);
}

TEST(StoredTable, ACorruptEntryIsRefusedNotRead) {
  EXPECT_FALSE(decode_table_info(R"({"v":2})").ok());
  EXPECT_FALSE(decode_table_info(R"({"v":1,"name":"t"})").ok());  // no key schema
  EXPECT_FALSE(decode_table_info("[").ok());
}

}  // namespace
}  // namespace runnel::dynamodb
