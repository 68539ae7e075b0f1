// Routing of JSON and Query requests (Router::handle without a socket).
#include "http/router.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace runnel::http {
namespace {

using protocol::JsonReply;
using protocol::RequestContext;
using protocol::Response;

constexpr std::string_view kForm = "application/x-www-form-urlencoded; charset=utf-8";

std::string sqs_auth(std::string_view service = "sqs", std::string_view key = "AKID") {
  return "AWS4-HMAC-SHA256 Credential=" + std::string(key) + "/20240101/eu-west-1/" + std::string(service) +
         "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
}

// Every handler answers with what the router told it, so tests can see the context.
protocol::JsonHandler echo(std::string who) {
  return [who](const RequestContext& ctx, const rapidjson::Document&, JsonReply reply) {
    reply(R"({"Who":")" + who + R"(","Host":")" + ctx.host + R"(","Path":")" + ctx.path + R"(","Region":")" +
          ctx.region + R"(","Op":")" + ctx.operation + R"("})");
  };
}

struct Fixture {
  protocol::JsonService ddb{{"DynamoDB_20120810", "application/x-amz-json-1.0", true}};
  protocol::JsonService sqs_json{{"AmazonSQS", "application/x-amz-json-1.0", false, true}};
  protocol::JsonService sns_json{{"", "application/x-amz-json-1.0", false}};
  protocol::QueryService sqs{{"", "sqs", true}, sqs_json, protocol::QueryModel::sqs()};
  protocol::QueryService sns{{"", "sns", false}, sns_json, protocol::QueryModel::sns()};
  Router router;

  explicit Fixture(RouterOptions options = {}) : router(std::move(options)) {
    ddb.add("ListTables", protocol::kReads, echo("ddb"));
    ddb.add("BatchWriteItem", {.mutating = true, .body_limit = 100}, echo("ddb"));
    for (auto op : {"GetQueueUrl", "AddPermission", "SendMessage"}) sqs_json.add(op, protocol::kWrites, echo("sqs"));
    sqs_json.add("ReceiveMessage", {.mutating = true, .long_poll = true}, echo("sqs"));
    for (auto op : {"AddPermission", "Publish"}) sns_json.add(op, protocol::kWrites, echo("sns"));
    sns_json.add("ConfirmSubscription", {.mutating = true, .anonymous = true}, echo("sns"));
    router.add_json_service(&ddb, "dynamodb");
    router.add_json_service(&sqs_json, "sqs");
    router.add_query_service(&sns, "sns");
    router.add_query_service(&sqs, "sqs");
  }

  // A request's head as the server hands it over before reading the body (body_limit, too_large);
  // its views point into the fixture, valid until the next call.
  HttpRequest head(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers) {
    headers_ = std::move(headers);
    method_ = std::move(method);
    target_ = std::move(target);
    HttpRequest req;
    req.method = method_;
    req.target = target_;
    for (const auto& [k, v] : headers_) req.headers.emplace_back(k, v);
    return req;
  }

  Response send(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers,
                std::string body = {}, size_t in_flight = 1) {
    HttpRequest req = head(std::move(method), std::move(target), std::move(headers));
    req.body = std::move(body);
    req.in_flight = in_flight;
    Response out;
    out.status = -1;
    router.handle(req, [&](Response r) { out = std::move(r); });
    last_long_poll = req.long_poll;
    return out;
  }

  bool last_long_poll = false;

