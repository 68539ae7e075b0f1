// SNS operations (JSON-shaped handlers; the Query codec converts forms and renders XML).
// https://docs.aws.amazon.com/sns/latest/api/API_Operations.html
#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "common/base64.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "sns/access.h"
#include "sns/ops_common.h"
#include "sns/delivery_policy.h"
#include "sns/push.h"
#include "sns/service.h"
#include "common/hash.h"
#include "common/uuid.h"

namespace runnel::sns {

Result<std::string> required(const JsonValue& body, const char* name) {
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || !it->value.IsString())
    return invalid_parameter(fmt::format("{} is required", name));  // botocore validates first anyway
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string optional(const JsonValue& body, const char* name) {
  auto it = body.FindMember(name);
  return it != body.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                        : std::string();
}

std::string one_member(const char* key, std::string_view value) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, key, value);
  w.EndObject();
  return finish_json(sb);
}

namespace {

// arn:aws:sns:<region>:<account>:<name>[:<subscription id>]
bool sns_arn(std::string_view arn, bool subscription) {
  if (!arn.starts_with("arn:aws:sns:")) return false;
  size_t colons = static_cast<size_t>(std::count(arn.begin(), arn.end(), ':'));
  return colons == (subscription ? 6u : 5u) && !arn.ends_with(":");
}

}  // namespace

Result<std::shared_ptr<const Topic>> topic_param(Service& svc, const JsonValue& body, const char* name) {
  RUNNEL_TRY(std::string arn, required(body, name));
  if (!sns_arn(arn, false)) return invalid_parameter(name);
  auto t = svc.find_topic(arn);
  if (!t) return not_found("Topic does not exist");
  return t;
}

namespace {

constexpr size_t kPageSize = 100;

StringMap string_map(const JsonValue& body, const char* name) {
  StringMap out;
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || !it->value.IsObject()) return out;
  for (const auto& m : it->value.GetObject())
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  return out;
}

// Tags: [{"Key":..,"Value":..}]
StringMap tag_list(const JsonValue& body, const char* name) {
  StringMap out;
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& t : it->value.GetArray())
    if (t.IsObject() && t.HasMember("Key") && t["Key"].IsString())
      out[t["Key"].GetString()] = t.HasMember("Value") && t["Value"].IsString() ? t["Value"].GetString() : "";
  return out;
}

void write_tags(JsonWriter& w, const StringMap& tags) {
  w.Key("Tags");
  w.StartArray();
  for (const auto& [k, v] : tags) {
    w.StartObject();
    key_string(w, "Key", k);
    key_string(w, "Value", v);
    w.EndObject();
  }
  w.EndArray();
}

// Runs a catalog change as a writer step and answers `ok_body` after its commit.
void catalog_step(Service& svc, std::function<Status(storage::WriteTxn&)> change, Reply reply, std::string ok_body = "{}") {
  svc.writer().run<Ok>(std::move(change), [reply = std::move(reply), ok_body = std::move(ok_body)](Status status) {
    if (!status.ok()) return reply(std::move(status).error());
    reply(ok_body);
  });
}

Status validate_topic_attribute(const std::string& name, const std::string& value, bool creating) {
  static const std::set<std::string> kSettable = {"DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId",
                                                  "SignatureVersion", "TracingConfig", "ContentBasedDeduplication",
                                                  "ArchivePolicy", "DataProtectionPolicy", "FifoThroughputScope"};
  if (name == "FifoTopic") {
    if (!creating) return invalid_parameter("AttributeName");
    if (value != "true" && value != "false") return invalid_parameter("FifoTopic");
    return ok_status();
  }
  if (!kSettable.count(name)) return invalid_parameter(creating ? "Attributes Reason: Unknown attribute " + name : "AttributeName");
  if (name == "SignatureVersion" && value != "1" && value != "2") return invalid_parameter("SignatureVersion");
  if (name == "DeliveryPolicy" && !value.empty()) return validate_topic_delivery_policy(value);
  if (name == "Policy" && !value.empty()) {
    rapidjson::Document d;
    json::parse(d, value);
    if (d.HasParseError() || !d.IsObject()) return invalid_parameter(name + ": failed to parse JSON");
  }
  return ok_status();
}

