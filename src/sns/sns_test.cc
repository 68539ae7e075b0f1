// Unit tests of SNS's delivery pieces: retry policies (phases, limits, AWS's validation), the mails
// (RFC 5322 rendering, quoted-printable), and the mailbox on an in-memory store.
#include <future>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sns/delivery_policy.h"
#include "sns/email.h"
#include "sns/mailbox.h"
#include "sns/push.h"
#include "sns/service.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::sns {
namespace {

TEST(PushTask, StoredFormGoldenBytes) {
  PushTask t;
  t.id = 12;
  t.type = "Notification";
  t.subscription_arn = "arn:aws:sns:us-east-1:000000000000:t:1";
  t.protocol = "email";
  t.endpoint = "a@example.com";
  t.topic_arn = "arn:aws:sns:us-east-1:000000000000:t";
  t.message_id = "m";
  t.subject = "Hi";
  t.body = "line\n";
  t.raw = true;
  t.attempts = 2;
  // What runnel stores (and stored before the shared record codec) reads back.
  const std::string golden =
      R"({"type":"Notification","subscription":"arn:aws:sns:us-east-1:000000000000:t:1","protocol":"email",)"
      R"("endpoint":"a@example.com","topic":"arn:aws:sns:us-east-1:000000000000:t","message_id":"m","subject":"Hi",)"
      R"("body":"line\n","raw":true,"attempts":2})";
  EXPECT_EQ(encode_push_task(t), golden);
  auto back = decode_push_task(12, golden);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 12u);
  EXPECT_EQ(back->body, "line\n");
  EXPECT_EQ(encode_push_task(*back), golden);
  EXPECT_FALSE(decode_push_task(1, "not json"));
}

TEST(StoredTopicAndSubscription, GoldenBytes) {
  Topic t;
  t.account = "000000000000";
  t.region = "us-east-1";
  t.name = "n.fifo";
  t.attributes = {{"FifoTopic", "true"}};
  t.tags = {{"k", "v"}};
  const std::string topic_golden =
      R"({"account":"000000000000","region":"us-east-1","name":"n.fifo","attributes":{"FifoTopic":"true"},"tags":{"k":"v"}})";
  EXPECT_EQ(encode_topic(t), topic_golden);
  auto topic = decode_topic(topic_golden);
  ASSERT_TRUE(topic);
  EXPECT_TRUE(topic->fifo);
  EXPECT_EQ(encode_topic(*topic), topic_golden);

  Subscription s;
  s.id = "1";
  s.topic_arn = topic->arn();
  s.owner = "000000000000";
  s.protocol = "sqs";
  s.endpoint = "arn:aws:sqs:us-east-1:000000000000:q";
  s.confirmed = s.authenticated = true;
  s.attributes = {{"FilterPolicy", R"({"k":["v"]})"}};
  const std::string sub_golden =
      R"({"id":"1","topic":"arn:aws:sns:us-east-1:000000000000:n.fifo","owner":"000000000000","protocol":"sqs",)"
      R"("endpoint":"arn:aws:sqs:us-east-1:000000000000:q","confirmed":true,"authenticated":true,"token":"",)"
      R"("attributes":{"FilterPolicy":"{\"k\":[\"v\"]}"}})";
  EXPECT_EQ(encode_subscription(s), sub_golden);
  auto sub = decode_subscription(sub_golden);
  ASSERT_TRUE(sub);
  EXPECT_TRUE(sub->policy);  // compiled on the way in
  EXPECT_FALSE(sub->authenticate_on_unsubscribe);
  s.authenticate_on_unsubscribe = true;
  EXPECT_NE(encode_subscription(s).find(R"("authenticated":true,"auth_unsubscribe":true,"token")"), std::string::npos);
  // A store from before "authenticated" existed: a confirmation then counted as authenticated.
  auto old = decode_subscription(R"({"id":"2","topic":"arn:aws:sns:us-east-1:000000000000:t","confirmed":true})");
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->authenticated);
  EXPECT_FALSE(decode_subscription("{}"));
}

TEST(RetryPolicy, DefaultIsThreeRetriesTwentySecondsApart) {
  RetryPolicy p = effective_http_policy("", "").retry;
  EXPECT_EQ(p.delay_before_retry_ms(1), 20000);
  EXPECT_EQ(p.delay_before_retry_ms(3), 20000);
  EXPECT_EQ(p.delay_before_retry_ms(4), std::nullopt);
  EXPECT_EQ(p.delay_before_retry_ms(0), std::nullopt);
}

