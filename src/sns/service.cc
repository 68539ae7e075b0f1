#include "sns/service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "common/json_parse.h"
#include "common/base64.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "common/uuid.h"
#include "storage/record_codec.h"

namespace runnel::sns {

namespace {

constexpr std::string_view kTopicPrefix = "sns/t/";
constexpr std::string_view kSubscriptionPrefix = "sns/s/";
constexpr int64_t kDedupWindowMs = 5 * 60 * 1000;

std::string topic_key(const Topic& t) { return fmt::format("{}{}/{}/{}", kTopicPrefix, t.account, t.region, t.name); }
std::string subscription_key(const Subscription& s) { return std::string(kSubscriptionPrefix) + s.id; }

const storage::RecordCodec<Topic>& topic_codec() {
  static const auto codec = storage::RecordCodec<Topic>()
                                .field("account", &Topic::account)
                                .field("region", &Topic::region)
                                .field("name", &Topic::name)
                                .field("attributes", &Topic::attributes)
                                .field("tags", &Topic::tags);
  return codec;
}

const storage::RecordCodec<Subscription>& subscription_codec() {
  static const auto codec =
      storage::RecordCodec<Subscription>()
          .field("id", &Subscription::id)
          .field("topic", &Subscription::topic_arn)
          .field("owner", &Subscription::owner)
          .field("protocol", &Subscription::protocol)
          .field("endpoint", &Subscription::endpoint)
          .field("confirmed", &Subscription::confirmed)
          .custom(
              [](storage::RecordCodec<Subscription>::Writer& w, const Subscription& s) {
                w.Key("authenticated");
                w.Bool(s.authenticated);
                // Written only when asked for: the stored bytes of every other subscription stay as they were.
                if (s.authenticate_on_unsubscribe) {
                  w.Key("auth_unsubscribe");
                  w.Bool(true);
                }
              },
              [](const rapidjson::Value& d, Subscription& s) {
                // Older stores lack "authenticated": their confirmations counted as authenticated.
                auto a = d.FindMember("authenticated");
                s.authenticated = a != d.MemberEnd() && a->value.IsBool() ? a->value.GetBool() : s.confirmed;
                // Absent in stores written before it existed: those subscriptions never asked for it.
                auto u = d.FindMember("auth_unsubscribe");
                s.authenticate_on_unsubscribe = u != d.MemberEnd() && u->value.IsBool() && u->value.GetBool();
              })
          .field("token", &Subscription::token)
          .field("attributes", &Subscription::attributes);
  return codec;
}

}  // namespace

std::string encode_topic(const Topic& t) { return topic_codec().encode(t); }

std::shared_ptr<Topic> decode_topic(std::string_view stored) {
  auto t = topic_codec().decode(stored);
  if (!t || t->name.empty()) return nullptr;
  t->read_flags();
  return std::make_shared<Topic>(std::move(*t));
}

std::string encode_subscription(const Subscription& s) { return subscription_codec().encode(s); }

std::shared_ptr<Subscription> decode_subscription(std::string_view stored) {
  auto s = subscription_codec().decode(stored);
  if (!s || s->id.empty() || s->topic_arn.empty()) return nullptr;
  auto out = std::make_shared<Subscription>(std::move(*s));
  (void)compile_policy(*out);
  return out;
}

Status compile_policy(Subscription& sub) {
  auto text = sub.attributes.find("FilterPolicy");
  auto scope = sub.attributes.find("FilterPolicyScope");
  sub.body_scope = scope != sub.attributes.end() && scope->second == "MessageBody";
  sub.policy.reset();
  if (text == sub.attributes.end() || text->second.empty()) return ok_status();
  auto parsed = FilterPolicy::parse(text->second, sub.body_scope ? FilterScope::kMessageBody : FilterScope::kMessageAttributes);
  if (!parsed.ok()) return parsed.error();
  sub.policy = std::make_shared<const FilterPolicy>(std::move(parsed).value());
  return ok_status();
}

ApiError not_found(std::string message) { return {"NotFound", std::move(message), 404, true, "", {}}; }
ApiError invalid_parameter(std::string message) {
  return {"InvalidParameter", "Invalid parameter: " + message, 400, true, "", {}};
}

Service::Service(storage::Engine& engine, storage::Writer& writer, const ports::Deliverer& deliverer, const Signer& signer)
    : engine_(engine), writer_(writer), deliverer_(deliverer), signer_(signer) {}

Status Service::start() {
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kTopicPrefix); it.valid(); it.next()) {
    auto t = decode_topic(it.value());
    if (!t) return ApiError::internal("corrupt SNS topic in the store");
    topics_[t->arn()] = t;
  }
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kSubscriptionPrefix); it.valid(); it.next()) {
    auto s = decode_subscription(it.value());
    if (!s) return ApiError::internal("corrupt SNS subscription in the store");
    subscriptions_[s->arn()] = s;
  }
  spdlog::info(R"("event":"sns.loaded","topics":{},"subscriptions":{})", topics_.size(), subscriptions_.size());
  return ok_status();
}

