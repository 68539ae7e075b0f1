// SNS Publish and PublishBatch: the message, its attributes and structure checked, then the
// publish and its fan-out as one writer step (Service::publish_in).
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/json_parse.h"
#include "common/json_write.h"
#include "sns/ops_common.h"
#include "common/hash.h"
#include "common/uuid.h"

namespace runnel::sns {

namespace {

// Decodes Publish's message attributes into the filter engine's form (Binary: raw bytes).
Result<FilterAttributes> message_attributes(const JsonValue& body) {
  FilterAttributes out;
  auto it = body.FindMember("MessageAttributes");
  if (it == body.MemberEnd() || !it->value.IsObject()) return out;
  if (it->value.MemberCount() > 10) return invalid_parameter("MessageAttributes: too many attributes (at most 10)");
  for (const auto& m : it->value.GetObject()) {
    std::string name = m.name.GetString();
    if (!m.value.IsObject() || !m.value.HasMember("DataType") || !m.value["DataType"].IsString())
      return invalid_parameter(fmt::format("The message attribute '{}' must contain non-empty message attribute type.", name));
    std::string type = m.value["DataType"].GetString();
    std::string base = type.substr(0, type.find('.'));
    if (type != "String.Array" && base != "String" && base != "Number" && base != "Binary")
      return ApiError{"ParameterValueInvalid",
                      fmt::format("The message attribute '{}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name),
                      400, true, "", {}};
    FilterAttribute a{type, ""};
    if (base == "Binary") {
      auto v = m.value.FindMember("BinaryValue");
      auto raw = v != m.value.MemberEnd() && v->value.IsString() ? base64_decode(v->value.GetString()) : std::nullopt;
      if (!raw || raw->empty()) return invalid_parameter(fmt::format("The message attribute '{}' must contain non-empty message attribute value for message attribute type 'Binary'.", name));
      a.string_value = *raw;
    } else {
      auto v = m.value.FindMember("StringValue");
      if (v == m.value.MemberEnd() || !v->value.IsString() || v->value.GetStringLength() == 0)
        return invalid_parameter(fmt::format("The message attribute '{}' must contain non-empty message attribute value for message attribute type '{}'.", name, base));
      a.string_value = v->value.GetString();
      if (base == "Number") {
        char* end = nullptr;
        std::strtod(a.string_value.c_str(), &end);
        if (end == a.string_value.c_str() || *end != '\0')
          return ApiError{"ParameterValueInvalid", fmt::format("Could not cast message attribute '{}' value to number.", name), 400, true, "", {}};
      }
      if (type == "String.Array") {
        rapidjson::Document d;
        json::parse(d, a.string_value);
        if (d.HasParseError() || !d.IsArray())
          return invalid_parameter(fmt::format("The message attribute '{}' with type 'String.Array' has to be a valid JSON array.", name));
      }
    }
    out.emplace(std::move(name), std::move(a));
  }
  return out;
}

// Everything one Publish (or one PublishBatch entry) says, validated against its topic.
Result<Service::Message> decode_publish(const Topic& topic, const JsonValue& e) {
  Service::Message m;
  auto msg = e.FindMember("Message");
  if (msg == e.MemberEnd() || !msg->value.IsString() || msg->value.GetStringLength() == 0)
    return invalid_parameter("Empty message");
  m.message = msg->value.GetString();
  m.subject = optional(e, "Subject");
  if (e.HasMember("Subject") && e["Subject"].IsString()) {
    // "less than 100 characters": code points, not bytes (UTF-8 continuation bytes don't count).
    size_t chars = std::count_if(m.subject.begin(), m.subject.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    bool ok = !m.subject.empty() && chars <= 100;
    for (char c : m.subject) ok = ok && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    if (!ok) return invalid_parameter("Subject");
  }
  RUNNEL_TRY(m.attributes, message_attributes(e));
  size_t size = m.message.size();
  for (const auto& [name, a] : m.attributes) size += name.size() + a.data_type.size() + a.string_value.size();
  if (size > kMaxMessageBytes) return invalid_parameter("Message too long");
  // After the size check: the structure is parsed only once it is known to be at most 256 KB.
  std::string structure = optional(e, "MessageStructure");
  if (!structure.empty()) {
    if (structure != "json") return invalid_parameter("MessageStructure");
    rapidjson::Document d;
    json::parse(d, m.message);
    if (d.HasParseError() || !d.IsObject()) return invalid_parameter("Message Structure - JSON message body failed to parse");
    if (!d.HasMember("default") || !d["default"].IsString())
      return invalid_parameter("Message Structure - No default entry in JSON message body");
    m.structure_json = true;
  }
  m.group_id = optional(e, "MessageGroupId");
  m.dedup_id = optional(e, "MessageDeduplicationId");
  if (topic.fifo) {
    if (m.group_id.empty()) return invalid_parameter("The MessageGroupId parameter is required for FIFO topics");
    if (m.dedup_id.empty()) {
      if (!topic.content_based_dedup)
        return invalid_parameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      m.dedup_id = sha256_hex(m.message);
    }
  } else if (!m.dedup_id.empty()) {
    return invalid_parameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type");
  }
  m.message_id = new_uuid();
  return m;
}

}  // namespace

void publish(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  std::string arn = optional(body, "TopicArn");
  if (arn.empty()) arn = optional(body, "TargetArn");
  if (arn.empty()) {
    if (!optional(body, "PhoneNumber").empty()) return reply(invalid_parameter("PhoneNumber Reason: SMS is not supported"));
    return reply(invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter"));
  }
  auto topic = svc.find_topic(arn);
  if (!topic) return reply(not_found("Topic does not exist"));
  auto decoded = decode_publish(*topic, body);
  if (!decoded.ok()) return reply(decoded.error());
  auto m = std::make_shared<Service::Message>(std::move(decoded).value());
  if (topic->fifo) {
    // A duplicate within 5 minutes is acknowledged as the original and not delivered again.
    if (auto dup = svc.duplicate(*topic, m->dedup_id, wall_ms()))
      return reply(fmt::format(R"({{"MessageId":"{}","SequenceNumber":"{:020d}"}})", dup->first, dup->second));
  }
  svc.stamp(*topic, *m);  // the signature: on this I/O thread, once for every subscriber
  svc.writer().run<Ok>(
      [&svc, topic, m, host = ctx.host](storage::WriteTxn& txn) -> Status {
        if (topic->fifo) m->sequence = svc.next_sequence(*topic);
        svc.fan_out(txn, *topic, *m, host);
        return ok_status();
      },
      [&svc, topic, m, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        if (!topic->fifo) return reply(one_member("MessageId", m->message_id));
        svc.remember(*topic, m->dedup_id, m->message_id, m->sequence, wall_ms());
        reply(fmt::format(R"({{"MessageId":"{}","SequenceNumber":"{:020d}"}})", m->message_id, m->sequence));
      });
}

void publish_batch(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply) {
  auto t = topic_param(svc, body);
  if (!t.ok()) return reply(t.error());
  auto topic = *t;
  auto it = body.FindMember("PublishBatchRequestEntries");
  if (it == body.MemberEnd() || !it->value.IsArray() || it->value.Empty())
    return reply(ApiError{"EmptyBatchRequest", "The batch request doesn't contain any entries", 400, true, "", {}});
  if (it->value.Size() > 10)
    return reply(ApiError{"TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible", 400, true, "", {}});
  struct Entry {
    std::string id;
    Result<Service::Message> message = ApiError::internal("");
  };
  auto entries = std::make_shared<std::vector<Entry>>();
  std::set<std::string> ids;
  size_t total = 0;
  for (const auto& e : it->value.GetArray()) {
    Entry entry;
    entry.id = optional(e, "Id");
    bool id_ok = !entry.id.empty() && entry.id.size() <= 80;
    for (char c : entry.id) id_ok = id_ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    if (!id_ok)
      return reply(ApiError{"InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.", 400, true, "", {}});
    if (!ids.insert(entry.id).second)
      return reply(ApiError{"BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", 400, true, "", {}});
    entry.message = decode_publish(*topic, e);
    if (entry.message.ok()) {
      total += entry.message->message.size();
      svc.stamp(*topic, *entry.message);
    }
    entries->push_back(std::move(entry));
  }
  // On a FIFO topic an entry without MessageGroupId fails the whole request.
  if (topic->fifo)
    for (const auto& e : it->value.GetArray())
      if (!e.HasMember("MessageGroupId") || !e["MessageGroupId"].IsString())
        return reply(invalid_parameter("The MessageGroupId parameter is required for FIFO topics"));
  if (total > kMaxMessageBytes)
    return reply(ApiError{"BatchRequestTooLong", "The length of all the messages put together is more than the limit.", 400, true, "", {}});
  svc.writer().run<Ok>(
      [&svc, topic, entries, host = ctx.host](storage::WriteTxn& txn) -> Status {
        for (auto& e : *entries) {
          if (!e.message.ok()) continue;
          if (topic->fifo) {
            if (auto dup = svc.duplicate(*topic, e.message->dedup_id, wall_ms())) {
              e.message->message_id = dup->first;
              e.message->sequence = dup->second;
              continue;
            }
            e.message->sequence = svc.next_sequence(*topic);
          }
          svc.fan_out(txn, *topic, *e.message, host);
        }
        return ok_status();
      },
      [&svc, topic, entries, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        rapidjson::StringBuffer sb;
        JsonWriter w(sb);
        w.StartObject();
        w.Key("Successful");
        w.StartArray();
        for (const auto& e : *entries) {
          if (!e.message.ok()) continue;
          if (topic->fifo) svc.remember(*topic, e.message->dedup_id, e.message->message_id, e.message->sequence, wall_ms());
          w.StartObject();
          key_string(w, "Id", e.id);
          key_string(w, "MessageId", e.message->message_id);
          if (topic->fifo) key_string(w, "SequenceNumber", fmt::format("{:020d}", e.message->sequence));
          w.EndObject();
        }
        w.EndArray();
        w.Key("Failed");
        w.StartArray();
        for (const auto& e : *entries) {
          if (e.message.ok()) continue;
          w.StartObject();
          key_string(w, "Id", e.id);
          key_string(w, "Code", e.message.error().code);
          key_string(w, "Message", e.message.error().message);
          w.Key("SenderFault");
          w.Bool(true);
          w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        reply(finish_json(sb));
      });
}

}  // namespace runnel::sns