std::string default_policy(const Topic& t) {
  return fmt::format(
      R"({{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"{}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{}"}}}}}}]}})",
      t.arn(), t.account);
}

constexpr const char* kDefaultDeliveryPolicy =
    R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";

Status validate_subscription_attribute(const std::string& name, const std::string& value, const std::string& protocol) {
  if (name == "RawMessageDelivery") {
    if (value != "true" && value != "false") return invalid_parameter("RawMessageDelivery: Invalid value [" + value + "]. Must be true or false.");
    // Raw delivery exists for SQS, HTTP(S) and Firehose endpoints only.
    if (value == "true" && protocol != "sqs" && protocol != "http" && protocol != "https" && protocol != "firehose")
      return invalid_parameter("Attributes Reason: RawMessageDelivery: Invalid value [true]. Raw message delivery is not supported for the " + protocol + " protocol");
  } else if (name == "FilterPolicyScope") {
    if (value != "MessageAttributes" && value != "MessageBody")
      return invalid_parameter("FilterPolicyScope: Invalid value [" + value + "]. Please use either MessageBody or MessageAttributes");
  } else if (name == "RedrivePolicy" || name == "DeliveryPolicy") {
    rapidjson::Document d;
    json::parse(d, value);
    if (!value.empty() && (d.HasParseError() || !d.IsObject())) return invalid_parameter(name + ": failed to parse JSON");
    if (name == "DeliveryPolicy" && !value.empty()) return validate_subscription_delivery_policy(value);
    if (name == "RedrivePolicy" && !value.empty()) {
      auto target = d.FindMember("deadLetterTargetArn");
      if (target == d.MemberEnd() || !target->value.IsString() || !std::string_view(target->value.GetString()).starts_with("arn:aws:sqs:"))
        return invalid_parameter("RedrivePolicy: deadLetterTargetArn is an invalid arn");
    }
  } else if (name != "FilterPolicy" && name != "SubscriptionRoleArn" && name != "ReplayPolicy") {
    return invalid_parameter("AttributeName");
  }
  return ok_status();
}

}  // namespace

// --- topics -----------------------------------------------------------------------------------

static void create_topic(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  auto name = required(body, "Name");
  if (!name.ok()) return reply(name.error());
  auto t = std::make_shared<Topic>();
  t->account = ctx.account;
  t->region = ctx.region;
  t->name = *name;
  t->attributes = string_map(body, "Attributes");
  t->tags = tag_list(body, "Tags");
  for (const auto& [k, v] : t->attributes)
    if (auto s = validate_topic_attribute(k, v, true); !s.ok()) return reply(s.error());
  t->read_flags();
  std::string_view base = *name;
  if (t->fifo && base.ends_with(".fifo")) base.remove_suffix(5);
  bool valid = !base.empty() && name->size() <= 256;
  for (char c : base) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  if (!valid || (!t->fifo && name->ends_with(".fifo")) || (t->fifo && !name->ends_with(".fifo")))
    return reply(invalid_parameter(t->fifo ? "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
                                           : "Topic Name"));
  if (t->content_based_dedup && !t->fifo)
    return reply(invalid_parameter("ContentBasedDeduplication Reason: Content-based deduplication can only be set for FIFO topics"));
  std::string arn = t->arn();
  catalog_step(svc, [&svc, t](storage::WriteTxn& txn) -> Status {
    if (auto existing = svc.find_topic(t->arn())) {
      // Idempotent when the attributes given match; tags must not differ either.
      for (const auto& [k, v] : t->attributes) {
        auto it = existing->attributes.find(k);
        if (it == existing->attributes.end() || it->second != v)
          return invalid_parameter("Attributes Reason: Topic already exists with different attributes");
      }
      return ok_status();
    }
    svc.put_topic(txn, t);
    return ok_status();
  }, std::move(reply), one_member("TopicArn", arn));
}

