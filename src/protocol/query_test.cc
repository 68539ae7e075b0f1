// QueryService: the same JsonService handlers answer Query requests; errors render as XML.
#include "protocol/query.h"

#include <gtest/gtest.h>

namespace runnel::protocol {
namespace {

// SQS-like handlers: GetQueueUrl echoes what it was given, SendMessage fails as told.
JsonService sqs_handlers() {
  JsonService s({"AmazonSQS", "application/x-amz-json-1.0", false, true});
  s.add("GetQueueUrl", kReads, [](const RequestContext& ctx, const rapidjson::Document& in, JsonReply reply) {
    std::string name = in.HasMember("QueueName") ? in["QueueName"].GetString() : "";
    reply("{\"QueueUrl\":\"http://" + ctx.host + "/" + ctx.account + "/" + name + "\",\"Op\":\"" + ctx.operation + "\"}");
  });
  s.add("SendMessage", kWrites, [](const RequestContext&, const rapidjson::Document& in, JsonReply reply) {
    std::string body = in.HasMember("MessageBody") ? in["MessageBody"].GetString() : "";
    if (body == "missing") {
      reply(ApiError{"QueueDoesNotExist", "The specified queue does not exist.", 400, true, "com.amazonaws.sqs", {}});
    } else if (body == "crash") {
      reply(ApiError{"InternalFailure", "boom", 500, false, "com.amazonaws.sqs", {}});
    } else if (body == "bad output") {
      reply(std::string("not json"));
    } else {
      reply(std::string(R"({"MessageId":"m-1","MD5OfMessageBody":"abc"})"));
    }
  });
  s.add("DeleteQueue", kWrites, [](const RequestContext&, const rapidjson::Document&, JsonReply reply) { reply(std::string("{}")); });
  return s;
}

Response call(const QueryService& q, std::string_view form, RequestContext ctx = {}) {
  Response out;
  out.status = -1;
  if (ctx.request_id.empty()) ctx.request_id = "rid";
  q.dispatch(std::move(ctx), parse_form(form), [&](Response r) { out = std::move(r); });
  return out;
}

TEST(QueryService, RunsTheJsonHandlerAndRendersXml) {
  JsonService json = sqs_handlers();
  QueryService q({"", "sqs", true}, json, QueryModel::sqs());
  RequestContext ctx;
  ctx.account = "000000000000";
  ctx.host = "localhost:4566";
  Response r = call(q, "Action=GetQueueUrl&Version=2012-11-05&QueueName=orders", ctx);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_EQ(r.body,
            "<?xml version=\"1.0\"?><GetQueueUrlResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<GetQueueUrlResult><QueueUrl>http://localhost:4566/000000000000/orders</QueueUrl></GetQueueUrlResult>"
            "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetQueueUrlResponse>");
  Response deleted = call(q, "Action=DeleteQueue&QueueUrl=u");
  EXPECT_EQ(deleted.body,
            "<?xml version=\"1.0\"?><DeleteQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteQueueResponse>");
}

TEST(QueryService, ActionErrors) {
  JsonService json = sqs_handlers();
  QueryService q({"", "sqs", true}, json, QueryModel::sqs());
  Response missing = call(q, "Version=2012-11-05");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("<Code>MissingAction</Code>"), std::string::npos);
  Response unknown = call(q, "Action=Frobnicate");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("<Code>InvalidAction</Code><Message>The action Frobnicate is not valid for this "
                              "endpoint.</Message><Detail/>"),
            std::string::npos);
  // In the model, but no handler registered (yet): also InvalidAction.
  Response unimplemented = call(q, "Action=PurgeQueue&QueueUrl=u");
  EXPECT_NE(unimplemented.body.find("<Code>InvalidAction</Code>"), std::string::npos);
}

TEST(QueryService, HandlerErrorsUseTheLegacyCode) {
  JsonService json = sqs_handlers();
  QueryService q({"", "sqs", true}, json, QueryModel::sqs());
  // No query_code on the ApiError: the model's table maps the shape name to the legacy code.
  Response r = call(q, "Action=SendMessage&QueueUrl=u&MessageBody=missing");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_EQ(r.body,
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error>"
            "<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"
            "<Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>rid</RequestId>"
            "</ErrorResponse>");
  Response crash = call(q, "Action=SendMessage&QueueUrl=u&MessageBody=crash");
  EXPECT_EQ(crash.status, 500);
  EXPECT_NE(crash.body.find("<Type>Receiver</Type><Code>InternalFailure</Code>"), std::string::npos);
  Response bad = call(q, "Action=SendMessage&QueueUrl=u&MessageBody=bad+output");
  EXPECT_EQ(bad.status, 500);
  EXPECT_NE(bad.body.find("<Code>InternalFailure</Code>"), std::string::npos);
}

