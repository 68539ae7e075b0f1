#include "sqs/message.h"

#include <random>

#include <fmt/format.h>

#include "common/json_parse.h"
#include "common/base64.h"
#include "common/uuid.h"
#include "sqs/queue.h"
#include "storage/key_codec.h"
#include "storage/record_codec.h"

namespace runnel::sqs {

namespace {

using JsonValue = rapidjson::Value;

// SQS accepts #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, as UTF-8.
bool valid_characters(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
    else return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong) return false;
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
              (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) return false;
    i += len;
  }
  return true;
}

ApiError invalid_contents() {
  return sqs_error("InvalidMessageContents", "InvalidMessageContents",
                   "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
                   "#xE000 to #xFFFD | #x10000 to #x10FFFF");
}

std::optional<std::string> string_member(const JsonValue& o, const char* name) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || it->value.IsNull()) return std::nullopt;
  if (!it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Status validate_attribute_name(std::string_view name, bool system) {
  auto bad = [&](std::string_view why) {
    return invalid_parameter(fmt::format("Message (user) attribute name '{}' is invalid. {}", name, why));
  };
  if (system) {
    if (name != "AWSTraceHeader")
      return invalid_parameter(fmt::format("Message system attribute name '{}' is invalid.", name));
    return ok_status();
  }
  if (name.empty() || name.size() > 256) return bad("The attribute name must be between 1 and 256 characters long.");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return bad("The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.");
  }
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)
    return bad("The attribute name can't start or end with a period, or have successive periods.");
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("aws.") || lower.starts_with("amazon."))
    return bad("The attribute name can't start with AWS-reserved prefixes 'AWS.' or 'Amazon.'.");
  return ok_status();
}

void append_length_prefixed(std::string& buf, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  buf.push_back(static_cast<char>(n >> 24));
  buf.push_back(static_cast<char>(n >> 16));
  buf.push_back(static_cast<char>(n >> 8));
  buf.push_back(static_cast<char>(n));
  buf.append(s);
}

}  // namespace


std::string md5_of_attributes(const MessageAttributes& attrs) {
  if (attrs.empty()) return {};
  std::string buf;
  for (const auto& [name, a] : attrs) {
    append_length_prefixed(buf, name);
    append_length_prefixed(buf, a.data_type);
    buf.push_back(a.binary ? 2 : 1);
    append_length_prefixed(buf, a.value);
  }
  return md5_hex(buf);
}

Result<MessageAttributes> decode_attributes(const JsonValue& obj, bool system) {
  MessageAttributes out;
  if (!obj.IsObject()) return invalid_parameter("Message attributes must be a map.");
  if (!system && obj.MemberCount() > 10)
    return invalid_parameter(fmt::format("Number of message attributes [{}] exceeds the allowed maximum [10].", obj.MemberCount()));
  for (const auto& m : obj.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    RUNNEL_CHECK(validate_attribute_name(name, system));
    if (!m.value.IsObject()) return invalid_parameter(fmt::format("The message attribute '{}' is invalid.", name));
    MessageAttribute a;
    auto type = string_member(m.value, "DataType");
    if (!type || type->empty())
      return invalid_parameter(fmt::format("The message attribute '{}' must contain non-empty message attribute type.", name));
    a.data_type = *type;
    bool is_binary = a.data_type.starts_with("Binary");
    bool is_text = a.data_type.starts_with("String") || a.data_type.starts_with("Number");
    auto base = a.data_type.substr(0, a.data_type.find('.'));
    if ((!is_binary && !is_text) || (base != "Binary" && base != "String" && base != "Number"))
      return invalid_parameter(fmt::format(
          "The type of message (user) attribute '{}' is invalid. You must use only the following supported type "
          "prefixes: Binary, Number, String.",
          name));
    if (system && a.data_type != "String")
      return invalid_parameter(fmt::format("The message system attribute '{}' must be of type String.", name));
    if (is_binary) {
      auto b64 = string_member(m.value, "BinaryValue");
      std::optional<std::string> raw = b64 ? base64_decode(*b64) : std::nullopt;
      if (!raw || raw->empty())
        return invalid_parameter(fmt::format(
            "The message attribute '{}' must contain non-empty message attribute value for message attribute type '{}'.",
            name, base));
      a.value = std::move(*raw);
      a.binary = true;
    } else {
      auto s = string_member(m.value, "StringValue");
      if (!s || s->empty())
        return invalid_parameter(fmt::format(
            "The message attribute '{}' must contain non-empty message attribute value for message attribute type '{}'.",
            name, base));
      if (!valid_characters(*s)) return invalid_contents();
      a.value = std::move(*s);
    }
    out.emplace(std::move(name), std::move(a));
  }
  return out;
}

void write_attributes(rapidjson::Writer<rapidjson::StringBuffer>& w, const MessageAttributes& attrs) {
  w.StartObject();
  for (const auto& [name, a] : attrs) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    if (a.binary) {
      w.Key("BinaryValue");
      std::string b64 = base64_encode(a.value);
      w.String(b64.c_str(), static_cast<rapidjson::SizeType>(b64.size()));
    } else {
      w.Key("StringValue");
      w.String(a.value.c_str(), static_cast<rapidjson::SizeType>(a.value.size()));
    }
    w.Key("DataType");
    w.String(a.data_type.c_str(), static_cast<rapidjson::SizeType>(a.data_type.size()));
    w.EndObject();
  }
  w.EndObject();
}