 private:
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string method_, target_;
};

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(RouterQuery, SignedFormGoesToTheScopesService) {
  Fixture f;
  Response r = f.send("POST", "/", {{"Host", "localhost:4566"}, {"Content-Type", std::string(kForm)},
                                    {"Authorization", sqs_auth("sqs")}, {"X-Amz-Date", "20240101T000000Z"}},
                      "Action=GetQueueUrl&Version=2012-11-05&QueueName=q");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_TRUE(contains(r.body, "<GetQueueUrlResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"));
  // AddPermission is in both models: the scope decides.
  Response sns = f.send("POST", "/", {{"Content-Type", "Application/X-WWW-Form-Urlencoded"},
                                      {"Authorization", sqs_auth("sns")}, {"X-Amz-Date", "20240101T000000Z"}},
                        "Action=AddPermission&TopicArn=t");
  EXPECT_TRUE(contains(sns.body, "<AddPermissionResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"))
      << sns.body;
  Response sqs = f.send("POST", "/", {{"Content-Type", std::string(kForm)}, {"Authorization", sqs_auth("sqs")},
                                      {"X-Amz-Date", "20240101T000000Z"}},
                        "Action=AddPermission&QueueUrl=u");
  EXPECT_TRUE(contains(sqs.body, "<AddPermissionResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"));
  EXPECT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers.back().first, "x-amzn-RequestId");
  EXPECT_TRUE(contains(r.body, "<RequestId>" + r.headers.back().second + "</RequestId>"));
}

TEST(RouterQuery, UnsignedRequestsGoByAction) {
  Fixture f;
  // A browser following an SNS confirmation link.
  Response confirm = f.send("GET", "/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A0%3At&Token=x",
                            {{"Host", "h:1"}});
  EXPECT_EQ(confirm.status, 200) << confirm.body;
  EXPECT_TRUE(contains(confirm.body, "ConfirmSubscriptionResponse"));
  Response send = f.send("POST", "/000000000000/q", {{"Content-Type", std::string(kForm)}},
                         "Action=SendMessage&MessageBody=x");
  EXPECT_TRUE(contains(send.body, "<SendMessageResponse xmlns=\"http://queue.amazonaws.com")) << send.body;
  // Shared action, no scope: the first registered service (SNS) wins.
  Response tie = f.send("POST", "/", {{"Content-Type", std::string(kForm)}}, "Action=AddPermission");
  EXPECT_TRUE(contains(tie.body, "sns.amazonaws.com")) << tie.body;
  // No Action at all: the first registered service says so.
  Response missing = f.send("POST", "/", {{"Content-Type", std::string(kForm)}}, "Version=2010-03-31");
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(contains(missing.body, "<Code>MissingAction</Code>"));
  Response unknown = f.send("GET", "/?Action=Nope", {});
  EXPECT_TRUE(contains(unknown.body, "<Code>InvalidAction</Code>"));
  // A GET whose query string has no Action is no Query request: at / it is DynamoDB's health
  // check, elsewhere a path no service owns.
  Response root = f.send("GET", "/?x=1", {});
  EXPECT_EQ(root.status, 200);
  EXPECT_TRUE(contains(root.body, "healthy: ")) << root.body;
  Response other = f.send("GET", "/elsewhere?x=1", {});
  EXPECT_EQ(other.status, 404);
  EXPECT_TRUE(contains(other.body, "UnknownOperationException"));
}

TEST(RouterQuery, PresignedScopeRoutesAndNamesTheRegion) {
  Fixture f;
  Response r = f.send("GET",
                      "/?Action=AddPermission&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2F"
                      "ap-south-1%2Fsqs%2Faws4_request&X-Amz-Signature=00",
                      {});
  EXPECT_TRUE(contains(r.body, "queue.amazonaws.com")) << r.body;
}

TEST(RouterQuery, JsonTargetWinsOnAnyPathAndContextIsFilled) {
  Fixture f;
  Response r = f.send("POST", "/000000000000/orders?x=1",
                      {{"Host", "localhost:4566"}, {"X-Amz-Target", "AmazonSQS.GetQueueUrl"},
                       {"Content-Type", "application/x-amz-json-1.0"}},
                      "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(contains(r.body, R"("Who":"sqs","Host":"localhost:4566","Path":"/000000000000/orders")")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("Op":"GetQueueUrl")"));
  Response ddb = f.send("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.ListTables"}}, "{}");
  EXPECT_TRUE(contains(ddb.body, R"("Who":"ddb")"));
  // Form content type but an X-Amz-Target: JSON.
  Response both = f.send("POST", "/", {{"X-Amz-Target", "AmazonSQS.GetQueueUrl"}, {"Content-Type", std::string(kForm)}},
                         "{}");
  EXPECT_TRUE(contains(both.body, R"("Who":"sqs")"));
}