TEST(RetryPolicy, PhasesRunInOrder) {
  auto policy = effective_http_policy(
      "", R"({"healthyRetryPolicy":{"numRetries":10,"numNoDelayRetries":2,"numMinDelayRetries":2,"numMaxDelayRetries":2,
            "minDelayTarget":1,"maxDelayTarget":9,"backoffFunction":"linear"}})");
  const RetryPolicy& p = policy.retry;
  EXPECT_EQ(p.delay_before_retry_ms(1), 0);
  EXPECT_EQ(p.delay_before_retry_ms(2), 0);
  EXPECT_EQ(p.delay_before_retry_ms(3), 1000);
  EXPECT_EQ(p.delay_before_retry_ms(4), 1000);
  // Backoff: 4 retries rising linearly to the maximum.
  EXPECT_EQ(p.delay_before_retry_ms(5), 3000);
  EXPECT_EQ(p.delay_before_retry_ms(6), 5000);
  EXPECT_EQ(p.delay_before_retry_ms(7), 7000);
  EXPECT_EQ(p.delay_before_retry_ms(8), 9000);
  EXPECT_EQ(p.delay_before_retry_ms(9), 9000);
  EXPECT_EQ(p.delay_before_retry_ms(10), 9000);
  EXPECT_EQ(p.delay_before_retry_ms(11), std::nullopt);
}

TEST(RetryPolicy, BackoffCurvesStayBetweenMinAndMaxAndRise) {
  for (const char* fn : {"linear", "arithmetic", "geometric", "exponential"}) {
    auto p = effective_http_policy("", fmt::format(R"({{"healthyRetryPolicy":{{"numRetries":20,"minDelayTarget":2,"maxDelayTarget":100,"backoffFunction":"{}"}}}})", fn)).retry;
    int64_t last = 0;
    for (int r = 1; r <= 20; ++r) {
      int64_t d = *p.delay_before_retry_ms(r);
      EXPECT_GE(d, 2000) << fn;
      EXPECT_LE(d, 100000) << fn;
      EXPECT_GE(d, last) << fn << " retry " << r;
      last = d;
    }
    EXPECT_EQ(last, 100000) << fn;
  }
}

TEST(RetryPolicy, TopicDefaultsApplyUnlessTheSubscriptionOverrides) {
  std::string topic = R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":3,"maxDelayTarget":3},"defaultRequestPolicy":{"headerContentType":"application/json"}}})";
  std::string sub = R"({"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":7,"maxDelayTarget":7}})";
  EXPECT_EQ(effective_http_policy(topic, "").retry.num_retries, 5);
  EXPECT_EQ(effective_http_policy(topic, "").content_type, "application/json");
  EXPECT_EQ(effective_http_policy(topic, sub).retry.num_retries, 1);
  std::string locked = R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":3,"maxDelayTarget":3},"disableSubscriptionOverrides":true}})";
  EXPECT_EQ(effective_http_policy(locked, sub).retry.num_retries, 5);
}

TEST(RetryPolicy, EmailPolicyIsAwsFifty) {
  RetryPolicy p = email_retry_policy();
  EXPECT_EQ(p.delay_before_retry_ms(1), 10000);
  EXPECT_EQ(p.delay_before_retry_ms(2), 10000);
  EXPECT_EQ(p.delay_before_retry_ms(12), 600000);
  EXPECT_EQ(p.delay_before_retry_ms(50), 600000);
  EXPECT_EQ(p.delay_before_retry_ms(51), std::nullopt);
}

TEST(DeliveryPolicyValidation, AwsMessages) {
  auto message = [](std::string_view json) {
    auto s = validate_subscription_delivery_policy(json);
    return s.ok() ? std::string("ok") : s.error().message;
  };
  EXPECT_EQ(message(R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":1,"maxDelayTarget":5}})"), "ok");
  EXPECT_EQ(message(R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":0,"maxDelayTarget":5}})"),
            "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or equal to 1");
  EXPECT_EQ(message(R"({"healthyRetryPolicy":{"numRetries":101,"minDelayTarget":1,"maxDelayTarget":1}})"),
            "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.numRetries must be less than or equal to 100");
  EXPECT_EQ(message(R"({"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1}})"),
            "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.numRetries is required");
  EXPECT_EQ(message(R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":9,"maxDelayTarget":5}})"),
            "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be less than or equal to healthyRetryPolicy.maxDelayTarget");
  EXPECT_NE(message(R"({"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":60,"maxDelayTarget":60}})"), "ok");  // 6,000 s
  EXPECT_NE(message(R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":1,"maxDelayTarget":5,"backoffFunction":"cubic"}})"), "ok");
  EXPECT_NE(message(R"({"throttlePolicy":{"maxReceivesPerSecond":0}})"), "ok");
  EXPECT_NE(message(R"({"requestPolicy":{"headerContentType":"image/png"}})"), "ok");
  EXPECT_EQ(message(R"({"requestPolicy":{"headerContentType":"application/json; charset=UTF-8"}})"), "ok");
  EXPECT_EQ(message("not json"), "Invalid parameter: DeliveryPolicy: failed to parse JSON");
  EXPECT_TRUE(validate_topic_delivery_policy(R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":3,"minDelayTarget":20,"maxDelayTarget":20,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})").ok());
  EXPECT_FALSE(validate_topic_delivery_policy(R"({"http":{"disableSubscriptionOverrides":"yes"}})").ok());
}

