#include "sqs/queue.h"

#include "common/json_parse.h"

#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "storage/record_codec.h"

namespace runnel::sqs {

ApiError sqs_error(std::string_view shape, std::string_view query_code, std::string message, int status) {
  ApiError e{std::string(shape), std::move(message), status, true, "com.amazonaws.sqs", {}};
  if (query_code != shape) e.query_code = std::string(query_code);
  return e;
}

ApiError invalid_parameter(std::string message) {
  return sqs_error("InvalidParameterValue", "InvalidParameterValue", std::move(message));
}

ApiError missing_parameter(std::string_view name) {
  return sqs_error("MissingParameter", "MissingParameter",
                   fmt::format("The request must contain the parameter {}.", name));
}

ApiError queue_does_not_exist() {
  return sqs_error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");
}

namespace {

ApiError invalid_value(std::string_view name) {
  return sqs_error("InvalidAttributeValue", "InvalidAttributeValue",
                   fmt::format("Invalid value for the parameter {}.", name));
}

ApiError unknown_attribute(std::string_view name) {
  return sqs_error("InvalidAttributeName", "InvalidAttributeName", fmt::format("Unknown Attribute {}.", name));
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Status int_attribute(std::string_view name, std::string_view value, int64_t lo, int64_t hi, int& out) {
  auto v = parse_int(value);
  if (!v || *v < lo || *v > hi) return invalid_value(name);
  out = static_cast<int>(*v);
  return ok_status();
}

Status bool_attribute(std::string_view name, std::string_view value, bool& out) {
  if (value == "true") out = true;
  else if (value == "false") out = false;
  else return invalid_value(name);
  return ok_status();
}

// {"deadLetterTargetArn":"arn:aws:sqs:...","maxReceiveCount":5} (the count may be a string).
Result<std::optional<RedrivePolicy>> parse_redrive(std::string_view text) {
  if (text.empty()) return std::optional<RedrivePolicy>();
  auto bad = [&](std::string_view reason) {
    return invalid_parameter(fmt::format("Value {} for parameter RedrivePolicy is invalid. Reason: {}", text, reason));
  };
  rapidjson::Document d;
  json::parse(d, text);
  if (d.HasParseError() || !d.IsObject()) return bad("Redrive policy is not a valid JSON map.");
  RedrivePolicy p;
  auto arn = d.FindMember("deadLetterTargetArn");
  if (arn == d.MemberEnd() || !arn->value.IsString()) return bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  p.dead_letter_arn = arn->value.GetString();
  auto count = d.FindMember("maxReceiveCount");
  if (count == d.MemberEnd()) return bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  std::optional<int64_t> n;
  if (count->value.IsInt64()) n = count->value.GetInt64();
  else if (count->value.IsString()) n = parse_int(count->value.GetString());
  if (!n || *n < 1 || *n > 1000)
    return bad(fmt::format("Invalid value for maxReceiveCount: {}, valid values are from 1 to 1000 both inclusive.",
                           count->value.IsString() ? count->value.GetString() : std::to_string(n.value_or(0))));
  p.max_receive_count = static_cast<int>(*n);
  return std::optional<RedrivePolicy>(p);
}

Status check_redrive_allow(std::string_view text) {
  rapidjson::Document d;
  json::parse(d, text);
  auto bad = [&](std::string_view reason) {
    return invalid_parameter(fmt::format("Value {} for parameter RedriveAllowPolicy is invalid. Reason: {}", text, reason));
  };
  if (d.HasParseError() || !d.IsObject()) return bad("Redrive allow policy is not a valid JSON map.");
  auto perm = d.FindMember("redrivePermission");
  if (perm == d.MemberEnd() || !perm->value.IsString()) return bad("Redrive permission is missing.");
  std::string_view p = perm->value.GetString();
  if (p != "allowAll" && p != "denyAll" && p != "byQueue") return bad("Invalid value for redrivePermission.");
  auto arns = d.FindMember("sourceQueueArns");
  bool has_arns = arns != d.MemberEnd() && arns->value.IsArray() && !arns->value.Empty();
  if (p == "byQueue" && !has_arns) return bad("Redrive permission byQueue requires sourceQueueArns.");
  if (p != "byQueue" && has_arns) return bad("sourceQueueArns may only be given with redrivePermission byQueue.");
  if (has_arns && arns->value.Size() > 10) return bad("At most 10 sourceQueueArns are allowed.");
  return ok_status();
}

}  // namespace

Status apply_attributes(QueueConfig& c, const std::map<std::string, std::string>& attributes, bool creating) {
  QueueConfig next = c;
  for (const auto& [name, value] : attributes) {
    if (name == "VisibilityTimeout") {
      RUNNEL_CHECK(int_attribute(name, value, 0, 43200, next.visibility_timeout));
    } else if (name == "MaximumMessageSize") {
      RUNNEL_CHECK(int_attribute(name, value, 1024, 1048576, next.maximum_message_size));
    } else if (name == "MessageRetentionPeriod") {
      RUNNEL_CHECK(int_attribute(name, value, 60, 1209600, next.message_retention_period));
    } else if (name == "DelaySeconds") {
      RUNNEL_CHECK(int_attribute(name, value, 0, 900, next.delay_seconds));
    } else if (name == "ReceiveMessageWaitTimeSeconds") {
      RUNNEL_CHECK(int_attribute(name, value, 0, 20, next.receive_wait_time));
    } else if (name == "RedrivePolicy") {
      RUNNEL_TRY(next.redrive, parse_redrive(value));
    } else if (name == "RedriveAllowPolicy") {
      if (!value.empty()) RUNNEL_CHECK(check_redrive_allow(value));
    } else if (name == "Policy") {
      if (!value.empty()) {
        rapidjson::Document d;
        json::parse(d, value);
        if (d.HasParseError() || !d.IsObject()) return invalid_value(name);
      }
    } else if (name == "KmsMasterKeyId") {
    } else if (name == "KmsDataKeyReusePeriodSeconds") {
      int unused = 0;
      RUNNEL_CHECK(int_attribute(name, value, 60, 86400, unused));
    } else if (name == "SqsManagedSseEnabled") {
      bool unused = false;
      RUNNEL_CHECK(bool_attribute(name, value, unused));
    } else if (name == "FifoQueue") {
      if (!creating) return unknown_attribute(name);  // fixed at creation
      RUNNEL_CHECK(bool_attribute(name, value, next.fifo));
    } else if (name == "ContentBasedDeduplication" || name == "DeduplicationScope" || name == "FifoThroughputLimit") {
      bool fifo = creating ? (attributes.count("FifoQueue") && attributes.at("FifoQueue") == "true") : c.fifo;
      if (!fifo) return unknown_attribute(name);
      if (name == "ContentBasedDeduplication") RUNNEL_CHECK(bool_attribute(name, value, next.content_based_dedup));
      if (name == "DeduplicationScope" && value != "messageGroup" && value != "queue") return invalid_value(name);
      if (name == "FifoThroughputLimit" && value != "perQueue" && value != "perMessageGroupId") return invalid_value(name);
    } else {
      return unknown_attribute(name);
    }
    if (value.empty() && (name == "RedrivePolicy" || name == "RedriveAllowPolicy" || name == "Policy"))
      next.raw.erase(name);
    else
      next.raw[name] = value;
  }
  if (next.fifo && next.raw.find("FifoQueue") == next.raw.end()) next.raw["FifoQueue"] = "true";
  c = std::move(next);
  return ok_status();
}

std::string Queue::url(std::string_view host) const {
  return fmt::format("http://{}/{}/{}", host.empty() ? "localhost:4566" : host, account, name);
}

void Queue::counts(int64_t now_ms, int64_t& visible, int64_t& in_flight, int64_t& delayed) const {
  in_flight = delayed = 0;
  for (const auto& [at, seq] : hidden) {
    if (at <= now_ms) continue;
    auto it = messages.find(seq);
    if (it == messages.end() || it->second.visible_at_ms != at) continue;  // stale entry
    if (it->second.receive_count > 0) ++in_flight;
    else ++delayed;
  }
  visible = static_cast<int64_t>(messages.size()) - in_flight - delayed;
}

namespace {

// A queue as stored: its identity and the attributes as given (the live Queue holds a mutex and
// the parsed config, neither of which is stored).
struct StoredQueue {
  std::string account;
  std::string region;
  std::string name;
  uint64_t id = 0;
  int64_t created_s = 0;
  int64_t modified_s = 0;
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> tags;
};

const storage::RecordCodec<StoredQueue>& queue_codec() {
  static const auto codec = storage::RecordCodec<StoredQueue>(1)
                                .field("account", &StoredQueue::account)
                                .field("region", &StoredQueue::region)
                                .field("name", &StoredQueue::name)
                                .field("id", &StoredQueue::id)
                                .field("created_s", &StoredQueue::created_s)
                                .field("modified_s", &StoredQueue::modified_s)
                                .field("attributes", &StoredQueue::attributes)
                                .field("tags", &StoredQueue::tags);
  return codec;
}

// A message's receive state, rewritten by every receive, visibility change and return.
const storage::RecordCodec<MessageState>& state_codec() {
  static const auto codec = storage::RecordCodec<MessageState>()
                                .field("rc", &MessageState::receive_count)
                                .field("fr", &MessageState::first_receive_ms)
                                .field("va", &MessageState::visible_at_ms)
                                .field("n", &MessageState::nonce)
                                .field("sent", &MessageState::sent_ms)
                                .field("size", &MessageState::size)
                                .field("group", &MessageState::group);
  return codec;
}

}  // namespace

std::string encode_state(const MessageState& st) { return state_codec().encode(st); }

std::optional<MessageState> decode_state(std::string_view json) { return state_codec().decode(json); }

std::string encode_queue(const Queue& q) {
  return queue_codec().encode({q.account, q.region, q.name, q.id, q.created_s, q.modified_s, q.config.raw, q.tags});
}

Result<std::shared_ptr<Queue>> decode_queue(std::string_view json) {
  auto stored = queue_codec().decode(json);
  if (!stored || stored->id == 0) return ApiError::internal("corrupt queue definition");
  auto q = std::make_shared<Queue>();
  q->account = std::move(stored->account);
  q->region = std::move(stored->region);
  q->name = std::move(stored->name);
  q->id = stored->id;
  q->created_s = stored->created_s;
  q->modified_s = stored->modified_s;
  q->tags = std::move(stored->tags);
  if (auto s = apply_attributes(q->config, stored->attributes, true); !s.ok()) return s.error();
  return q;
}

}  // namespace runnel::sqs