TEST(RouterQuery, AuthAndThrottlingErrorsAreXml) {
  RouterOptions options;
  auto store = std::make_shared<auth::CredentialStore>();
  store->add("AKID", "secret");
  options.credentials = store;
  Fixture f(options);
  Response bad_key = f.send("POST", "/", {{"Content-Type", std::string(kForm)}, {"Authorization", sqs_auth("sqs", "NOPE")},
                                          {"X-Amz-Date", "20240101T000000Z"}},
                            "Action=GetQueueUrl&QueueName=q");
  EXPECT_EQ(bad_key.status, 403);
  EXPECT_TRUE(contains(bad_key.body, "<Code>InvalidClientTokenId</Code>")) << bad_key.body;
  EXPECT_TRUE(contains(bad_key.body, "queue.amazonaws.com"));
  Response unsigned_send = f.send("POST", "/", {{"Content-Type", std::string(kForm)}}, "Action=Publish&TopicArn=t");
  EXPECT_EQ(unsigned_send.status, 403);
  EXPECT_TRUE(contains(unsigned_send.body, "<Code>MissingAuthenticationToken</Code>")) << unsigned_send.body;
  // SNS links work unsigned even with verification on.
  Response confirm = f.send("GET", "/?Action=ConfirmSubscription&TopicArn=t&Token=x", {});
  EXPECT_EQ(confirm.status, 200) << confirm.body;
  // JSON services keep their own error shape.
  Response ddb = f.send("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.ListTables"}}, "{}");
  EXPECT_TRUE(contains(ddb.body, "MissingAuthenticationTokenException"));

  Fixture open;
  Response throttled = open.send("POST", "/", {{"Content-Type", std::string(kForm)}}, "Action=SendMessage", 1u << 30);
  EXPECT_TRUE(contains(throttled.body, "<Code>Throttling</Code>")) << throttled.body;
  Response json_throttled = open.send("POST", "/", {{"X-Amz-Target", "AmazonSQS.GetQueueUrl"}}, "{}", 1u << 30);
  EXPECT_TRUE(contains(json_throttled.body, "ThrottlingException"));
  bool header = false;
  for (const auto& [k, v] : json_throttled.headers) header |= k == "x-amzn-query-error" && v == "Throttling;Sender";
  EXPECT_TRUE(header);
}

// Each service is listed once under its name (the SQS JSON and Query services are one service),
// and GET /_runnel/health is answered, unsigned, by the builder main hands over (admin::Health).
TEST(RouterQuery, HealthListsQueryServices) {
  Fixture f;
  EXPECT_EQ(f.router.service_names(), (std::vector<std::string>{"dynamodb", "sqs", "sns"}));
  f.router.set_health([] {
    Response r;
    r.content_type = "application/json";
    r.body = R"({"status":"ok"})";
    return r;
  });
  Response r = f.send("GET", "/_runnel/health", {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
}

// A REST service answers by path, under a UUID request id that the service is given too (Lambda's
// Invoke runs the invocation under it), so the client's x-amzn-RequestId is the function's id.
class PathEcho : public protocol::RestService {
 public:
  bool owns_path(std::string_view path) const override { return path.starts_with("/2015-03-31/functions"); }
  std::string_view signing_name() const override { return "lambda"; }
  void dispatch(RequestContext ctx, protocol::RestRequest& request, protocol::Reply reply) const override {
    Response r;
    r.status = 200;
    r.content_type = "application/json";
    r.body = R"({"Path":")" + ctx.path + R"(","Method":")" + std::string(request.method) + R"(","Id":")" +
             ctx.request_id + R"("})";
    reply(std::move(r));
  }
  Response render_error(const ApiError& error) const override {
    Response r;
    r.status = error.http_status;
    r.body = error.code;
    return r;
  }
  const protocol::Operation* operation(std::string_view method, std::string_view path) const override {
    if (method == "POST" && path.ends_with("/invocations")) return &invoke_;
    return nullptr;
  }
  void for_each_operation(const std::function<void(const protocol::Operation&)>& visit) const override { visit(invoke_); }
  Response request_too_large(const protocol::Operation* operation, size_t limit) const override {
    Response r;
    r.status = 413;
    r.body = "too large for " + (operation ? operation->name : std::string("?")) + " over " + std::to_string(limit);
    return r;
  }

 private:
  protocol::Operation invoke_{"Invoke", {.mutating = true, .body_limit = 5000}};
};

