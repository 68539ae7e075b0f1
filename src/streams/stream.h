// One DynamoDB stream: its definition and shard lineage (persisted in the meta family), and the
// live state readers and writers share.
//
// Storage layout (docs/architecture.md, "Streams"):
//   meta    "ddbs/s/<20-digit id>"  -> StreamMeta as JSON (definition, status, trim point, shards)
//   meta    "ddbs/next"             -> next stream id
//   streams 'r' u64 stream id, u64 seq -> u64 write time (ms) + the record's JSON, as GetRecords
//                                         returns it
// Sequence numbers count up per stream. A shard is a contiguous range of them: one shard is open
// at a time and takes every new record; closing it ("rollover") fixes its end and opens a child
// whose range starts right after. So the records of one item are in order within a shard and
// across a parent and its child, and reading a shard is one ordered range scan.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/key_schema.h"
#include "streams/tail.h"

namespace runnel::streams {

struct ShardInfo {
  std::string id;         // shardId-00000001732537200123-1a2b3c4d
  std::string parent_id;  // empty for a stream's first shard
  uint64_t start_seq = 0;
  std::optional<uint64_t> end_seq;  // set once the shard is closed
  int64_t created_ms = 0;
  bool open() const { return !end_seq; }
};

struct StreamMeta {
  uint64_t id = 0;
  uint64_t table_id = 0;
  std::string account;
  std::string region;
  std::string table_name;
  std::string label;
  std::string view_type;  // KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
  KeySchema keys;
  int64_t created_ms = 0;
  bool enabled = true;       // false: DISABLED (stream turned off, or its table deleted)
  int64_t disabled_ms = 0;
  uint64_t trim_seq = 1;     // records below this were trimmed
  std::vector<ShardInfo> shards;  // oldest first; trimmed shards are dropped

  std::string arn() const;
  const ShardInfo* find_shard(std::string_view shard_id) const;
  const ShardInfo* shard_at(uint64_t start_seq) const;
};

std::string encode_stream_meta(const StreamMeta& m);
Result<StreamMeta> decode_stream_meta(std::string_view json);

// Sequence numbers on the wire: 21-digit decimal strings ("1" + 20 digits), numerically ordered
// like the u64 they carry. AWS's are 21-40 digits; clients compare them as numbers.
std::string format_sequence_number(uint64_t seq);
// nullopt: not a sequence number this server could have issued.
std::optional<uint64_t> parse_sequence_number(std::string_view text);

// Storage keys.
std::string meta_key(uint64_t stream_id);
inline constexpr std::string_view kMetaPrefix = "ddbs/s/";
inline constexpr std::string_view kNextIdKey = "ddbs/next";
std::string record_key(uint64_t stream_id, uint64_t seq);
uint64_t record_key_seq(std::string_view key);

// The live stream. Readers see the definition as of the last commit (`snapshot()`); the writer's
// apply thread owns `working`, which runs ahead of it by the writes of groups not yet committed.
class Stream {
 public:
  // The newest records kept in memory for the stream's subscribers (streams/tail.h): at 300 bytes
  // a record, the last ~13,000 writes.
  static constexpr size_t kTailBytes = 4 << 20;

  explicit Stream(StreamMeta meta);

  uint64_t id() const { return id_; }
  const std::string& arn() const { return arn_; }

  std::shared_ptr<const StreamMeta> snapshot() const;
  // Highest sequence number committed (0: none). Load it before snapshot(): a rollover is
  // published before any record of the child shard (see Streams::read).
  uint64_t committed_seq() const { return committed_seq_.load(std::memory_order_acquire); }

  // --- completion thread (after the commit) ---
  void publish(std::shared_ptr<const StreamMeta> meta);
  // Advances committed_seq and wakes subscribers; the record (when the apply thread kept it, see
  // keeps_tail) goes to the tail first.
  void committed(uint64_t seq, std::optional<ports::StreamRecord> record = std::nullopt);

  // Whether a record written now should be kept for the tail: somebody follows the stream.
  bool keeps_tail() const { return has_subscribers_.load(std::memory_order_acquire); }
  const RecordTail& tail() const { return tail_; }

  // --- subscriptions (any thread) ---
  using Waker = std::function<void()>;
  uint64_t subscribe(Waker wake);
  void unsubscribe(uint64_t token);

  // --- apply thread only ---
  StreamMeta working;
  uint64_t next_seq = 1;
  uint64_t open_shard_records = 0;

 private:
  const uint64_t id_;
  const std::string arn_;
  mutable std::mutex mu_;
  std::shared_ptr<const StreamMeta> published_;
  std::atomic<uint64_t> committed_seq_{0};
  std::atomic<bool> has_subscribers_{false};
  RecordTail tail_{kTailBytes};
  std::mutex subscribers_mu_;  // separate from mu_, so a waker may take a snapshot
  std::map<uint64_t, Waker> subscribers_;
  uint64_t next_token_ = 1;
};

}  // namespace runnel::streams
