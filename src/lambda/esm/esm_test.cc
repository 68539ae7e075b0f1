// Event source mappings without a server: the API's validation and defaults, the stored form
// (golden bytes: a stored mapping must read back after an upgrade), and the batch functions.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "lambda/esm/batch.h"
#include "lambda/esm/mapping.h"

namespace runnel::lambda::esm {
namespace {

constexpr const char* kStream = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-04T00:00:00.000";
constexpr const char* kFunction = "arn:aws:lambda:us-east-1:000000000000:function:f";

Lookup lookup() {
  Lookup l;
  l.function_arn = [](std::string_view given) { return given == "f" || given == kFunction ? std::string(kFunction) : std::string(); };
  l.stream_exists = [](std::string_view arn) { return arn == kStream; };
  return l;
}

rapidjson::Document doc(const std::string& text) {
  rapidjson::Document d;
  EXPECT_TRUE(json::parse(d, text)) << text;
  return d;
}

Result<Mapping> create(const std::string& extra) {
  std::string body = std::string(R"({"EventSourceArn":")") + kStream + R"(","FunctionName":"f","StartingPosition":"LATEST")" +
                     (extra.empty() ? "" : "," + extra) + "}";
  auto d = doc(body);
  return parse_create(d, lookup());
}

TEST(EsmMapping, CreateAppliesAwsDefaults) {
  auto m = create("");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->function_arn, kFunction);
  EXPECT_EQ(m->batch_size, 100);
  EXPECT_EQ(m->batching_window_s, 0);
  EXPECT_EQ(m->parallelization, 1);
  EXPECT_EQ(m->max_retry_attempts, -1);
  EXPECT_EQ(m->max_record_age_s, -1);
  EXPECT_TRUE(m->enabled);
  EXPECT_FALSE(m->bisect);
  EXPECT_FALSE(m->report_batch_item_failures);
}

TEST(EsmMapping, CreateRefusesWhatAwsRefuses) {
  struct Case {
    std::string extra;
    std::string code;
    std::string message_part;
  } cases[] = {
      {R"("BatchSize":0)", "ValidationException", "Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1"},
      {R"("BatchSize":10001)", "ValidationException", "less than or equal to 10000"},
      {R"("MaximumBatchingWindowInSeconds":301)", "ValidationException", "maximumBatchingWindowInSeconds"},
      {R"("MaximumRetryAttempts":-2)", "ValidationException", "maximumRetryAttempts"},
      {R"("MaximumRecordAgeInSeconds":30)", "InvalidParameterValueException", "-1 or between 60 and 604800"},
      {R"("FunctionResponseTypes":["Nope"])", "ValidationException", "[ReportBatchItemFailures]"},
      {R"("FilterCriteria":{"Filters":[{"Pattern":"{\"a\":"}]})", "InvalidParameterValueException", "Invalid filter pattern definition."},
      {R"("DestinationConfig":{"OnFailure":{"Destination":"arn:aws:s3:::b"}})", "InvalidParameterValueException", "is invalid"},
      {R"("ParallelizationFactor":2)", "InvalidParameterValueException", "ParallelizationFactor"},
      {R"("TumblingWindowInSeconds":60)", "InvalidParameterValueException", "TumblingWindowInSeconds"},
  };
  for (const auto& c : cases) {
    auto m = create(c.extra);
    ASSERT_FALSE(m.ok()) << c.extra;
    EXPECT_EQ(m.error().code, c.code) << c.extra;
    EXPECT_NE(m.error().message.find(c.message_part), std::string::npos) << c.extra << ": " << m.error().message;
  }
  auto d = doc(std::string(R"({"EventSourceArn":")") + kStream + R"(","FunctionName":"nope","StartingPosition":"LATEST"})");
  auto missing = parse_create(d, lookup());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  auto no_position = doc(std::string(R"({"EventSourceArn":")") + kStream + R"(","FunctionName":"f"})");
  EXPECT_FALSE(parse_create(no_position, lookup()).ok());
  auto at_timestamp = doc(std::string(R"({"EventSourceArn":")") + kStream + R"(","FunctionName":"f","StartingPosition":"AT_TIMESTAMP"})");
  EXPECT_EQ(parse_create(at_timestamp, lookup()).error().code, "InvalidParameterValueException");
}

TEST(EsmMapping, UpdateChangesOnlyWhatItNames) {
  auto m = create(R"("BatchSize":7,"BisectBatchOnFunctionError":true)");
  ASSERT_TRUE(m.ok());
  auto body = doc(R"({"Enabled":false,"MaximumRetryAttempts":3})");
  ASSERT_TRUE(apply_update(*m, body, lookup()).ok());
  EXPECT_EQ(m->batch_size, 7);
  EXPECT_TRUE(m->bisect);
  EXPECT_FALSE(m->enabled);
  EXPECT_EQ(m->max_retry_attempts, 3);
  auto bad = doc(R"({"BatchSize":0})");
  EXPECT_FALSE(apply_update(*m, bad, lookup()).ok());
  EXPECT_EQ(m->batch_size, 7);  // a refused update changes nothing
}

// The stored form is frozen: this exact text must keep decoding to the same mapping.
TEST(EsmMapping, StoredFormGoldenBytes) {
  Mapping m;
  m.uuid = "6f1c0b8e-0000-4000-8000-000000000001";
  m.account = "000000000000";
  m.region = "us-east-1";
  m.function_arn = kFunction;
  m.source_arn = kStream;
  m.starting_position = "TRIM_HORIZON";
  m.batch_size = 10;
  m.batching_window_s = 1;
  m.max_retry_attempts = 2;
  m.max_record_age_s = 3600;
  m.bisect = true;
  m.on_failure = "arn:aws:sqs:us-east-1:000000000000:dlq";
  m.report_batch_item_failures = true;
  m.filters = {R"({"eventName":["INSERT"]})"};
  m.metrics_event_count = true;
  m.last_modified_ms = 1764806400000;
  const std::string golden =
      R"({"uuid":"6f1c0b8e-0000-4000-8000-000000000001","account":"000000000000","region":"us-east-1",)"
      R"("function":"arn:aws:lambda:us-east-1:000000000000:function:f",)"
      R"("source":"arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-04T00:00:00.000","start":"TRIM_HORIZON",)"
      R"("batch":10,"window":1,"enabled":true,"parallel":1,"retries":2,"age":3600,"bisect":true,)"
      R"("on_failure":"arn:aws:sqs:us-east-1:000000000000:dlq","item_failures":true,)"
      R"("filters":["{\"eventName\":[\"INSERT\"]}"],"tumbling":-1,"event_count":true,"modified":1764806400000})";
  EXPECT_EQ(encode_mapping(m), golden);
  auto back = decode_mapping(golden);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(encode_mapping(*back), golden);
  EXPECT_EQ(checkpoint_key(m.uuid, 42), "lambda/esm/c/6f1c0b8e-0000-4000-8000-000000000001/00000000000000000042");
}

TEST(EsmMapping, RenderedAsTheApiShowsIt) {
  auto m = create(R"("FunctionResponseTypes":["ReportBatchItemFailures"])");
  ASSERT_TRUE(m.ok());
  m->uuid = "u";
  m->account = "000000000000";
  m->region = "us-east-1";
  auto d = doc(render_mapping(*m, "Enabled", "OK"));
  EXPECT_STREQ(d["UUID"].GetString(), "u");
  EXPECT_STREQ(d["EventSourceMappingArn"].GetString(), "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:u");
  EXPECT_STREQ(d["State"].GetString(), "Enabled");
  EXPECT_STREQ(d["StateTransitionReason"].GetString(), "User action");
  EXPECT_STREQ(d["LastProcessingResult"].GetString(), "OK");
  EXPECT_STREQ(d["FunctionResponseTypes"][0].GetString(), "ReportBatchItemFailures");
  EXPECT_EQ(d["MaximumRetryAttempts"].GetInt(), -1);
  EXPECT_TRUE(d["DestinationConfig"]["OnFailure"].IsObject());
}

std::vector<ports::StreamRecord> records(std::initializer_list<uint64_t> seqs) {
  std::vector<ports::StreamRecord> out;
  for (uint64_t s : seqs) out.push_back({s, 1764806400000 + static_cast<int64_t>(s), R"({"eventName":"INSERT","dynamodb":{}})"});
  return out;
}

TEST(EsmBatch, ItemFailuresAsAwsDocumentsThem) {
  uint64_t lowest = 0;
  EXPECT_EQ(item_failures("", lowest), Outcome::kSuccess);
  EXPECT_EQ(item_failures("null", lowest), Outcome::kSuccess);
  EXPECT_EQ(item_failures("{}", lowest), Outcome::kSuccess);
  EXPECT_EQ(item_failures(R"({"batchItemFailures":[]})", lowest), Outcome::kSuccess);
  EXPECT_EQ(item_failures(R"({"batchItemFailures":null})", lowest), Outcome::kSuccess);
  EXPECT_EQ(item_failures(R"({"batchItemFailures":[{"itemIdentifier":""}]})", lowest), Outcome::kFailure);
  EXPECT_EQ(item_failures(R"({"batchItemFailures":[{"itemIdentifier":null}]})", lowest), Outcome::kFailure);
  EXPECT_EQ(item_failures(R"({"batchItemFailures":[{"itemId":"100000000000000000005"}]})", lowest), Outcome::kFailure);
  EXPECT_EQ(item_failures("not json", lowest), Outcome::kFailure);
  EXPECT_EQ(item_failures(R"({"batchItemFailures":[{"itemIdentifier":"100000000000000000009"},{"itemIdentifier":"100000000000000000005"}]})",
                          lowest),
            Outcome::kPartial);
  EXPECT_EQ(lowest, 5u);
  auto batch = records({4, 5, 6});
  EXPECT_EQ(within_batch(Outcome::kPartial, 5, batch), Outcome::kPartial);
  EXPECT_EQ(within_batch(Outcome::kPartial, 4, batch), Outcome::kFailure);  // the first: the whole batch again
  EXPECT_EQ(within_batch(Outcome::kPartial, 9, batch), Outcome::kFailure);  // not in the batch: nothing skipped
}

TEST(EsmBatch, EventAndSequenceNumbers) {
  EXPECT_EQ(format_sequence(5), "100000000000000000005");
  EXPECT_EQ(parse_sequence("100000000000000000005"), 5u);
  EXPECT_FALSE(parse_sequence("5"));
  EXPECT_FALSE(parse_sequence("10000000000000000000x"));
  auto d = doc(event_for(records({1, 2}), kStream));
  ASSERT_EQ(d["Records"].Size(), 2u);
  EXPECT_STREQ(d["Records"][1]["eventSourceARN"].GetString(), kStream);
  EXPECT_STREQ(d["Records"][0]["eventName"].GetString(), "INSERT");
}

TEST(EsmBatch, FailureRecordNamesTheBatch) {
  FailureContext why{kFunction, kStream, "shardId-1", "RetryAttemptsExhausted", 3, "Unhandled", 1764806400000};
  auto d = doc(failure_record(why, records({7, 8, 9})));
  EXPECT_STREQ(d["requestContext"]["condition"].GetString(), "RetryAttemptsExhausted");
  EXPECT_EQ(d["requestContext"]["approximateInvokeCount"].GetInt(), 3);
  EXPECT_STREQ(d["responseContext"]["functionError"].GetString(), "Unhandled");
  EXPECT_STREQ(d["version"].GetString(), "1.0");
  const auto& info = d["DDBStreamBatchInfo"];
  EXPECT_STREQ(info["startSequenceNumber"].GetString(), "100000000000000000007");
  EXPECT_STREQ(info["endSequenceNumber"].GetString(), "100000000000000000009");
  EXPECT_EQ(info["batchSize"].GetInt(), 3);
  EXPECT_STREQ(info["approximateArrivalOfFirstRecord"].GetString(), "2025-12-04T00:00:00Z");
  EXPECT_STREQ(info["streamArn"].GetString(), kStream);
}

}  // namespace
}  // namespace runnel::lambda::esm
