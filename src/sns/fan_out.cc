// Publish fan-out: which subscriptions get a message and in what form — SQS by an in-process
// enqueue into the publishing batch, HTTP/S and email as durable push tasks (sns/push.h), Lambda
// as an asynchronous invocation stored in the same batch — plus the confirmation messages and the
// dead-letter path.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "common/json_parse.h"
#include "common/base64.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "common/uuid.h"
#include "ports/dead_letter.h"
#include "sns/access.h"
#include "sns/email.h"
#include "sns/push.h"
#include "sns/service.h"

namespace runnel::sns {

namespace {

std::string base_url(std::string_view host) { return fmt::format("http://{}", host.empty() ? "localhost:4566" : host); }

std::string unsubscribe_url(const Subscription& sub, std::string_view host) {
  return base_url(host) + "/?Action=Unsubscribe&SubscriptionArn=" + url_encode(sub.arn());
}

bool attribute_is(const std::map<std::string, std::string>& attributes, const char* name, std::string_view value) {
  auto it = attributes.find(name);
  return it != attributes.end() && it->second == value;
}

// "MessageAttributes":{"name":{"Type":..,"Value":..}}, binary values in base64.
void write_message_attributes(JsonWriter& w, const FilterAttributes& attributes) {
  w.Key("MessageAttributes");
  w.StartObject();
  for (const auto& [name, a] : attributes) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    key_string(w, "Type", a.data_type);
    key_string(w, "Value", a.data_type.starts_with("Binary") ? base64_encode(a.string_value) : a.string_value);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

std::string notification_envelope(const Topic& topic, const Subscription& sub, const Service::Message& m,
                                   std::string_view message, std::string_view host) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  std::string base = base_url(host);
  w.StartObject();
  key_string(w, "Type", "Notification");
  key_string(w, "MessageId", m.message_id);
  if (topic.fifo) key_string(w, "SequenceNumber", fmt::format("{:020d}", m.sequence));
  key_string(w, "TopicArn", topic.arn());
  if (!m.subject.empty()) key_string(w, "Subject", m.subject);
  key_string(w, "Message", message);
  key_string(w, "Timestamp", m.timestamp);
  key_string(w, "SignatureVersion", std::to_string(m.signature_version));
  key_string(w, "Signature", m.signature_for(std::string(message)));
  key_string(w, "SigningCertURL", base + "/_runnel/sns/SimpleNotificationService.pem");
  key_string(w, "UnsubscribeURL", unsubscribe_url(sub, host));
  if (!m.attributes.empty()) write_message_attributes(w, m.attributes);
  w.EndObject();
  return finish_json(sb);
}

std::string lambda_event(const Topic& topic, const Subscription& sub, const Service::Message& m, std::string_view message,
                         std::string_view host) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  std::string base = base_url(host);
  w.StartObject();
  w.Key("Records");
  w.StartArray();
  w.StartObject();
  key_string(w, "EventSource", "aws:sns");
  key_string(w, "EventVersion", "1.0");
  key_string(w, "EventSubscriptionArn", sub.arn());
  w.Key("Sns");
  w.StartObject();
  key_string(w, "Type", "Notification");
  key_string(w, "MessageId", m.message_id);
  if (topic.fifo) key_string(w, "SequenceNumber", fmt::format("{:020d}", m.sequence));
  key_string(w, "TopicArn", topic.arn());
  w.Key("Subject");
  if (m.subject.empty()) w.Null();
  else write_string(w, m.subject);
  key_string(w, "Message", message);
  key_string(w, "Timestamp", m.timestamp);
  key_string(w, "SignatureVersion", std::to_string(m.signature_version));
  key_string(w, "Signature", m.signature_for(std::string(message)));
  key_string(w, "SigningCertUrl", base + "/_runnel/sns/SimpleNotificationService.pem");
  key_string(w, "UnsubscribeUrl", unsubscribe_url(sub, host));
  write_message_attributes(w, m.attributes);
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return finish_json(sb);
}

void Service::fan_out(storage::WriteTxn& txn, const Topic& topic, const Message& published, std::string_view host) {
  // A subscription confirmed after the publish was stamped may want a signature the stamp skipped:
  // sign here then (rare; costs the apply thread one signature).
  std::optional<Message> late;
  if (!published.signed_ && needs_signature(topic)) {
    late = published;
    sign(topic, *late);
  }
  const Message& m = late ? *late : published;
  // MessageStructure=json: each protocol takes its own entry, or "default".
  rapidjson::Document structure;
  if (m.structure_json) json::parse(structure, m.message);
  auto text_for = [&](const std::string& protocol) -> std::string {
    if (!m.structure_json) return m.message;
    auto it = structure.FindMember(protocol.c_str());
    if (it == structure.MemberEnd()) it = structure.FindMember("default");
    return it != structure.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
  };
  for (const auto& sub : subscriptions(topic.arn())) {
    if (!sub->confirmed) continue;  // pending subscriptions receive nothing
    std::string text = text_for(sub->protocol);
    if (sub->policy && !(sub->body_scope ? sub->policy->matches_body(text) : sub->policy->matches(m.attributes)))
      continue;
    bool raw = attribute_is(sub->attributes, "RawMessageDelivery", "true");
    if (sub->protocol == "sqs") {
      ports::Delivery in;
      if (raw) {
        in.body = text;
        for (const auto& [name, a] : m.attributes)
          in.attributes[name] = {a.data_type, a.string_value, a.data_type.starts_with("Binary")};
      } else {
        in.body = notification_envelope(topic, *sub, m, text, host);
      }
      // A queue of another account takes it only when its policy lets this topic send (as on AWS).
      in.sender = {topic.account, "sns.amazonaws.com", topic.arn()};
      if (topic.fifo) {
        in.group_id = m.group_id;
        in.dedup_id = m.dedup_id;
      }
      std::string body = in.body;
      auto sent = deliverer_.deliver(txn, sub->endpoint, std::move(in));
      if (!sent.ok()) {
        // The queue is gone or refuses the topic (client-side errors): AWS moves the message to
        // the DLQ, or drops it.
        bool dlq = dead_letter(txn, sub->arn(), body, m.message_id, sent.error().code, sent.error().message, m.group_id);
        spdlog::warn(R"("event":"sns.delivery_failed","subscription":"{}","error":"{}","dead_lettered":{})", sub->arn(),
                     sent.error().code, dlq);
      }
      continue;
    }
    if (sub->protocol == "lambda") {
      // An asynchronous invoke, stored in this batch like an SQS enqueue: never lost once the
      // publish is acknowledged. Lambda runs it and retries it under the function's settings.
      std::string event = lambda_event(topic, *sub, m, text, host);
      ports::Delivery invocation;
      invocation.body = std::move(event);
      invocation.sender = {topic.account, "sns.amazonaws.com", topic.arn()};
      Status invoked = deliverer_.deliver(txn, sub->endpoint, std::move(invocation));
      if (!invoked.ok()) {
        // The function is gone (a client-side error): to the subscription's DLQ, or dropped.
        bool dlq = dead_letter(txn, sub->arn(), notification_envelope(topic, *sub, m, text, host), m.message_id,
                               invoked.error().code, invoked.error().message);
        spdlog::warn(R"("event":"sns.delivery_failed","subscription":"{}","error":"{}","dead_lettered":{})", sub->arn(),
                     invoked.error().code, dlq);
      }
      continue;
    }
    if (!pusher_) continue;
    PushTask task;
    task.type = "Notification";
    task.subscription_arn = sub->arn();
    task.protocol = sub->protocol;
    task.endpoint = sub->endpoint;
    task.topic_arn = topic.arn();
    task.message_id = m.message_id;
    task.subject = m.subject.empty() ? "AWS Notification Message" : m.subject;
    if (sub->protocol == "email") task.body = notification_email_body(text, unsubscribe_url(*sub, host));
    else if (raw) task.body = text;
    else task.body = notification_envelope(topic, *sub, m, text, host);
    task.raw = raw;
    pusher_->add(txn, std::move(task));
  }
}

PushTask Service::confirmation(const Topic& topic, const Subscription& sub, std::string_view host) const {
  PushTask task;
  task.type = "SubscriptionConfirmation";
  task.subscription_arn = sub.arn();
  task.protocol = sub.protocol;
  task.endpoint = sub.endpoint;
  task.topic_arn = topic.arn();
  task.message_id = new_uuid();
  task.subject = "AWS Notification - Subscription Confirmation";
  std::string subscribe_url =
      base_url(host) + "/?Action=ConfirmSubscription&TopicArn=" + url_encode(topic.arn()) + "&Token=" + sub.token;
  if (sub.protocol == "email") {
    task.body = confirmation_email_body(topic.arn(), subscribe_url);
    return task;
  }
  // The SubscriptionConfirmation document (HTTP/S POST body, email-json mail body), signed over
  // Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
  std::string message = fmt::format(
      "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
      topic.arn());
  std::string timestamp = iso8601_ms(wall_ms());
  auto version = topic.attributes.find("SignatureVersion");
  int signature_version = version != topic.attributes.end() && version->second == "2" ? 2 : 1;
  std::string signature = signer_.sign(string_to_sign({{"Message", message},
                                                        {"MessageId", task.message_id},
                                                        {"SubscribeURL", subscribe_url},
                                                        {"Timestamp", timestamp},
                                                        {"Token", sub.token},
                                                        {"TopicArn", topic.arn()},
                                                        {"Type", "SubscriptionConfirmation"}}),
                                       signature_version);
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "Type", "SubscriptionConfirmation");
  key_string(w, "MessageId", task.message_id);
  key_string(w, "Token", sub.token);
  key_string(w, "TopicArn", topic.arn());
  key_string(w, "Message", message);
  key_string(w, "SubscribeURL", subscribe_url);
  key_string(w, "Timestamp", timestamp);
  key_string(w, "SignatureVersion", std::to_string(signature_version));
  key_string(w, "Signature", signature);
  key_string(w, "SigningCertURL", base_url(host) + "/_runnel/sns/SimpleNotificationService.pem");
  w.EndObject();
  task.body = finish_json(sb);
  return task;
}