static void delete_topic(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto arn = required(body, "TopicArn");
  if (!arn.ok()) return reply(arn.error());
  catalog_step(svc, [&svc, arn = *arn](storage::WriteTxn& txn) -> Status {
    // Deleting a topic that does not exist succeeds (AWS: idempotent).
    if (auto t = svc.find_topic(arn)) svc.remove_topic(txn, *t);
    return ok_status();
  }, std::move(reply));
}

// Pages of 100 with NextToken = the last ARN returned, base64.
template <typename Items, typename WriteItem>
Result<std::string> paged(const JsonValue& body, const char* list_key, const Items& items, WriteItem write_item) {
  std::string after;
  if (auto token = optional(body, "NextToken"); !token.empty()) {
    auto decoded = base64_decode(token);
    if (!decoded) return invalid_parameter("NextToken");
    after = *decoded;
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key(list_key);
  w.StartArray();
  size_t count = 0;
  std::string last;
  bool more = false;
  for (const auto& item : items) {
    std::string arn = item->arn();
    if (!after.empty() && arn <= after) continue;
    if (count == kPageSize) {
      more = true;
      break;
    }
    write_item(w, *item);
    last = arn;
    ++count;
  }
  w.EndArray();
  if (more) key_string(w, "NextToken", base64_encode(last));
  w.EndObject();
  return finish_json(sb);
}

static void list_topics(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  reply(paged(body, "Topics", svc.topics(ctx.account, ctx.region), [](JsonWriter& w, const Topic& t) {
    w.StartObject();
    key_string(w, "TopicArn", t.arn());
    w.EndObject();
  }));
}

// {"Attributes": {...}}, the answer of Get{Topic,Subscription}Attributes.
static void reply_attributes(const StringMap& a, const Reply& reply) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string_map(w, "Attributes", a);
  w.EndObject();
  reply(finish_json(sb));
}

static void get_topic_attributes(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto t = topic_param(svc, body);
  if (!t.ok()) return reply(t.error());
  const Topic& topic = **t;
  StringMap a = topic.attributes;
  a["TopicArn"] = topic.arn();
  a["Owner"] = topic.account;
  if (!a.count("Policy")) a["Policy"] = default_policy(topic);
  if (!a.count("DisplayName")) a["DisplayName"] = "";
  a["EffectiveDeliveryPolicy"] = a.count("DeliveryPolicy") ? a["DeliveryPolicy"] : kDefaultDeliveryPolicy;
  int confirmed = 0, pending = 0;
  for (const auto& s : svc.subscriptions(topic.arn())) (s->confirmed ? confirmed : pending)++;
  a["SubscriptionsConfirmed"] = std::to_string(confirmed);
  a["SubscriptionsPending"] = std::to_string(pending);
  a["SubscriptionsDeleted"] = "0";
  if (topic.fifo && !a.count("ContentBasedDeduplication")) a["ContentBasedDeduplication"] = "false";
  reply_attributes(a, reply);
}

static void set_topic_attributes(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto t = topic_param(svc, body);
  if (!t.ok()) return reply(t.error());
  auto name = required(body, "AttributeName");
  if (!name.ok()) return reply(name.error());
  std::string value = optional(body, "AttributeValue");
  if (auto s = validate_topic_attribute(*name, value, false); !s.ok()) return reply(s.error());
  if (*name == "ContentBasedDeduplication" && !(*t)->fifo)
    return reply(invalid_parameter("ContentBasedDeduplication Reason: Content-based deduplication can only be set for FIFO topics"));
  catalog_step(svc, [&svc, arn = (*t)->arn(), name = *name, value](storage::WriteTxn& txn) -> Status {
    auto current = svc.find_topic(arn);
    if (!current) return not_found("Topic does not exist");
    auto next = std::make_shared<Topic>(*current);
    if (value.empty() && (name == "Policy" || name == "DeliveryPolicy")) next->attributes.erase(name);
    else next->attributes[name] = value;
    next->read_flags();  // FifoTopic cannot change (validate_topic_attribute)
    svc.put_topic(txn, next);
    return ok_status();
  }, std::move(reply));
}