TEST(QueryService, SnsOmitsDetailAndHonoursOptions) {
  JsonService json({"", "application/x-amz-json-1.0", false});
  json.add("Publish", kWrites, [](const RequestContext&, const rapidjson::Document&, JsonReply reply) {
    reply(ApiError{"NotFound", "Topic does not exist", 404, true, "", {}});
  });
  json.add("ConfirmSubscription", {.mutating = true, .anonymous = true},
           [](const RequestContext&, const rapidjson::Document&, JsonReply reply) { reply(std::string("{}")); });
  QueryService q({"", "sns", false}, json, QueryModel::sns());
  EXPECT_EQ(q.xml_namespace(), "http://sns.amazonaws.com/doc/2010-03-31/");
  EXPECT_EQ(q.signing_name(), "sns");
  // An action's traits are its handler's table entry's.
  ASSERT_NE(q.operation("ConfirmSubscription"), nullptr);
  EXPECT_TRUE(q.operation("ConfirmSubscription")->traits.anonymous);
  EXPECT_FALSE(q.operation("Publish")->traits.anonymous);
  EXPECT_EQ(q.operation("Unsubscribe"), nullptr);  // modeled, but no handler
  EXPECT_EQ(q.operation("NoSuchAction"), nullptr);
  EXPECT_TRUE(q.has_action("Publish"));
  EXPECT_FALSE(q.has_action("SendMessage"));
  Response r = call(q, "Action=Publish&TopicArn=t&Message=m");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body,
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>"
            "<Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error>"
            "<RequestId>rid</RequestId></ErrorResponse>");
}

TEST(QueryModel, EmbeddedModelsAndErrorTable) {
  const QueryModel& sqs = QueryModel::sqs();
  EXPECT_EQ(sqs.api_version(), "2012-11-05");
  EXPECT_EQ(sqs.operations().size(), 23u);  // 20 from the Query model + 3 message-move operations
  EXPECT_EQ(QueryModel::sns().operations().size(), 42u);
  const QueryOperation* receive = sqs.operation("ReceiveMessage");
  ASSERT_NE(receive, nullptr);
  EXPECT_EQ(receive->result_wrapper, "ReceiveMessageResult");
  EXPECT_EQ(sqs.operation("DeleteQueue")->output, nullptr);

  ApiError e = sqs.exception("QueueDoesNotExist", "gone", "com.amazonaws.sqs");
  EXPECT_EQ(e.code, "QueueDoesNotExist");
  EXPECT_EQ(e.query_code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(e.json_namespace, "com.amazonaws.sqs");
  ApiError purge = sqs.exception("PurgeQueueInProgress", "m", "com.amazonaws.sqs");
  EXPECT_EQ(purge.http_status, 403);
  ApiError same = sqs.exception("ReceiptHandleIsInvalid", "m", "com.amazonaws.sqs");
  EXPECT_EQ(same.query_code, "");  // the legacy code is the shape name
  EXPECT_EQ(QueryModel::sns().error("NotFoundException")->code, "NotFound");
  EXPECT_EQ(QueryModel::sns().error("NotFoundException")->http_status, 404);
  EXPECT_EQ(sqs.error("NoSuchShape"), nullptr);
}

TEST(QueryModel, RejectsMalformedModels) {
  EXPECT_FALSE(QueryModel::parse("{").ok());
  EXPECT_FALSE(QueryModel::parse("{}").ok());
  EXPECT_FALSE(QueryModel::parse(R"({"metadata":{},"operations":{},"shapes":{"A":{"type":"what"}}})").ok());
  EXPECT_FALSE(QueryModel::parse(
      R"({"metadata":{},"operations":{},"shapes":{"A":{"type":"list","member":{"shape":"B"}}}})").ok());
  EXPECT_FALSE(QueryModel::parse(
      R"({"metadata":{},"operations":{"Op":{"input":"S"}},"shapes":{"S":{"type":"string"}}})").ok());
  EXPECT_TRUE(QueryModel::parse(
      R"({"metadata":{"xmlNamespace":"ns"},"operations":{"Op":{"input":"S"}},
          "shapes":{"S":{"type":"structure","members":{"A":{"shape":"S"}}}}})").ok());  // recursion is fine
}

}  // namespace
}  // namespace runnel::protocol
