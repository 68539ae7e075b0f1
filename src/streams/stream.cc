#include "streams/stream.h"

#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_parse.h"
#include "storage/key_codec.h"

namespace runnel::streams {

namespace {

constexpr uint64_t kTenToThe20Digits = 20;  // digits after the leading "1"

void key_string(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

std::string get_string(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

uint64_t get_u64(const rapidjson::Value& o, const char* key, uint64_t fallback = 0) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : fallback;
}

int64_t get_i64(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

AttrType key_type(std::string_view name) {
  if (name == "N") return AttrType::N;
  if (name == "B") return AttrType::B;
  return AttrType::S;
}

}  // namespace

std::string StreamMeta::arn() const {
  return fmt::format("arn:aws:dynamodb:{}:{}:table/{}/stream/{}", region, account, table_name, label);
}

const ShardInfo* StreamMeta::find_shard(std::string_view shard_id) const {
  for (const auto& s : shards)
    if (s.id == shard_id) return &s;
  return nullptr;
}

const ShardInfo* StreamMeta::shard_at(uint64_t start_seq) const {
  for (const auto& s : shards)
    if (s.start_seq == start_seq) return &s;
  return nullptr;
}

std::string encode_stream_meta(const StreamMeta& m) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  w.Key("id");
  w.Uint64(m.id);
  w.Key("table_id");
  w.Uint64(m.table_id);
  key_string(w, "account", m.account);
  key_string(w, "region", m.region);
  key_string(w, "table", m.table_name);
  key_string(w, "label", m.label);
  key_string(w, "view", m.view_type);
  key_string(w, "hash", m.keys.hash.name);
  key_string(w, "hash_type", attr_type_name(m.keys.hash.type));
  if (m.keys.range) {
    key_string(w, "range", m.keys.range->name);
    key_string(w, "range_type", attr_type_name(m.keys.range->type));
  }
  w.Key("created_ms");
  w.Int64(m.created_ms);
  w.Key("enabled");
  w.Bool(m.enabled);
  w.Key("disabled_ms");
  w.Int64(m.disabled_ms);
  w.Key("trim_seq");
  w.Uint64(m.trim_seq);
  w.Key("shards");
  w.StartArray();
  for (const auto& s : m.shards) {
    w.StartObject();
    key_string(w, "id", s.id);
    key_string(w, "parent", s.parent_id);
    w.Key("start");
    w.Uint64(s.start_seq);
    if (s.end_seq) {
      w.Key("end");
      w.Uint64(*s.end_seq);
    }
    w.Key("created_ms");
    w.Int64(s.created_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Result<StreamMeta> decode_stream_meta(std::string_view json) {
  rapidjson::Document d;
  json::parse(d, json);
  if (d.HasParseError() || !d.IsObject() || get_u64(d, "v") != 1)
    return ApiError::internal("corrupt stream definition in the store");
  StreamMeta m;
  m.id = get_u64(d, "id");
  m.table_id = get_u64(d, "table_id");
  m.account = get_string(d, "account");
  m.region = get_string(d, "region");
  m.table_name = get_string(d, "table");
  m.label = get_string(d, "label");
  m.view_type = get_string(d, "view");
  m.keys.hash = {get_string(d, "hash"), key_type(get_string(d, "hash_type"))};
  if (std::string range = get_string(d, "range"); !range.empty())
    m.keys.range = KeyAttribute{range, key_type(get_string(d, "range_type"))};
  m.created_ms = get_i64(d, "created_ms");
  m.enabled = d.HasMember("enabled") && d["enabled"].IsBool() && d["enabled"].GetBool();
  m.disabled_ms = get_i64(d, "disabled_ms");
  m.trim_seq = get_u64(d, "trim_seq", 1);
  if (d.HasMember("shards") && d["shards"].IsArray()) {
    for (const auto& s : d["shards"].GetArray()) {
      ShardInfo shard;
      shard.id = get_string(s, "id");
      shard.parent_id = get_string(s, "parent");
      shard.start_seq = get_u64(s, "start");
      if (s.HasMember("end")) shard.end_seq = get_u64(s, "end");
      shard.created_ms = get_i64(s, "created_ms");
      m.shards.push_back(std::move(shard));
    }
  }
  if (m.id == 0 || m.shards.empty()) return ApiError::internal("corrupt stream definition in the store");
  return m;
}

std::string format_sequence_number(uint64_t seq) { return fmt::format("1{:020d}", seq); }

std::optional<uint64_t> parse_sequence_number(std::string_view text) {
  if (text.size() != kTenToThe20Digits + 1 || text[0] != '1') return std::nullopt;
  uint64_t value = 0;
  auto digits = text.substr(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::string meta_key(uint64_t stream_id) { return fmt::format("{}{:020d}", kMetaPrefix, stream_id); }

std::string record_key(uint64_t stream_id, uint64_t seq) {
  std::string key;
  key.reserve(17);
  key.push_back('r');
  storage::append_u64(key, stream_id);
  storage::append_u64(key, seq);
  return key;
}

uint64_t record_key_seq(std::string_view key) {
  uint64_t seq = 0;
  for (size_t i = key.size() - 8; i < key.size(); ++i) seq = (seq << 8) | static_cast<uint8_t>(key[i]);
  return seq;
}

Stream::Stream(StreamMeta meta)
    : working(meta), id_(meta.id), arn_(meta.arn()), published_(std::make_shared<const StreamMeta>(std::move(meta))) {}

std::shared_ptr<const StreamMeta> Stream::snapshot() const {
  std::lock_guard lock(mu_);
  return published_;
}

void Stream::publish(std::shared_ptr<const StreamMeta> meta) {
  {
    std::lock_guard lock(mu_);
    published_ = std::move(meta);
  }
  // A new shard or the stream's end concerns a consumer as much as a record does.
  if (!has_subscribers_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(subscribers_mu_);
  for (auto& [token, wake] : subscribers_) wake();
}

void Stream::committed(uint64_t seq, std::optional<ports::StreamRecord> record) {
  if (record)
    tail_.append(std::move(*record));
  else
    tail_.forget();
  uint64_t prev = committed_seq_.load(std::memory_order_relaxed);
  while (prev < seq && !committed_seq_.compare_exchange_weak(prev, seq, std::memory_order_release)) {
  }
  if (!has_subscribers_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(subscribers_mu_);
  for (auto& [token, wake] : subscribers_) wake();
}

uint64_t Stream::subscribe(Waker wake) {
  std::lock_guard lock(subscribers_mu_);
  uint64_t token = next_token_++;
  subscribers_.emplace(token, std::move(wake));
  has_subscribers_.store(true, std::memory_order_release);
  return token;
}

void Stream::unsubscribe(uint64_t token) {
  std::lock_guard lock(subscribers_mu_);
  subscribers_.erase(token);
  has_subscribers_.store(!subscribers_.empty(), std::memory_order_release);
  if (subscribers_.empty()) tail_.forget();  // nobody reads it: give the memory back
}

}  // namespace runnel::streams
