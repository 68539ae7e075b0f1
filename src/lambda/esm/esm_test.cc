// Event source mappings without a server: the API's validation and defaults, the stored form
// (golden bytes: a stored mapping must read back after an upgrade), and the batch functions.
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "lambda/esm/batch.h"
#include "lambda/esm/mapping.h"
#include "lambda/esm/queue_batch.h"

namespace runnel::lambda::esm {
namespace {

constexpr const char* kStream = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-04T00:00:00.000";
constexpr const char* kFunction = "arn:aws:lambda:us-east-1:000000000000:function:f";

constexpr const char* kQueue = "arn:aws:sqs:us-east-1:000000000000:jobs";
constexpr const char* kFifoQueue = "arn:aws:sqs:us-east-1:000000000000:jobs.fifo";

Lookup lookup() {
  Lookup l;
  l.function_arn = [](std::string_view given) { return given == "f" || given == kFunction ? std::string(kFunction) : std::string(); };
  l.stream_exists = [](std::string_view arn) { return arn == kStream; };
  l.queue_exists = [](std::string_view arn) { return arn == kQueue || arn == kFifoQueue; };
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
      {R"("ParallelizationFactor":11)", "ValidationException", "parallelizationFactor"},
      {R"("TumblingWindowInSeconds":901)", "ValidationException", "tumblingWindowInSeconds"},
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
  // A queue mapping's MaximumConcurrency and a tumbling window, where they sit in the bytes.
  m.tumbling_window_s = 30;
  m.max_concurrency = 5;
  std::string with_options = encode_mapping(m);
  EXPECT_NE(with_options.find(R"("tumbling":30,"event_count":true,"concurrency":5,"modified":)"), std::string::npos);
  auto options_back = decode_mapping(with_options);
  ASSERT_TRUE(options_back.ok());
  EXPECT_EQ(options_back->tumbling_window_s, 30);
  EXPECT_EQ(options_back->max_concurrency, 5);
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

Result<Mapping> create_on_queue(const std::string& queue, const std::string& extra) {
  auto d = doc(R"({"EventSourceArn":")" + queue + R"(","FunctionName":"f")" + (extra.empty() ? "" : "," + extra) + "}");
  return parse_create(d, lookup());
}

TEST(EsmQueueMapping, DefaultsAndWhatAQueueRefuses) {
  auto m = create_on_queue(kQueue, "");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->batch_size, 10);
  EXPECT_EQ(m->batching_window_s, 0);
  EXPECT_TRUE(m->from_queue());
  EXPECT_FALSE(m->max_concurrency);
  struct Case {
    std::string queue, extra, code, message_part;
  } cases[] = {
      {kQueue, R"("StartingPosition":"LATEST")", "InvalidParameterValueException", "StartingPosition is not valid for SQS event sources."},
      {kQueue, R"("BatchSize":11)", "InvalidParameterValueException", "Maximum batch window in seconds must be greater than 0"},
      {kFifoQueue, R"("BatchSize":11,"MaximumBatchingWindowInSeconds":1)", "InvalidParameterValueException", "between 1 and 10 inclusive"},
      {kFifoQueue, R"("MaximumBatchingWindowInSeconds":1)", "InvalidParameterValueException", "Batching window is not supported for FIFO queues"},
      {kQueue, R"("MaximumRetryAttempts":1)", "InvalidParameterValueException", "Unsupported MaximumRetryAttempts parameter"},
      {kQueue, R"("BisectBatchOnFunctionError":false)", "InvalidParameterValueException", "Unsupported BisectBatchOnFunctionError"},
      {kQueue, R"("DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:000000000000:d"}})", "InvalidParameterValueException", "Unsupported DestinationConfig"},
      {kQueue, R"("ScalingConfig":{"MaximumConcurrency":1})", "ValidationException", "scalingConfig.maximumConcurrency"},
      {kQueue, R"("ScalingConfig":{"MaximumConcurrency":1001})", "ValidationException", "less than or equal to 1000"},
      {std::string(kQueue) + "-missing", "", "InvalidParameterValueException", "AWS.SimpleQueueService.NonExistentQueue"},
  };
  for (const auto& c : cases) {
    auto refused = create_on_queue(c.queue, c.extra);
    ASSERT_FALSE(refused.ok()) << c.extra;
    EXPECT_EQ(refused.error().code, c.code) << c.extra;
    EXPECT_NE(refused.error().message.find(c.message_part), std::string::npos) << c.extra << ": " << refused.error().message;
  }
  // A stream takes no ScalingConfig.
  auto on_stream = create(R"("ScalingConfig":{"MaximumConcurrency":5})");
  ASSERT_FALSE(on_stream.ok());
  EXPECT_NE(on_stream.error().message.find("Unsupported ScalingConfig"), std::string::npos);
}

TEST(EsmQueueMapping, ScalingConfigIsSetClearedStoredAndShown) {
  auto m = create_on_queue(kQueue, R"("BatchSize":500,"MaximumBatchingWindowInSeconds":3,"ScalingConfig":{"MaximumConcurrency":7})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->max_concurrency, 7);
  m->uuid = "u";
  auto back = decode_mapping(encode_mapping(*m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->max_concurrency, 7);
  auto shown = doc(render_mapping(*m, "Enabled", "OK"));
  EXPECT_EQ(shown["ScalingConfig"]["MaximumConcurrency"].GetInt(), 7);
  EXPECT_EQ(shown["BatchSize"].GetInt(), 500);
  for (const char* absent : {"StartingPosition", "ParallelizationFactor", "LastProcessingResult", "DestinationConfig",
                             "MaximumRetryAttempts", "BisectBatchOnFunctionError", "MaximumRecordAgeInSeconds"})
    EXPECT_FALSE(shown.HasMember(absent)) << absent;
  auto clear = doc(R"({"ScalingConfig":{}})");
  ASSERT_TRUE(apply_update(*m, clear, lookup()).ok());
  EXPECT_FALSE(m->max_concurrency);
  auto no_window = doc(R"({"MaximumBatchingWindowInSeconds":0})");
  EXPECT_FALSE(apply_update(*m, no_window, lookup()).ok());  // 500 needs a window
  EXPECT_EQ(m->batching_window_s, 3);
}

ports::QueueMessage message(std::string id, std::string body) {
  ports::QueueMessage m;
  m.message_id = std::move(id);
  m.receipt_handle = "rh-" + m.message_id;
  m.body = std::move(body);
  m.md5_body = "md5";
  m.attributes = {{"SenderId", "000000000000"}, {"SentTimestamp", "1764806400000"}, {"ApproximateReceiveCount", "1"},
                  {"ApproximateFirstReceiveTimestamp", "1764806400001"}};
  return m;
}

TEST(EsmQueueBatch, TheEventAsLambdaSendsIt) {
  auto m = message("id-1", "hello");
  m.message_attributes["color"] = {"String", "blue", false};
  m.message_attributes["raw"] = {"Binary", std::string("\x00\x01", 2), true};
  m.md5_attributes = "attr-md5";
  auto d = doc(queue_event_for({m, message("id-2", "{}")}, kQueue, "us-east-1"));
  ASSERT_EQ(d["Records"].Size(), 2u);
  const auto& r = d["Records"][0];
  EXPECT_STREQ(r["messageId"].GetString(), "id-1");
  EXPECT_STREQ(r["receiptHandle"].GetString(), "rh-id-1");
  EXPECT_STREQ(r["body"].GetString(), "hello");
  EXPECT_STREQ(r["attributes"]["ApproximateReceiveCount"].GetString(), "1");
  EXPECT_STREQ(r["messageAttributes"]["color"]["stringValue"].GetString(), "blue");
  EXPECT_STREQ(r["messageAttributes"]["color"]["dataType"].GetString(), "String");
  EXPECT_TRUE(r["messageAttributes"]["color"]["stringListValues"].IsArray());
  EXPECT_STREQ(r["messageAttributes"]["raw"]["binaryValue"].GetString(), "AAE=");
  EXPECT_STREQ(r["md5OfBody"].GetString(), "md5");
  EXPECT_STREQ(r["md5OfMessageAttributes"].GetString(), "attr-md5");
  EXPECT_STREQ(r["eventSource"].GetString(), "aws:sqs");
  EXPECT_STREQ(r["eventSourceARN"].GetString(), kQueue);
  EXPECT_STREQ(r["awsRegion"].GetString(), "us-east-1");
  EXPECT_FALSE(d["Records"][1].HasMember("md5OfMessageAttributes"));
  EXPECT_STREQ(d["Records"][1]["body"].GetString(), "{}");  // the event keeps the body a string
}

TEST(EsmQueueBatch, FiltersSeeAJsonBodyAsJson) {
  auto json_body = doc(queue_filter_document(message("a", R"({"kind":"keep","n":5})"), kQueue, "us-east-1"));
  EXPECT_STREQ(json_body["body"]["kind"].GetString(), "keep");
  auto plain = doc(queue_filter_document(message("b", "plain text"), kQueue, "us-east-1"));
  EXPECT_STREQ(plain["body"].GetString(), "plain text");
  auto number = doc(queue_filter_document(message("c", "42"), kQueue, "us-east-1"));
  EXPECT_STREQ(number["body"].GetString(), "42");  // only objects and arrays count as JSON bodies
}

TEST(EsmQueueBatch, ItemFailuresNameMessages) {
  std::vector<ports::QueueMessage> batch = {message("a", "1"), message("b", "2"), message("c", "3")};
  std::set<std::string> failed;
  EXPECT_EQ(queue_item_failures("", batch, failed), Outcome::kSuccess);
  EXPECT_EQ(queue_item_failures("null", batch, failed), Outcome::kSuccess);
  EXPECT_EQ(queue_item_failures(R"({"batchItemFailures":[]})", batch, failed), Outcome::kSuccess);
  EXPECT_EQ(queue_item_failures("not json", batch, failed), Outcome::kFailure);
  EXPECT_EQ(queue_item_failures(R"({"batchItemFailures":[{"itemIdentifier":""}]})", batch, failed), Outcome::kFailure);
  EXPECT_EQ(queue_item_failures(R"({"batchItemFailures":[{"itemIdentifier":"zz"}]})", batch, failed), Outcome::kFailure);
  failed.clear();
  EXPECT_EQ(queue_item_failures(R"({"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"c"}]})", batch, failed),
            Outcome::kPartial);
  EXPECT_EQ(failed, (std::set<std::string>{"b", "c"}));
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

TEST(EsmBatch, LanesFollowTheItemKey) {
  auto with_key = [](uint64_t seq, const std::string& pk) {
    return ports::StreamRecord{seq, 0, R"({"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":")" + pk +
                                           R"("}},"NewImage":{"pk":{"S":")" + pk + R"("},"v":{"N":")" +
                                           std::to_string(seq) + R"("}}}})"};
  };
  // The same key: the same lane, whatever else the record holds.
  EXPECT_EQ(lane_of(with_key(1, "a"), 10), lane_of(with_key(2, "a"), 10));
  EXPECT_EQ(lane_of(with_key(1, R"(a\"})"), 10), lane_of(with_key(9, R"(a\"})"), 10));  // an escaped quote and brace
  EXPECT_EQ(lane_of(with_key(1, "a"), 1), 0u);
  std::set<size_t> used;
  for (int k = 0; k < 100; ++k) used.insert(lane_of(with_key(1, "key" + std::to_string(k)), 10));
  EXPECT_GT(used.size(), 5u);  // keys spread over the lanes
  for (size_t lane : used) EXPECT_LT(lane, 10u);
}