Result<MessageInput> decode_message_input(const JsonValue& obj) {
  MessageInput m;
  auto body = obj.FindMember("MessageBody");
  if (body == obj.MemberEnd() || body->value.IsNull()) return missing_parameter("MessageBody");
  if (!body->value.IsString()) return invalid_parameter("The parameter MessageBody must be a string.");
  m.body.assign(body->value.GetString(), body->value.GetStringLength());
  if (m.body.empty())
    return sqs_error("MissingParameter", "MissingParameter", "The request must contain the parameter MessageBody.");
  if (!valid_characters(m.body)) return invalid_contents();
  if (auto d = obj.FindMember("DelaySeconds"); d != obj.MemberEnd() && !d->value.IsNull()) {
    if (!d->value.IsInt() || d->value.GetInt() < 0 || d->value.GetInt() > 900)
      return invalid_parameter(fmt::format(
          "Value {} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
          d->value.IsInt() ? std::to_string(d->value.GetInt()) : std::string("(not an integer)")));
    m.delay_seconds = d->value.GetInt();
  }
  if (auto a = obj.FindMember("MessageAttributes"); a != obj.MemberEnd() && !a->value.IsNull()) {
    RUNNEL_TRY(m.attributes, decode_attributes(a->value, false));
  }
  if (auto a = obj.FindMember("MessageSystemAttributes"); a != obj.MemberEnd() && !a->value.IsNull()) {
    RUNNEL_TRY(m.system_attributes, decode_attributes(a->value, true));
  }
  m.group_id = string_member(obj, "MessageGroupId").value_or("");
  m.dedup_id = string_member(obj, "MessageDeduplicationId").value_or("");
  return m;
}

size_t message_size(const MessageInput& m) {
  size_t n = m.body.size();
  for (const auto& [name, a] : m.attributes) n += name.size() + a.data_type.size() + a.value.size();
  return n;
}

namespace {

using InputWriter = storage::RecordCodec<MessageInput>::Writer;

// Message attributes as stored, {"name":{"StringValue"|"BinaryValue":…,"DataType":…}}: written
// under `key` only when there are some, read back with the same checks as a request's.
auto write_attributes_as(const char* key, MessageAttributes MessageInput::*member) {
  return [key, member](InputWriter& w, const MessageInput& m) {
    if ((m.*member).empty()) return;
    w.Key(key);
    write_attributes(w, m.*member);
  };
}

auto read_attributes_as(const char* key, MessageAttributes MessageInput::*member, bool system) {
  return [key, member, system](const rapidjson::Value& d, MessageInput& m) {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd()) return;
    if (auto a = decode_attributes(it->value, system); a.ok()) m.*member = std::move(a).value();
  };
}

// The input's fields sit around the digests: its identity and content first, its origin after.
const storage::RecordCodec<MessageInput>& input_head_codec() {
  static const auto codec =
      storage::RecordCodec<MessageInput>()
          .field("id", &MessageInput::message_id)
          .field("body", &MessageInput::body)
          .custom(write_attributes_as("attrs", &MessageInput::attributes),
                  read_attributes_as("attrs", &MessageInput::attributes, false))
          .custom(write_attributes_as("sys", &MessageInput::system_attributes),
                  read_attributes_as("sys", &MessageInput::system_attributes, true));
  return codec;
}

const storage::RecordCodec<MessageInput>& input_tail_codec() {
  static const auto codec = storage::RecordCodec<MessageInput>()
                                .field("sent", &MessageInput::sent_ms)
                                .field("sender", &MessageInput::sender_id)
                                .field("group", &MessageInput::group_id)
                                .field("dedup", &MessageInput::dedup_id)
                                .field("dlq_src", &MessageInput::dead_letter_source_arn);
  return codec;
}

const storage::RecordCodec<StoredMessage>& stored_codec() {
  static const auto codec = storage::RecordCodec<StoredMessage>()
                                .flatten(&StoredMessage::input, input_head_codec())
                                .field("md5b", &StoredMessage::md5_body)
                                .field("md5a", &StoredMessage::md5_attributes)
                                .field("md5s", &StoredMessage::md5_system)
                                .flatten(&StoredMessage::input, input_tail_codec())
                                .field("seq", &StoredMessage::sequence);
  return codec;
}

}  // namespace

std::string encode_stored(const StoredMessage& s) { return stored_codec().encode(s); }

std::optional<StoredMessage> decode_stored(std::string_view json) { return stored_codec().decode(json); }

namespace {
uint64_t handle_check(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t v : {a, b, c}) h = (h ^ v) * 0x100000001b3ull, h ^= h >> 31;
  return h;
}
uint64_t read_u64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}
}  // namespace

std::string encode_receipt_handle(const ReceiptHandle& h) {
  std::string raw;
  storage::append_u64(raw, h.queue_id);
  storage::append_u64(raw, h.seq);
  storage::append_u64(raw, h.nonce);
  storage::append_u64(raw, handle_check(h.queue_id, h.seq, h.nonce));
  return base64_encode(raw);
}

std::optional<ReceiptHandle> decode_receipt_handle(std::string_view text) {
  auto raw = base64_decode(text);
  if (!raw || raw->size() != 32) return std::nullopt;
  ReceiptHandle h{read_u64(*raw, 0), read_u64(*raw, 8), read_u64(*raw, 16)};
  if (read_u64(*raw, 24) != handle_check(h.queue_id, h.seq, h.nonce)) return std::nullopt;
  return h;
}

uint64_t new_nonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng() | 1;  // never 0: 0 means "not received"
}

std::string new_message_id() { return new_uuid(); }

}  // namespace runnel::sqs