// --- subscriptions ----------------------------------------------------------------------------

// local@domain with no spaces, controls or header/SMTP syntax characters, so an address can go into
// a To: header and an RCPT TO:<...> as it is.
static bool valid_email_address(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) return false;
  for (char c : a)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\' || c == '(' || c == ')')
      return false;
  std::string_view domain = a.substr(at + 1);
  return domain.find('@') == std::string_view::npos && domain.front() != '.' && domain.back() != '.';
}

static void subscribe(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  auto t = topic_param(svc, body);
  if (!t.ok()) return reply(t.error());
  auto protocol = required(body, "Protocol");
  if (!protocol.ok()) return reply(protocol.error());
  std::string endpoint = optional(body, "Endpoint");
  static const std::set<std::string> kProtocols = {"sqs", "http", "https", "email", "email-json", "lambda", "application", "sms", "firehose"};
  if (!kProtocols.count(*protocol)) return reply(invalid_parameter("Invalid protocol type: " + *protocol));
  // FIFO topics deliver to SQS queues only; AWS words any other protocol as an unknown one.
  if ((*t)->fifo && *protocol != "sqs") return reply(invalid_parameter("Invalid protocol type: " + *protocol));
  auto sub = std::make_shared<Subscription>();
  sub->id = new_uuid();
  sub->topic_arn = (*t)->arn();
  sub->owner = ctx.account;
  sub->protocol = *protocol;
  sub->endpoint = endpoint;
  sub->attributes = string_map(body, "Attributes");
  for (const auto& [k, v] : sub->attributes)
    if (auto s = validate_subscription_attribute(k, v, *protocol); !s.ok()) {
      ApiError e = s.error();  // Subscribe words it "Invalid parameter: Attributes Reason: DeliveryPolicy: ..."
      if (k == "DeliveryPolicy" && e.message.starts_with("Invalid parameter: ")) e.message.insert(19, "Attributes Reason: ");
      return reply(e);
    }
  if (auto s = compile_policy(*sub); !s.ok()) {
    // Subscribe words it "Invalid parameter: Attributes Reason: FilterPolicy: ...".
    ApiError e = s.error();
    if (e.message.starts_with("Invalid parameter: ")) e.message.insert(19, "Attributes Reason: ");
    return reply(e);
  }
  if (*protocol == "sqs") {
    if (!endpoint.starts_with("arn:aws:sqs:")) return reply(invalid_parameter("SQS endpoint ARN"));
    if ((*t)->fifo != endpoint.ends_with(".fifo"))
      return reply(invalid_parameter((*t)->fifo ? "Invalid parameter: Endpoint Reason: FIFO SNS topics can only have FIFO SQS queue subscriptions"
                                                : "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"));
  } else if (*protocol == "http" || *protocol == "https") {
    if (!endpoint.starts_with(*protocol + "://")) return reply(invalid_parameter("Endpoint must match the specified protocol"));
  } else if (*protocol == "email" || *protocol == "email-json") {
    if (!valid_email_address(endpoint)) return reply(invalid_parameter("Email address"));
  } else if (*protocol == "lambda") {
    if (!endpoint.starts_with("arn:aws:lambda:")) return reply(invalid_parameter("Lambda endpoint ARN"));
  }
  // SQS and Lambda endpoints of the same account are confirmed at once; the others wait for the
  // endpoint to confirm. https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html
  sub->confirmed = sub->authenticated = *protocol == "sqs" || *protocol == "lambda";
  if (!sub->confirmed) sub->token = sha256_hex(sub->id + new_uuid());
  auto return_arn = body.FindMember("ReturnSubscriptionArn");
  bool show_arn = sub->confirmed || (return_arn != body.MemberEnd() && return_arn->value.IsBool() && return_arn->value.GetBool());
  // HTTP/S and email endpoints are sent a signed confirmation (signed here, on the I/O thread).
  std::shared_ptr<PushTask> confirmation;
  if (!sub->confirmed && svc.pusher()) confirmation = std::make_shared<PushTask>(svc.confirmation(**t, *sub, ctx.host));
  // The step's value: the SubscriptionArn to answer with.
  svc.writer().run<std::string>(
      [&svc, sub, show_arn, confirmation, host = ctx.host](storage::WriteTxn& txn) -> Result<std::string> {
        std::string shown = show_arn ? sub->arn() : "pending confirmation";
        if (!svc.find_topic(sub->topic_arn)) return not_found("Topic does not exist");
        // Subscribing the same endpoint again returns the existing subscription.
        for (const auto& s : svc.subscriptions(sub->topic_arn))
          if (s->protocol == sub->protocol && s->endpoint == sub->endpoint) {
            for (const auto& [k, v] : sub->attributes) {
              auto it = s->attributes.find(k);
              bool same = it != s->attributes.end() ? it->second == v : (k == "RawMessageDelivery" && v == "false");
              if (!same) return invalid_parameter("Attributes Reason: Subscription already exists with different attributes");
            }
            if (s->confirmed || show_arn) shown = s->arn();
            if (s->confirmed || !svc.pusher() || !confirmation) return shown;
            // Still pending: AWS sends the confirmation again (signed here, on the apply thread; rare).
            if (auto topic = svc.find_topic(s->topic_arn)) svc.pusher()->add(txn, svc.confirmation(*topic, *s, host));
            return shown;
          }
        svc.put_subscription(txn, sub);
        if (confirmation) svc.pusher()->add(txn, *confirmation);
        return shown;
      },
      [reply = std::move(reply)](Result<std::string> arn) {
        if (!arn.ok()) return reply(arn.error());
        reply(one_member("SubscriptionArn", *arn));
      });
}

