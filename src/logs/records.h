// CloudWatch Logs' stored records: log groups and log streams (kMeta, through RecordCodec), and the
// events themselves (kLogs, a compact binary layout: there may be millions).
//
//   meta "logs/g/<account>/<region>/<group name>"  -> LogGroup
//   meta "logs/s/<group id, 16 hex>/<stream name>"  -> LogStream
//   meta "logs/next_id"                             -> the next group or stream id (decimal)
//   logs 'e' <group id><timestamp><stream id><seq>  -> 0x01 <ingestion time> <message>
//   logs 's' <stream id><timestamp><seq>            -> "" (the stream's index of its events)
// (ids, timestamps and sequence numbers as 8-byte big-endian unsigned integers.)
//
// A group's events sort by time across its streams, so FilterLogEvents (and `aws logs tail`) reads
// them interleaved in one pass; a stream's index gives GetLogEvents its own events without reading
// the group's others. Ids are never reused: deleting a group or a stream leaves its events
// unreachable at once, and a range delete after the commit removes them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::logs {

struct LogGroup {
  std::string account;
  std::string region;
  std::string name;
  uint64_t id = 0;
  int64_t creation_time = 0;
  std::optional<int> retention_days;
  std::string log_group_class = "STANDARD";
  std::map<std::string, std::string> tags;

  // arn:aws:logs:<region>:<account>:log-group:<name>:* (DescribeLogGroups' `arn`); without the
  // ":*" it is `logGroupArn`, the form tagging takes.
  std::string arn() const;
  std::string arn_without_star() const;
};

struct LogStream {
  std::string name;
  uint64_t id = 0;
  uint64_t group_id = 0;
  int64_t creation_time = 0;
  std::optional<int64_t> first_event;
  std::optional<int64_t> last_event;
  std::optional<int64_t> last_ingestion;
  uint64_t next_seq = 0;  // the sequence number of the stream's next event
  uint64_t stored_bytes = 0;  // the messages' bytes written (a group reports its streams' sum)
};

std::string encode_group(const LogGroup& g);
std::optional<LogGroup> decode_group(std::string_view stored);
std::string encode_stream(const LogStream& s);
std::optional<LogStream> decode_stream(std::string_view stored);

std::string group_key(std::string_view account, std::string_view region, std::string_view name);
std::string group_prefix(std::string_view account, std::string_view region);
std::string stream_key(uint64_t group_id, std::string_view name);
std::string stream_prefix(uint64_t group_id);
inline constexpr std::string_view kNextIdKey = "logs/next_id";

// Event keys in kLogs.
std::string event_key(uint64_t group_id, uint64_t timestamp, uint64_t stream_id, uint64_t seq);
std::string event_group_prefix(uint64_t group_id);  // 'e' <group id>
std::string index_key(uint64_t stream_id, uint64_t timestamp, uint64_t seq);
std::string index_stream_prefix(uint64_t stream_id);  // 's' <stream id>

struct EventKey {
  uint64_t group_id = 0;
  uint64_t timestamp = 0;
  uint64_t stream_id = 0;
  uint64_t seq = 0;
};
std::optional<EventKey> parse_event_key(std::string_view key);
struct IndexKey {
  uint64_t stream_id = 0;
  uint64_t timestamp = 0;
  uint64_t seq = 0;
};
std::optional<IndexKey> parse_index_key(std::string_view key);

std::string encode_event(int64_t ingestion_time, std::string_view message);
struct StoredEvent {
  int64_t ingestion_time = 0;
  std::string_view message;  // into the stored value
};
std::optional<StoredEvent> decode_event(std::string_view stored);

// 8-byte big-endian, appended.
void put_u64(std::string& out, uint64_t v);
uint64_t get_u64(std::string_view bytes);  // the first 8 bytes

}  // namespace runnel::logs