bool Service::dead_letter(storage::WriteTxn& txn, std::string_view subscription_arn, const std::string& body,
                          const std::string& message_id, const std::string& error_code, const std::string& error_message,
                          const std::string& group_id) {
  auto sub = find_subscription(subscription_arn);
  if (!sub) return false;
  auto policy = sub->attributes.find("RedrivePolicy");
  if (policy == sub->attributes.end() || policy->second.empty()) return false;
  rapidjson::Document d;
  json::parse(d, policy->second);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("deadLetterTargetArn") || !d["deadLetterTargetArn"].IsString())
    return false;
  std::string target = d["deadLetterTargetArn"].GetString();
  ports::DeadLetter letter;
  letter.target_arn = target;
  letter.body = body;
  letter.request_id = new_uuid();
  letter.error_code = error_code;
  letter.error_message = error_message;
  if (target.ends_with(".fifo")) {
    letter.group_id = group_id.empty() ? message_id : group_id;
    letter.dedup_id = message_id + ":" + sub->id;
  }
  // A dead-letter queue of another account must allow the topic too.
  letter.sender = {std::string(arn_account(sub->topic_arn)), "sns.amazonaws.com", sub->topic_arn};
  letter.sender_id = sub->owner;
  auto sent = ports::send_dead_letter(deliverer_, txn, letter);
  if (!sent.ok())
    spdlog::warn(R"("event":"sns.dead_letter_failed","subscription":"{}","queue":"{}","error":"{}")", sub->arn(), target,
                 sent.error().code);
  return sent.ok();
}

}  // namespace runnel::sns