TEST(RouterRest, PathRoutesAndTheServiceSeesTheRequestId) {
  Fixture f;
  PathEcho lambda;
  f.router.add_rest_service(&lambda);
  std::vector<std::pair<std::string, std::string>> signed_headers{{"Authorization", sqs_auth("lambda")},
                                                                  {"X-Amz-Date", "20240101T000000Z"}};
  Response invoke = f.send("POST", "/2015-03-31/functions/fn/invocations", signed_headers, "{}");
  EXPECT_EQ(invoke.status, 200) << invoke.body;
  EXPECT_TRUE(contains(invoke.body, R"("Path":"/2015-03-31/functions/fn/invocations","Method":"POST")")) << invoke.body;
  int ids = 0;
  for (const auto& [k, v] : invoke.headers)
    if (k == "X-Amzn-RequestId" || k == "x-amzn-RequestId") {
      ++ids;
      EXPECT_TRUE(contains(invoke.body, R"("Id":")" + v + R"(")")) << invoke.body;
      EXPECT_EQ(v.size(), 36u);  // a UUID, as Lambda's
    }
  EXPECT_EQ(ids, 1);

  Response get = f.send("GET", "/2015-03-31/functions/fn", signed_headers);
  EXPECT_EQ(get.status, 200) << get.body;
  ASSERT_FALSE(get.headers.empty());
  EXPECT_EQ(get.headers.back().first, "x-amzn-RequestId");
  EXPECT_EQ(get.headers.back().second.size(), 36u);  // a UUID, as Lambda's
}

// Traits from the operation tables: the body limit a request's operation reads (known from the
// head alone for JSON and REST; a Query request's Action is in the body, so its service's default),
// the 413 in the caller's own protocol, long polls, and the listing.
TEST(RouterOperations, BodyLimitFromTheOperationsTraits) {
  RouterOptions options;
  options.max_body_bytes = 1000;
  Fixture f(options);
  PathEcho lambda;
  f.router.add_rest_service(&lambda);
  EXPECT_EQ(f.router.body_limit(f.head("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.BatchWriteItem"}})), 100u);
  EXPECT_EQ(f.router.body_limit(f.head("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.ListTables"}})), 1000u);
  EXPECT_EQ(f.router.body_limit(f.head("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.NoSuch"}})), 1000u);
  EXPECT_EQ(f.router.body_limit(f.head("POST", "/2015-03-31/functions/f/invocations?x=1", {})), 5000u);
  EXPECT_EQ(f.router.body_limit(f.head("GET", "/2015-03-31/functions/f", {})), 1000u);
  EXPECT_EQ(f.router.body_limit(f.head("POST", "/", {{"Content-Type", std::string(kForm)}})), 1000u);
}