static void confirm_subscription(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  auto t = topic_param(svc, body);
  if (!t.ok()) return reply(t.error());
  auto token = required(body, "Token");
  if (!token.ok()) return reply(token.error());
  bool signed_call = !ctx.access_key.empty();
  // Honoured only in a signed call: https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html
  bool auth_unsubscribe = signed_call && optional(body, "AuthenticateOnUnsubscribe") == "true";
  svc.writer().run<std::string>(
      [&svc, topic = (*t)->arn(), token = *token, signed_call, auth_unsubscribe](storage::WriteTxn& txn) -> Result<std::string> {
        for (const auto& s : svc.subscriptions(topic)) {
          if (s->token != token) continue;
          if (s->confirmed) return s->arn();
          auto next = std::make_shared<Subscription>(*s);
          next->confirmed = true;
          next->authenticated = signed_call;  // a followed link (unsigned GET) is not authenticated
          next->authenticate_on_unsubscribe = auth_unsubscribe;
          svc.put_subscription(txn, next);
          return s->arn();
        }
        return invalid_parameter("Token");
      },
      [reply = std::move(reply)](Result<std::string> arn) {
        if (!arn.ok()) return reply(arn.error());
        reply(one_member("SubscriptionArn", *arn));
      });
}

static void unsubscribe(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto arn = required(body, "SubscriptionArn");
  if (!arn.ok()) return reply(arn.error());
  if (!sns_arn(*arn, true)) return reply(invalid_parameter("SubscriptionArn"));
  catalog_step(svc, [&svc, arn = *arn](storage::WriteTxn& txn) -> Status {
    // Unsubscribing twice succeeds (idempotent, as AWS).
    if (auto s = svc.find_subscription(arn)) svc.remove_subscription(txn, *s);
    return ok_status();
  }, std::move(reply));
}

