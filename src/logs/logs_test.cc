// CloudWatch Logs pieces below the API: filter patterns of every kind, and the stored records'
// bytes (golden: what a runnel stored must read back in later ones).
#include <gtest/gtest.h>

#include "logs/filter_pattern.h"
#include "logs/records.h"

namespace runnel::logs {
namespace {

bool match(std::string_view pattern, std::string_view message) {
  auto p = FilterPattern::parse(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() && p->matches(message);
}

TEST(FilterPattern, Terms) {
  EXPECT_TRUE(match("", "anything"));
  EXPECT_TRUE(match("  ", "anything"));
  EXPECT_TRUE(match("ERROR", "2024 ERROR disk full"));
  EXPECT_FALSE(match("ERROR", "2024 error disk full"));  // case-sensitive
  EXPECT_TRUE(match("ERROR disk", "disk ERROR"));         // every term, any order
  EXPECT_FALSE(match("ERROR disk", "ERROR memory"));
  EXPECT_TRUE(match("\"disk full\"", "ERROR disk full now"));
  EXPECT_FALSE(match("\"disk full\"", "full disk"));
  EXPECT_TRUE(match("?ERROR ?WARN", "WARN low"));
  EXPECT_FALSE(match("?ERROR ?WARN", "INFO ok"));
  EXPECT_TRUE(match("ERROR -Retrying", "ERROR failed"));
  EXPECT_FALSE(match("ERROR -Retrying", "ERROR failed Retrying"));
  EXPECT_FALSE(match("-\"do not\"", "please do not"));
}

TEST(FilterPattern, Json) {
  const std::string event = R"({"level":"ERROR","latency":250,"user":{"id":"u1","tags":["a","b"]},"ok":false,"gone":null})";
  EXPECT_TRUE(match(R"({ $.level = "ERROR" })", event));
  EXPECT_TRUE(match(R"({$.level=ERROR})", event));
  EXPECT_FALSE(match(R"({ $.level = "INFO" })", event));
  EXPECT_TRUE(match(R"({ $.level = "ERR*" })", event));
  EXPECT_TRUE(match(R"({ $.level != "INFO" })", event));
  EXPECT_TRUE(match(R"({ $.latency > 100 })", event));
  EXPECT_FALSE(match(R"({ $.latency < 100 })", event));
  EXPECT_TRUE(match(R"({ $.latency >= 250 && $.latency <= 250 })", event));
  EXPECT_TRUE(match(R"({ $.user.id = "u1" })", event));
  EXPECT_TRUE(match(R"({ $.user.tags[1] = "b" })", event));
  EXPECT_TRUE(match(R"({ $.ok IS FALSE })", event));
  EXPECT_TRUE(match(R"({ $.gone IS NULL })", event));
  EXPECT_TRUE(match(R"({ $.missing NOT EXISTS })", event));
  EXPECT_FALSE(match(R"({ $.level NOT EXISTS })", event));
  EXPECT_TRUE(match(R"({ $.level = "INFO" || ($.latency > 100 && $.user.id = "u1") })", event));
  EXPECT_FALSE(match(R"({ $.level = "ERROR" && $.latency > 1000 })", event));
  EXPECT_FALSE(match(R"({ $.level = "ERROR" })", "not json at all"));
}

TEST(FilterPattern, SpaceDelimited) {
  const std::string apache = R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534)";
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code, bytes]", apache));
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code = 404, bytes]", apache));
  EXPECT_FALSE(match("[ip, user, username, timestamp, request, status_code = 200, bytes]", apache));
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]", apache));
  EXPECT_TRUE(match("[ip = 127.0.0.1, ...]", apache));
  EXPECT_TRUE(match("[..., status_code >= 400 && status_code < 500, bytes]", apache));
  EXPECT_TRUE(match("[ip, ..., request = \"GET*\", status_code, bytes]", apache));
  EXPECT_FALSE(match("[ip, user]", apache));  // another number of fields
}

TEST(FilterPattern, BadPatternsAreRefused) {
  for (std::string_view bad : {"{ $.level = }", "{ level = 1 }", "{ $.a > \"x\" }", "[a, ..., b, ...]", "\"open",
                               "{ $.a = 1", "%regex%", "[a, , b]"}) {
    auto p = FilterPattern::parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, "InvalidParameterException");
  }
  EXPECT_FALSE(FilterPattern::parse(std::string(1025, 'a')).ok());
  EXPECT_FALSE(FilterPattern::parse("{ " + std::string(40, '(') + "$.a = 1" + std::string(40, ')') + " }").ok());
  EXPECT_TRUE(FilterPattern::parse("{ " + std::string(20, '(') + "$.a = 1" + std::string(20, ')') + " }").ok());
}

TEST(LogsRecords, GoldenBytes) {
  LogGroup g;
  g.account = "000000000000";
  g.region = "us-east-1";
  g.name = "/aws/lambda/f";
  g.id = 7;
  g.creation_time = 1700000000000;
  g.retention_days = 14;
  g.tags = {{"team", "core"}};
  const std::string group_bytes =
      R"({"v":1,"account":"000000000000","region":"us-east-1","name":"/aws/lambda/f","id":7,"created":1700000000000,)"
      R"("retention_days":14,"class":"STANDARD","tags":{"team":"core"}})";
  EXPECT_EQ(encode_group(g), group_bytes);
  auto back = decode_group(group_bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->retention_days, 14);
  EXPECT_EQ(back->tags.at("team"), "core");
  EXPECT_EQ(g.arn(), "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f:*");

  LogStream s;
  s.name = "2024/01/01/[$LATEST]abc";
  s.id = 8;
  s.group_id = 7;
  s.creation_time = 1700000000001;
  s.first_event = 1700000000002;
  s.last_event = 1700000000003;
  s.last_ingestion = 1700000000004;
  s.next_seq = 2;
  s.stored_bytes = 10;
  const std::string stream_bytes =
      R"({"v":1,"name":"2024/01/01/[$LATEST]abc","id":8,"group_id":7,"created":1700000000001,"first_event":1700000000002,)"
      R"("last_event":1700000000003,"last_ingestion":1700000000004,"next_seq":2,"bytes":10})";
  EXPECT_EQ(encode_stream(s), stream_bytes);
  ASSERT_TRUE(decode_stream(stream_bytes));
  EXPECT_EQ(decode_stream(stream_bytes)->next_seq, 2u);

  // Events sort by group, then time, then stream, then sequence; the index by stream and time.
  EXPECT_LT(event_key(7, 100, 9, 0), event_key(7, 101, 1, 0));
  EXPECT_LT(event_key(7, 100, 1, 5), event_key(7, 100, 2, 0));
  EXPECT_LT(event_key(7, 999, 9, 9), event_key(8, 0, 0, 0));
  auto k = parse_event_key(event_key(7, 100, 9, 3));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->timestamp, 100u);
  EXPECT_EQ(k->stream_id, 9u);
  EXPECT_EQ(k->seq, 3u);
  EXPECT_EQ(encode_event(1, "hi"), std::string("\x01\0\0\0\0\0\0\0\x01hi", 11));
  auto e = decode_event(encode_event(5, "line"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ingestion_time, 5);
  EXPECT_EQ(e->message, "line");
}

}  // namespace
}  // namespace runnel::logs