TEST(Email, RendersRfc5322WithQuotedPrintableBody) {
  Email mail;
  mail.from = email_from("");
  mail.to = "ops@example.com";
  mail.subject = "Grüße";
  mail.body = "line one\nJSON {\"a\":\"=\"}\n" + std::string(100, 'x') + "\ntrailing space \n";
  mail.message_id = "abc";
  mail.date_ms = 1700000000000;
  std::string raw = rfc5322(mail);
  EXPECT_NE(raw.find("From: \"AWS Notifications\" <no-reply@sns.amazonaws.com>\r\n"), std::string::npos);
  EXPECT_NE(raw.find("To: ops@example.com\r\n"), std::string::npos);
  EXPECT_NE(raw.find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), std::string::npos);
  EXPECT_NE(raw.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos);
  EXPECT_NE(raw.find("\r\n\r\nline one\r\nJSON {\"a\":\"=3D\"}\r\n"), std::string::npos);
  EXPECT_NE(raw.find("trailing space=20\r\n"), std::string::npos);
  // No line longer than 78 characters, every line CRLF-terminated.
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 78u);
    start = end + 2;
  }
}

TEST(Email, BodiesCarryTheirLinks) {
  EXPECT_NE(notification_email_body("hello", "http://h/?Action=Unsubscribe").find("hello\n\n--\nIf you wish to stop receiving"), std::string::npos);
  EXPECT_NE(confirmation_email_body("arn:aws:sns:us-east-1:1:t", "http://h/confirm").find("http://h/confirm"), std::string::npos);
  EXPECT_EQ(url_encode("a b&c=d:e"), "a%20b%26c%3Dd:e");
}

TEST(Mailbox, StoresListsFiltersAndRendersRaw) {
  storage::EngineOptions o;
  o.in_memory = true;
  o.path = "/sns-mailbox-test";
  auto engine = std::move(storage::Engine::open(o)).value();
  storage::Writer writer(*engine);
  Mailbox box(*engine);
  ASSERT_TRUE(box.start().ok());
  auto add = [&](std::string to, std::string subject) {
    std::promise<bool> done;
    writer.submit([&](storage::WriteTxn& txn) {
      StoredMail m;
      m.mail.to = to;
      m.mail.subject = subject;
      m.mail.body = "body of " + subject;
      m.mail.from = email_from("");
      m.topic_arn = subject == "one" ? "arn:aws:sns:us-east-1:111111111111:t" : "arn:aws:sns:us-east-1:000000000000:t";
      box.add(txn, m);
      return true;
    }, [&](bool ok) { done.set_value(ok); });
    ASSERT_TRUE(done.get_future().get());
  };
  add("a@example.com", "one");
  add("b@example.com", "two");
  add("A@example.com", "three");
  EXPECT_EQ(box.list("", 0, 100).size(), 3u);
  // Scoped to an account: the topic's that sent the mail.
  EXPECT_EQ(box.list("", 0, 100, "111111111111").size(), 1u);
  EXPECT_EQ(box.list("", 0, 100, "111111111111")[0].mail.subject, "one");
  EXPECT_EQ(box.list("", 0, 100, "222222222222").size(), 0u);
  EXPECT_EQ(box.http_get("id=1", "222222222222").status, 404);
  EXPECT_EQ(box.http_get("id=1", "111111111111").status, 200);
  EXPECT_EQ(box.http_get("after=0", "222222222222").body, R"({"messages":[]})");
  // Golden bytes of the listing (the stored form with the id first), as before the record codec.
  EXPECT_EQ(box.http_get("after=0", "111111111111").body,
            R"({"messages":[{"id":1,"to":"a@example.com","from":"\"AWS Notifications\" <no-reply@sns.amazonaws.com>",)"
            R"("subject":"one","body":"body of one","message_id":"","date_ms":0,)"
            R"("topic_arn":"arn:aws:sns:us-east-1:111111111111:t","subscription_arn":""}]})");
  auto to_a = box.list("a@EXAMPLE.com", 0, 100);
  ASSERT_EQ(to_a.size(), 2u);
  EXPECT_EQ(to_a[1].mail.subject, "three");
  EXPECT_EQ(box.list("", to_a[0].id, 100).size(), 2u);
  auto raw = box.http_get(fmt::format("id={}&format=raw", to_a[1].id));
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.content_type, "message/rfc822");
  EXPECT_NE(raw.body.find("Subject: three\r\n"), std::string::npos);
  EXPECT_EQ(box.http_get("id=999").status, 404);
  EXPECT_EQ(box.http_get("after=x").status, 400);
  // A second mailbox on the same store continues the ids.
  Mailbox again(*engine);
  ASSERT_TRUE(again.start().ok());
  EXPECT_EQ(box.list("", 0, 100).back().id + 0, 3u);
  writer.stop();
}

}  // namespace
}  // namespace runnel::sns
