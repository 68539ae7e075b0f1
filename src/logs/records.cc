#include "logs/records.h"

#include <fmt/format.h>

#include "storage/record_codec.h"

namespace runnel::logs {

namespace {

const storage::RecordCodec<LogGroup>& group_codec() {
  static const auto codec = storage::RecordCodec<LogGroup>(1)
                                .field("account", &LogGroup::account)
                                .field("region", &LogGroup::region)
                                .field("name", &LogGroup::name)
                                .field("id", &LogGroup::id)
                                .field("created", &LogGroup::creation_time)
                                .field("retention_days", &LogGroup::retention_days)
                                .field("class", &LogGroup::log_group_class, "STANDARD")
                                .field("tags", &LogGroup::tags);
  return codec;
}

const storage::RecordCodec<LogStream>& stream_codec() {
  static const auto codec = storage::RecordCodec<LogStream>(1)
                                .field("name", &LogStream::name)
                                .field("id", &LogStream::id)
                                .field("group_id", &LogStream::group_id)
                                .field("created", &LogStream::creation_time)
                                .field("first_event", &LogStream::first_event)
                                .field("last_event", &LogStream::last_event)
                                .field("last_ingestion", &LogStream::last_ingestion)
                                .field("next_seq", &LogStream::next_seq)
                                .field("bytes", &LogStream::stored_bytes);
  return codec;
}

constexpr char kEventFormat = '\x01';

}  // namespace

std::string LogGroup::arn() const { return arn_without_star() + ":*"; }
std::string LogGroup::arn_without_star() const {
  return fmt::format("arn:aws:logs:{}:{}:log-group:{}", region, account, name);
}

std::string encode_group(const LogGroup& g) { return group_codec().encode(g); }
std::optional<LogGroup> decode_group(std::string_view stored) { return group_codec().decode(stored); }
std::string encode_stream(const LogStream& s) { return stream_codec().encode(s); }
std::optional<LogStream> decode_stream(std::string_view stored) { return stream_codec().decode(stored); }

std::string group_prefix(std::string_view account, std::string_view region) {
  return fmt::format("logs/g/{}/{}/", account, region);
}
std::string group_key(std::string_view account, std::string_view region, std::string_view name) {
  return group_prefix(account, region) + std::string(name);
}
std::string stream_prefix(uint64_t group_id) { return fmt::format("logs/s/{:016x}/", group_id); }
std::string stream_key(uint64_t group_id, std::string_view name) { return stream_prefix(group_id) + std::string(name); }

void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_u64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  return v;
}

std::string event_group_prefix(uint64_t group_id) {
  std::string k(1, 'e');
  put_u64(k, group_id);
  return k;
}

std::string event_key(uint64_t group_id, uint64_t timestamp, uint64_t stream_id, uint64_t seq) {
  std::string k = event_group_prefix(group_id);
  put_u64(k, timestamp);
  put_u64(k, stream_id);
  put_u64(k, seq);
  return k;
}

std::string index_stream_prefix(uint64_t stream_id) {
  std::string k(1, 's');
  put_u64(k, stream_id);
  return k;
}

std::string index_key(uint64_t stream_id, uint64_t timestamp, uint64_t seq) {
  std::string k = index_stream_prefix(stream_id);
  put_u64(k, timestamp);
  put_u64(k, seq);
  return k;
}

std::optional<EventKey> parse_event_key(std::string_view key) {
  if (key.size() != 33 || key[0] != 'e') return std::nullopt;
  return EventKey{get_u64(key.substr(1)), get_u64(key.substr(9)), get_u64(key.substr(17)), get_u64(key.substr(25))};
}

std::optional<IndexKey> parse_index_key(std::string_view key) {
  if (key.size() != 25 || key[0] != 's') return std::nullopt;
  return IndexKey{get_u64(key.substr(1)), get_u64(key.substr(9)), get_u64(key.substr(17))};
}

std::string encode_event(int64_t ingestion_time, std::string_view message) {
  std::string v(1, kEventFormat);
  put_u64(v, static_cast<uint64_t>(ingestion_time));
  v.append(message);
  return v;
}

std::optional<StoredEvent> decode_event(std::string_view stored) {
  if (stored.size() < 9 || stored[0] != kEventFormat) return std::nullopt;
  return StoredEvent{static_cast<int64_t>(get_u64(stored.substr(1))), stored.substr(9)};
}

}  // namespace runnel::logs
