// The event-source port: what an in-process consumer (Lambda's event source mappings) reads a
// DynamoDB stream through, and how the commit wakes it. The streams service implements it; the
// consumer never sees the stream's storage or its API.
//
// Waking: subscribe() registers a callback the completion thread runs after every commit that adds
// records to the stream or changes its shards (a rollover, the stream's end). It must be quick
// and must not call back into the source: it only tells the consumer to look again, on its own
// thread. Nothing polls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace runnel::ports {

struct ShardSpan {
  std::string id;
  std::string parent_id;  // empty for a stream's first shard
  uint64_t start_seq = 0;
  std::optional<uint64_t> end_seq;  // set once the shard is closed
};

struct StreamView {
  std::string arn;
  std::string account;
  std::string region;
  std::string table_name;
  std::string view_type;
  bool enabled = true;     // false: the stream was turned off or its table deleted
  uint64_t trim_seq = 1;   // records below this are gone
  uint64_t committed_seq = 0;
  std::vector<ShardSpan> shards;  // oldest first: a parent before its children
};

struct StreamRecord {
  uint64_t seq = 0;
  int64_t written_ms = 0;  // when the change committed (ApproximateCreationDateTime)
  std::string json;        // the record as GetRecords returns it
};

struct ShardBatch {
  std::vector<StreamRecord> records;  // in sequence order
  uint64_t next_seq = 0;              // where the next read starts
  bool shard_end = false;             // the shard is closed and has been read to its end
};

class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // nullopt: no such stream (never created, or forgotten after its retention).
  virtual std::optional<StreamView> describe(std::string_view stream_arn) const = 0;
  // Up to `limit` committed records of the shard starting at `shard_start`, from `from_seq` on,
  // stopping at `max_bytes` (at least one record). Errors: ResourceNotFoundException (no such
  // stream or shard), TrimmedDataAccessException (`from_seq` is below the trim point).
  virtual Result<ShardBatch> read(std::string_view stream_arn, uint64_t shard_start, uint64_t from_seq, size_t limit,
                                  size_t max_bytes) const = 0;
  // 0 when there is no such stream.
  virtual uint64_t subscribe(std::string_view stream_arn, std::function<void()> wake) = 0;
  virtual void unsubscribe(std::string_view stream_arn, uint64_t token) = 0;
};

}  // namespace runnel::ports