std::shared_ptr<const Topic> Service::find_topic(std::string_view arn) const {
  std::shared_lock lock(mu_);
  auto it = topics_.find(arn);
  return it == topics_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const Topic>> Service::topics(std::string_view account, std::string_view region) const {
  std::string prefix = fmt::format("arn:aws:sns:{}:{}:", region, account);
  std::vector<std::shared_ptr<const Topic>> out;
  std::shared_lock lock(mu_);
  for (auto it = topics_.lower_bound(prefix); it != topics_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

std::shared_ptr<const Subscription> Service::find_subscription(std::string_view arn) const {
  std::shared_lock lock(mu_);
  auto it = subscriptions_.find(arn);
  return it == subscriptions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const Subscription>> Service::subscriptions(std::string_view topic_arn) const {
  std::vector<std::shared_ptr<const Subscription>> out;
  std::shared_lock lock(mu_);
  if (topic_arn.empty()) {
    for (const auto& [arn, s] : subscriptions_) out.push_back(s);
    return out;
  }
  std::string prefix = std::string(topic_arn) + ":";
  for (auto it = subscriptions_.lower_bound(prefix); it != subscriptions_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

void Service::put_topic(storage::WriteTxn& txn, std::shared_ptr<const Topic> t) {
  txn.put(storage::Family::kMeta, topic_key(*t), encode_topic(*t));
  std::unique_lock lock(mu_);
  topics_[t->arn()] = std::move(t);
}

void Service::remove_topic(storage::WriteTxn& txn, const Topic& t) {
  txn.del(storage::Family::kMeta, topic_key(t));
  std::string arn = t.arn();
  for (const auto& s : subscriptions(arn)) remove_subscription(txn, *s);
  std::unique_lock lock(mu_);
  topics_.erase(arn);
}

void Service::put_subscription(storage::WriteTxn& txn, std::shared_ptr<const Subscription> s) {
  txn.put(storage::Family::kMeta, subscription_key(*s), encode_subscription(*s));
  std::unique_lock lock(mu_);
  subscriptions_[s->arn()] = std::move(s);
}

void Service::remove_subscription(storage::WriteTxn& txn, const Subscription& s) {
  txn.del(storage::Family::kMeta, subscription_key(s));
  std::unique_lock lock(mu_);
  subscriptions_.erase(s.arn());
}

Status Service::publish_in(storage::WriteTxn& txn, std::string_view topic_arn, std::string message,
                           FilterAttributes attributes, std::string_view host, std::string subject) {
  auto topic = find_topic(topic_arn);
  if (!topic) return not_found("Topic does not exist");
  if (topic->fifo) return invalid_parameter("MessageGroupId Reason: The request must include parameter MessageGroupId");
  Message m;
  m.message_id = new_uuid();
  m.message = std::move(message);
  m.subject = std::move(subject);
  m.attributes = std::move(attributes);
  stamp(*topic, m);
  fan_out(txn, *topic, m, host);
  return ok_status();
}

Status Service::deliver(storage::WriteTxn& txn, std::string_view topic_arn, ports::Delivery delivery) {
  FilterAttributes attributes;
  for (auto& [name, a] : delivery.attributes) attributes[name] = {std::move(a.data_type), std::move(a.value)};
  return publish_in(txn, topic_arn, std::move(delivery.body), std::move(attributes), public_host_,
                    std::move(delivery.subject));
}

void Service::stamp(const Topic& topic, Message& m) const {
  m.timestamp_ms = wall_ms();
  m.timestamp = iso8601_ms(m.timestamp_ms);
  auto version = topic.attributes.find("SignatureVersion");
  m.signature_version = version != topic.attributes.end() && version->second == "2" ? 2 : 1;
  if (needs_signature(topic)) sign(topic, m);
}

bool Service::needs_signature(const Topic& topic) const {
  for (const auto& sub : subscriptions(topic.arn())) {
    if (!sub->confirmed || sub->protocol == "email") continue;
    auto raw = sub->attributes.find("RawMessageDelivery");
    if (raw == sub->attributes.end() || raw->second != "true") return true;
  }
  return false;
}

void Service::sign(const Topic& topic, Message& m) const {
  m.signed_ = true;
  auto sign = [&](const std::string& text) {
    std::vector<std::pair<std::string, std::string>> fields{{"Message", text}, {"MessageId", m.message_id}};
    if (!m.subject.empty()) fields.emplace_back("Subject", m.subject);
    fields.emplace_back("Timestamp", m.timestamp);
    fields.emplace_back("TopicArn", topic.arn());
    fields.emplace_back("Type", "Notification");
    return signer_.sign(string_to_sign(fields), m.signature_version);
  };
  if (!m.structure_json) {
    m.signature = sign(m.message);
    return;
  }
  // MessageStructure=json: every subscriber gets its protocol's text (or "default"), signed as such.
  rapidjson::Document structure;
  json::parse(structure, m.message);
  if (structure.IsObject())
    for (const auto& member : structure.GetObject())
      if (member.value.IsString()) {
        std::string text(member.value.GetString(), member.value.GetStringLength());
        if (!m.signatures.count(text)) m.signatures[text] = sign(text);
      }
}

std::optional<std::pair<std::string, uint64_t>> Service::duplicate(const Topic& topic, const std::string& dedup_id, int64_t now_ms) {
  std::lock_guard lock(fifo_mu_);
  auto& ids = dedup_[topic.arn()];
  auto it = ids.find(dedup_id);
  if (it == ids.end() || std::get<2>(it->second) <= now_ms) return std::nullopt;
  return std::make_pair(std::get<0>(it->second), std::get<1>(it->second));
}

void Service::remember(const Topic& topic, const std::string& dedup_id, const std::string& message_id, uint64_t seq, int64_t now_ms) {
  std::lock_guard lock(fifo_mu_);
  auto& ids = dedup_[topic.arn()];
  std::erase_if(ids, [&](const auto& e) { return std::get<2>(e.second) <= now_ms; });
  ids[dedup_id] = {message_id, seq, now_ms + kDedupWindowMs};
}

uint64_t Service::next_sequence(const Topic& topic) {
  std::lock_guard lock(fifo_mu_);
  return ++sequences_[topic.arn()];
}

}  // namespace runnel::sns