static void write_subscription(JsonWriter& w, const Subscription& s) {
  w.StartObject();
  key_string(w, "SubscriptionArn", s.confirmed ? s.arn() : "PendingConfirmation");
  key_string(w, "Owner", s.owner);
  key_string(w, "Protocol", s.protocol);
  key_string(w, "Endpoint", s.endpoint);
  key_string(w, "TopicArn", s.topic_arn);
  w.EndObject();
}

static void list_subscriptions(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  std::vector<std::shared_ptr<const Subscription>> mine;
  std::string prefix = fmt::format("arn:aws:sns:{}:{}:", ctx.region, ctx.account);
  for (auto& s : svc.subscriptions())
    if (s->topic_arn.starts_with(prefix)) mine.push_back(std::move(s));
  reply(paged(body, "Subscriptions", mine, write_subscription));
}

static void list_subscriptions_by_topic(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto t = topic_param(svc, body);
  if (!t.ok()) return reply(t.error());
  reply(paged(body, "Subscriptions", svc.subscriptions((*t)->arn()), write_subscription));
}

static void get_subscription_attributes(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto arn = required(body, "SubscriptionArn");
  if (!arn.ok()) return reply(arn.error());
  auto s = svc.find_subscription(*arn);
  if (!s) return reply(not_found("Subscription does not exist"));
  StringMap a = s->attributes;
  a["SubscriptionArn"] = s->arn();
  a["TopicArn"] = s->topic_arn;
  a["Owner"] = s->owner;
  a["Protocol"] = s->protocol;
  a["Endpoint"] = s->endpoint;
  a["ConfirmationWasAuthenticated"] = s->authenticated ? "true" : "false";
  a["PendingConfirmation"] = s->confirmed ? "false" : "true";
  if (!a.count("RawMessageDelivery")) a["RawMessageDelivery"] = "false";
  if (a.count("FilterPolicy") && !a.count("FilterPolicyScope")) a["FilterPolicyScope"] = "MessageAttributes";
  a["EffectiveDeliveryPolicy"] = a.count("DeliveryPolicy") ? a["DeliveryPolicy"] : kDefaultDeliveryPolicy;
  reply_attributes(a, reply);
}

static void set_subscription_attributes(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto arn = required(body, "SubscriptionArn");
  if (!arn.ok()) return reply(arn.error());
  auto name = required(body, "AttributeName");
  if (!name.ok()) return reply(name.error());
  std::string value = optional(body, "AttributeValue");
  auto current = svc.find_subscription(*arn);
  if (!current) return reply(not_found("Subscription does not exist"));
  if (auto s = validate_subscription_attribute(*name, value, current->protocol); !s.ok()) return reply(s.error());
  auto next = std::make_shared<Subscription>(*current);
  if (value.empty() && *name != "RawMessageDelivery") next->attributes.erase(*name);
  else next->attributes[*name] = value;
  if (auto s = compile_policy(*next); !s.ok()) return reply(s.error());
  catalog_step(svc, [&svc, next](storage::WriteTxn& txn) -> Status {
    if (!svc.find_subscription(next->arn())) return not_found("Subscription does not exist");
    svc.put_subscription(txn, next);
    return ok_status();
  }, std::move(reply));
}

// --- tags -------------------------------------------------------------------------------------

