// GET /_runnel/health's document: every service and every section, valid JSON whatever a section
// holds (the sections used to be spliced as text).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "admin/health.h"

namespace runnel::admin {
namespace {

TEST(Health, ServicesAndSectionsInOneDocument) {
  Health health;
  health.add_service("dynamodb");
  health.add_service("sqs");
  health.add_section("storage", [](JsonWriter& w) {
    w.StartObject();
    w.Key("durability");
    w.String("strict \"quoted\"");
    w.Key("groups_committed");
    w.Uint64(7);
    w.EndObject();
  });
  health.add_section("mappings", [](JsonWriter& w) {
    w.StartArray();
    w.EndArray();
  });
  auto r = health.response();
  EXPECT_EQ(r.content_type, "application/json");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.body;
  EXPECT_STREQ(d["status"].GetString(), "ok");
  EXPECT_STREQ(d["services"]["sqs"].GetString(), "running");
  EXPECT_STREQ(d["storage"]["durability"].GetString(), "strict \"quoted\"");
  EXPECT_EQ(d["storage"]["groups_committed"].GetUint64(), 7u);
  EXPECT_TRUE(d["mappings"].IsArray());
}

}  // namespace
}  // namespace runnel::admin
