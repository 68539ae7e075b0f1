#include "streams/stream.h"

#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_parse.h"
#include "common/json_write.h"
#include "storage/key_codec.h"
#include "storage/record_codec.h"

namespace runnel::streams {

namespace {

constexpr uint64_t kTenToThe20Digits = 20;  // digits after the leading "1"

std::string get_string(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
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

namespace {

const storage::RecordCodec<ShardInfo>& shard_codec() {
  static const auto codec = storage::RecordCodec<ShardInfo>()
                                .field("id", &ShardInfo::id)
                                .field("parent", &ShardInfo::parent_id)
                                .field("start", &ShardInfo::start_seq)
                                .field("end", &ShardInfo::end_seq)
                                .field("created_ms", &ShardInfo::created_ms);
  return codec;
}

const storage::RecordCodec<StreamMeta>& meta_codec() {
  static const auto codec =
      storage::RecordCodec<StreamMeta>(1)
          .field("id", &StreamMeta::id)
          .field("table_id", &StreamMeta::table_id)
          .field("account", &StreamMeta::account)
          .field("region", &StreamMeta::region)
          .field("table", &StreamMeta::table_name)
          .field("label", &StreamMeta::label)
          .field("view", &StreamMeta::view_type)
          // The key schema, flat: hash, hash_type and (for a composite key) range, range_type.
          .custom(
              [](storage::RecordCodec<StreamMeta>::Writer& w, const StreamMeta& m) {
                key_string(w, "hash", m.keys.hash.name);
                key_string(w, "hash_type", attr_type_name(m.keys.hash.type));
                if (m.keys.range) {
                  key_string(w, "range", m.keys.range->name);
                  key_string(w, "range_type", attr_type_name(m.keys.range->type));
                }
              },
              [](const rapidjson::Value& d, StreamMeta& m) {
                m.keys.hash = {get_string(d, "hash"), key_type(get_string(d, "hash_type"))};
                if (std::string range = get_string(d, "range"); !range.empty())
                  m.keys.range = KeyAttribute{range, key_type(get_string(d, "range_type"))};
              })
          .field("created_ms", &StreamMeta::created_ms)
          .field("enabled", &StreamMeta::enabled)
          .field("disabled_ms", &StreamMeta::disabled_ms)
          .field("trim_seq", &StreamMeta::trim_seq, 1)
          .list("shards", &StreamMeta::shards, shard_codec());
  return codec;
}

}  // namespace

std::string encode_stream_meta(const StreamMeta& m) { return meta_codec().encode(m); }

Result<StreamMeta> decode_stream_meta(std::string_view json) {
  auto m = meta_codec().decode(json);
  if (!m || m->id == 0 || m->shards.empty()) return ApiError::internal("corrupt stream definition in the store");
  return std::move(*m);
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
