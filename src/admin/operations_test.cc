// GET /_runnel/operations' document: each entry's service, protocol, name and traits, with the
// default body limit filled in where the traits name none.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "admin/operations.h"

namespace runnel::admin {
namespace {

TEST(OperationsListing, EntriesInOrderWithTraitsAndEffectiveBodyLimit) {
  OperationsListing listing(1000);
  listing.add("dynamodb", "json", {"GetItem", protocol::kReads});
  listing.add("sqs", "query", {"ReceiveMessage", {.mutating = true, .long_poll = true}});
  listing.add("lambda", "rest-json", {"CreateFunction", {.mutating = true, .body_limit = 5000}});
  auto r = listing.response();
  EXPECT_EQ(r.content_type, "application/json");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.body;
  const auto& ops = d["operations"];
  ASSERT_EQ(ops.Size(), 3u);
  EXPECT_STREQ(ops[0]["service"].GetString(), "dynamodb");
  EXPECT_STREQ(ops[0]["name"].GetString(), "GetItem");
  EXPECT_FALSE(ops[0]["mutating"].GetBool());
  EXPECT_EQ(ops[0]["body_limit"].GetUint64(), 1000u);
  EXPECT_STREQ(ops[1]["protocol"].GetString(), "query");
  EXPECT_TRUE(ops[1]["mutating"].GetBool());
  EXPECT_TRUE(ops[1]["long_poll"].GetBool());
  EXPECT_FALSE(ops[1]["anonymous"].GetBool());
  EXPECT_EQ(ops[2]["body_limit"].GetUint64(), 5000u);
}

}  // namespace
}  // namespace runnel::admin
