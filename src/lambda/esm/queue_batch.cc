#include "lambda/esm/queue_batch.h"

#include <rapidjson/document.h>

#include "common/base64.h"
#include "common/json_parse.h"
#include "common/json_write.h"

namespace runnel::lambda::esm {

namespace {

// messageAttributes as Lambda writes them: camelCase, with the (always empty) list members.
void write_message_attributes(JsonWriter& w, const ports::MessageAttributes& attributes) {
  w.StartObject();
  for (const auto& [name, a] : attributes) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    if (a.binary) key_string(w, "binaryValue", base64_encode(a.value));
    else key_string(w, "stringValue", a.value);
    w.Key("stringListValues");
    w.StartArray();
    w.EndArray();
    w.Key("binaryListValues");
    w.StartArray();
    w.EndArray();
    key_string(w, "dataType", a.data_type);
    w.EndObject();
  }
  w.EndObject();
}

// One record. `body_json`: the parsed body to write in place of the string (filtering), or null.
void write_record(JsonWriter& w, const ports::QueueMessage& m, std::string_view queue_arn, std::string_view region,
                  const rapidjson::Document* body_json) {
  w.StartObject();
  key_string(w, "messageId", m.message_id);
  key_string(w, "receiptHandle", m.receipt_handle);
  if (body_json) {
    w.Key("body");
    body_json->Accept(w);
  } else {
    key_string(w, "body", m.body);
  }
  w.Key("attributes");
  w.StartObject();
  for (const auto& [name, value] : m.attributes)
    if (name != "DeadLetterQueueSourceArn") key_string(w, name.c_str(), value);
  w.EndObject();
  w.Key("messageAttributes");
  write_message_attributes(w, m.message_attributes);
  key_string(w, "md5OfBody", m.md5_body);
  if (!m.md5_attributes.empty()) key_string(w, "md5OfMessageAttributes", m.md5_attributes);
  key_string(w, "eventSource", "aws:sqs");
  key_string(w, "eventSourceARN", queue_arn);
  key_string(w, "awsRegion", region);
  w.EndObject();
}

}  // namespace

std::string queue_event_for(const std::vector<ports::QueueMessage>& messages, std::string_view queue_arn,
                            std::string_view region) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("Records");
  w.StartArray();
  for (const auto& m : messages) write_record(w, m, queue_arn, region, nullptr);
  w.EndArray();
  w.EndObject();
  return finish_json(sb);
}

std::string queue_filter_document(const ports::QueueMessage& message, std::string_view queue_arn,
                                  std::string_view region) {
  rapidjson::Document body;
  bool as_json = json::parse(body, message.body) && (body.IsObject() || body.IsArray());
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  write_record(w, message, queue_arn, region, as_json ? &body : nullptr);
  return finish_json(sb);
}

Outcome queue_item_failures(std::string_view payload, const std::vector<ports::QueueMessage>& messages,
                            std::set<std::string>& failed) {
  std::set<std::string_view> ids;
  for (const auto& m : messages) ids.insert(m.message_id);
  return read_item_failures(payload, [&](std::string_view id) {
    if (!ids.count(id)) return false;  // empty, or not a message of this batch
    failed.emplace(id);
    return true;
  });
}

}  // namespace runnel::lambda::esm