TEST(RouterOperations, TooLargeIsAnsweredInTheCallersProtocol) {
  RouterOptions options;
  options.max_body_bytes = 1000;
  Fixture f(options);
  PathEcho lambda;
  f.router.add_rest_service(&lambda);
  Response json = f.router.too_large(f.head("POST", "/", {{"X-Amz-Target", "DynamoDB_20120810.BatchWriteItem"}}), 100);
  EXPECT_EQ(json.status, 413);
  EXPECT_EQ(json.content_type, "application/x-amz-json-1.0");
  EXPECT_TRUE(contains(json.body, R"("__type":"com.amazon.coral.service#RequestEntityTooLargeException")")) << json.body;
  EXPECT_TRUE(contains(json.body, "Request must be smaller than 100 bytes for the BatchWriteItem operation")) << json.body;
  bool crc = false, id = false;
  for (const auto& [k, v] : json.headers) {
    crc |= k == "x-amz-crc32";
    id |= k == "x-amzn-RequestId";
  }
  EXPECT_TRUE(crc && id);

  Response sqs_json = f.router.too_large(f.head("POST", "/", {{"X-Amz-Target", "AmazonSQS.SendMessage"}}), 1000);
  EXPECT_EQ(sqs_json.status, 413);
  bool query_error = false;
  for (const auto& [k, v] : sqs_json.headers) query_error |= k == "x-amzn-query-error" && v == "RequestEntityTooLargeException;Sender";
  EXPECT_TRUE(query_error);

  Response query = f.router.too_large(f.head("POST", "/", {{"Content-Type", std::string(kForm)},
                                                            {"Authorization", sqs_auth("sqs")}}), 1000);
  EXPECT_EQ(query.status, 413);
  EXPECT_EQ(query.content_type, "text/xml");
  EXPECT_TRUE(contains(query.body, "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">")) << query.body;
  EXPECT_TRUE(contains(query.body, "<Code>RequestEntityTooLargeException</Code>")) << query.body;

  Response sns = f.router.too_large(f.head("POST", "/", {{"Content-Type", std::string(kForm)},
                                                          {"Authorization", sqs_auth("sns")}}), 1000);
  EXPECT_TRUE(contains(sns.body, "http://sns.amazonaws.com/doc/2010-03-31/")) << sns.body;

  Response rest = f.router.too_large(f.head("POST", "/2015-03-31/functions/f/invocations", {}), 5000);
  EXPECT_EQ(rest.status, 413);
  EXPECT_EQ(rest.body, "too large for Invoke over 5000");
}

TEST(RouterOperations, LongPollAndAnonymousComeFromTraits) {
  Fixture f;
  f.send("POST", "/", {{"X-Amz-Target", "AmazonSQS.ReceiveMessage"}, {"Content-Type", "application/x-amz-json-1.0"}}, "{}");
  EXPECT_TRUE(f.last_long_poll);
  f.send("POST", "/", {{"X-Amz-Target", "AmazonSQS.SendMessage"}, {"Content-Type", "application/x-amz-json-1.0"}}, "{}");
  EXPECT_FALSE(f.last_long_poll);
}

TEST(RouterOperations, ListsEveryServiceAndProtocol) {
  Fixture f;
  PathEcho lambda;
  f.router.add_rest_service(&lambda);
  std::vector<std::string> seen;
  f.router.for_each_operation([&](std::string_view service, std::string_view protocol, const protocol::Operation& op) {
    seen.push_back(std::string(service) + "/" + std::string(protocol) + "/" + op.name);
  });
  auto has = [&](const std::string& entry) { return std::find(seen.begin(), seen.end(), entry) != seen.end(); };
  EXPECT_TRUE(has("dynamodb/json/BatchWriteItem"));
  EXPECT_TRUE(has("sqs/json/ReceiveMessage"));
  EXPECT_TRUE(has("sqs/query/ReceiveMessage"));
  EXPECT_TRUE(has("sns/query/ConfirmSubscription"));
  EXPECT_FALSE(has("sns/query/Unsubscribe"));  // modeled, but the fixture has no handler for it
  EXPECT_TRUE(has("lambda/rest-json/Invoke"));
}

}  // namespace
}  // namespace runnel::http