TEST(EsmBatch, TumblingWindowEventAndState) {
  EXPECT_EQ(window_of(1764806407123, 5), 1764806405000);
  EXPECT_EQ(window_of(1764806405000, 5), 1764806405000);
  WindowContext w{1764806400000, 1764806430000, R"({"n":2})", "shardId-1", true, false};
  auto d = doc(window_event_for(records({7}), kStream, w));
  EXPECT_EQ(d["Records"].Size(), 1u);
  EXPECT_STREQ(d["window"]["start"].GetString(), "2025-12-04T00:00:00Z");
  EXPECT_STREQ(d["window"]["end"].GetString(), "2025-12-04T00:00:30Z");
  EXPECT_EQ(d["state"]["n"].GetInt(), 2);
  EXPECT_STREQ(d["shardId"].GetString(), "shardId-1");
  EXPECT_STREQ(d["eventSourceARN"].GetString(), kStream);
  EXPECT_TRUE(d["isFinalInvokeForWindow"].GetBool());
  EXPECT_FALSE(d["isWindowTerminatedEarly"].GetBool());
  auto empty = doc(window_event_for({}, kStream, w));
  EXPECT_EQ(empty["Records"].Size(), 0u);
  EXPECT_EQ(window_state(R"({"state":{"n":3},"batchItemFailures":[]})"), std::optional<std::string>(R"({"n":3})"));
  EXPECT_FALSE(window_state("{}"));
  EXPECT_FALSE(window_state(R"({"state":5})"));
  EXPECT_FALSE(window_state("not json"));
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
