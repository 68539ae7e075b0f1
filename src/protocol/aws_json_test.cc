#include "protocol/aws_json.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace runnel::protocol {
namespace {

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

JsonService make_service() {
  JsonService s({"DynamoDB_20120810", "application/x-amz-json-1.0", true});
  s.add("Echo", kReads, [](const RequestContext& ctx, const rapidjson::Document& body, JsonReply reply) {
    if (body.HasMember("fail")) return reply(ApiError::validation("bad \"input\""));
    reply(std::string("{\"op\":\"") + ctx.operation + "\"}");
  });
  return s;
}

Response call(const JsonService& s, std::string_view op, std::string_view body) {
  Response out;
  s.dispatch({}, op, body, [&](Response r) { out = std::move(r); });
  return out;
}

// Errors render as DynamoDB renders them: "__type" with the namespace, "message", JSON-escaped.
TEST(AwsJson, ErrorBodyShape) {
  ApiError e = ApiError::validation("bad \"x\"");
  EXPECT_EQ(render_json_error_body(e),
            R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad \"x\""})");
  ApiError ccf = ApiError::conditional_check_failed(R"("Item":{"a":{"S":"b"}})");
  EXPECT_EQ(render_json_error_body(ccf),
            R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
            R"("message":"The conditional request failed","Item":{"a":{"S":"b"}}})");
}

// x-amz-crc32 is the CRC-32 of the exact body bytes, on successes and errors alike.
TEST(AwsJson, Crc32OnEveryResponse) {
  auto s = make_service();
  for (auto body : {std::string_view("{}"), std::string_view(R"({"fail":1})")}) {
    Response r = call(s, "Echo", body);
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(r.body.data()), static_cast<uInt>(r.body.size()));
    EXPECT_EQ(header(r, "x-amz-crc32"), std::to_string(crc));
  }
}

TEST(AwsJson, DispatchAndPreludeErrors) {
  auto s = make_service();
  EXPECT_EQ(call(s, "Echo", "").body, R"({"op":"Echo"})");  // an empty body is {}
  Response unknown = call(s, "Nope", "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("UnknownOperationException"), std::string::npos);
  Response malformed = call(s, "Echo", "{not json");
  EXPECT_NE(malformed.body.find("SerializationException"), std::string::npos);
  Response array = call(s, "Echo", "[]");
  EXPECT_NE(array.body.find("SerializationException"), std::string::npos);
  Response failed = call(s, "Echo", R"({"fail":true})");
  EXPECT_EQ(failed.status, 400);
  EXPECT_NE(failed.body.find("ValidationException"), std::string::npos);
}

// invoke() runs a handler on an already decoded input (the Query protocol's path).
TEST(AwsJson, InvokeDecodedInput) {
  auto s = make_service();
  rapidjson::Document in;
  in.Parse(R"({"x":1})");
  RequestContext ctx;
  ctx.operation = "Echo";
  std::string out;
  EXPECT_TRUE(s.invoke(ctx, "Echo", in, [&](Result<std::string> r) { out = *r; }));
  EXPECT_EQ(out, R"({"op":"Echo"})");
  EXPECT_FALSE(s.invoke(ctx, "Nope", in, [](Result<std::string>) { FAIL(); }));
  EXPECT_TRUE(s.has_operation("Echo"));
  EXPECT_FALSE(s.has_operation("Nope"));
}

// awsQueryCompatible services (SQS) name the legacy Query code and the fault in a header.
TEST(AwsJson, QueryErrorHeader) {
  JsonService sqs({"AmazonSQS", "application/x-amz-json-1.0", false, true});
  ApiError legacy{"QueueDoesNotExist", "m", 400, true, "com.amazonaws.sqs", {}, "AWS.SimpleQueueService.NonExistentQueue"};
  EXPECT_EQ(header(sqs.render_error(legacy), "x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  ApiError receiver{"InternalFailure", "m", 500, false, "com.amazonaws.sqs", {}};
  EXPECT_EQ(header(sqs.render_error(receiver), "x-amzn-query-error"), "InternalFailure;Receiver");
  EXPECT_EQ(header(make_service().render_error(legacy), "x-amzn-query-error"), "");
}

}  // namespace
}  // namespace runnel::protocol