static void tag_change(Service& svc, const JsonValue& body, Reply reply, bool add) {
  auto arn = required(body, "ResourceArn");
  if (!arn.ok()) return reply(arn.error());
  if (!svc.find_topic(*arn)) return reply(ApiError{"ResourceNotFound", "Resource does not exist", 404, true, "", {}});
  StringMap tags = add ? tag_list(body, "Tags") : StringMap{};
  std::vector<std::string> keys;
  if (!add)
    if (auto k = body.FindMember("TagKeys"); k != body.MemberEnd() && k->value.IsArray())
      for (const auto& v : k->value.GetArray())
        if (v.IsString()) keys.emplace_back(v.GetString());
  // Past the quota on its own, a request is refused before the writer (whose step merges the tags).
  if (tags.size() > 50 || keys.size() > 50)
    return reply(ApiError{"TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400, true, "", {}});
  catalog_step(svc, [&svc, arn = *arn, tags, keys, add](storage::WriteTxn& txn) -> Status {
    auto current = svc.find_topic(arn);
    if (!current) return ApiError{"ResourceNotFound", "Resource does not exist", 404, true, "", {}};
    auto next = std::make_shared<Topic>(*current);
    if (add) {
      for (const auto& [k, v] : tags) next->tags[k] = v;
      if (next->tags.size() > 50) return ApiError{"TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400, true, "", {}};
    }
    for (const auto& k : keys) next->tags.erase(k);
    svc.put_topic(txn, next);
    return ok_status();
  }, std::move(reply));
}

static void tag_resource(Service& svc, const Ctx&, const JsonValue& body, Reply reply) { tag_change(svc, body, std::move(reply), true); }
static void untag_resource(Service& svc, const Ctx&, const JsonValue& body, Reply reply) { tag_change(svc, body, std::move(reply), false); }

static void list_tags_for_resource(Service& svc, const Ctx&, const JsonValue& body, Reply reply) {
  auto arn = required(body, "ResourceArn");
  if (!arn.ok()) return reply(arn.error());
  auto t = svc.find_topic(*arn);
  if (!t) return reply(ApiError{"ResourceNotFound", "Resource does not exist", 404, true, "", {}});
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  write_tags(w, t->tags);
  w.EndObject();
  reply(finish_json(sb));
}

void Service::register_operations(protocol::JsonService& json) {
  // Confirmation and unsubscribe links arrive unsigned (a browser's GET), as AWS serves them.
  // https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html
  constexpr protocol::OperationTraits kFromMailLinks{.mutating = true, .anonymous = true};
  using Fn = void (*)(Service&, const Ctx&, const JsonValue&, Reply);
  auto add = [&](const char* name, protocol::OperationTraits traits, Fn fn) {
    json.add(name, traits, [this, fn, name](const Ctx& ctx, const rapidjson::Document& body, Reply reply) {
      // The cross-account rule, once for every operation (sns/access.h).
      if (auto allowed = authorize(*this, ctx, name, body); !allowed.ok()) return reply(allowed.error());
      fn(*this, ctx, body, std::move(reply));
    });
  };
  add("CreateTopic", protocol::kWrites, create_topic);
  add("DeleteTopic", protocol::kWrites, delete_topic);
  add("ListTopics", protocol::kReads, list_topics);
  add("GetTopicAttributes", protocol::kReads, get_topic_attributes);
  add("SetTopicAttributes", protocol::kWrites, set_topic_attributes);
  add("Subscribe", protocol::kWrites, subscribe);
  add("ConfirmSubscription", kFromMailLinks, confirm_subscription);
  add("Unsubscribe", kFromMailLinks, unsubscribe);
  add("ListSubscriptions", protocol::kReads, list_subscriptions);
  add("ListSubscriptionsByTopic", protocol::kReads, list_subscriptions_by_topic);
  add("GetSubscriptionAttributes", protocol::kReads, get_subscription_attributes);
  add("SetSubscriptionAttributes", protocol::kWrites, set_subscription_attributes);
  add("Publish", protocol::kWrites, publish);
  add("PublishBatch", protocol::kWrites, publish_batch);
  add("TagResource", protocol::kWrites, tag_resource);
  add("UntagResource", protocol::kWrites, untag_resource);
  add("ListTagsForResource", protocol::kReads, list_tags_for_resource);
}

}  // namespace runnel::sns
