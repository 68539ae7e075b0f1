// The newest committed records of a stream that in-process consumers follow, kept in memory.
//
// A consumer woken by a commit (Lambda's event source mappings, ports/event_source.h) reads what
// that commit added. From the store that is a RocksDB iterator per wake — half of a mapping's own
// CPU at 30,000 writes/s, taken from the writes it follows on a small machine (docs/benchmarks.md,
// "mapping cost"). The tail hands those records out of memory instead. Only a stream with a
// subscriber keeps one, within a byte budget; a consumer that falls further behind than the tail
// reaches (or starts from TRIM_HORIZON) reads the store as before, so the tail changes how fast a
// read is, never what it returns.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "ports/event_source.h"

namespace runnel::streams {

class RecordTail {
 public:
  explicit RecordTail(size_t max_bytes) : max_bytes_(max_bytes) {}

  // --- the completion thread, in commit order (which is sequence order) ---
  // A committed record, appended before the stream's committed_seq moves past it, so a reader
  // that sees the new committed_seq finds the record here. The oldest records leave as the
  // budget requires.
  void append(ports::StreamRecord record);
  // A record committed without its body (written while nobody subscribed), or the last
  // subscriber left: the tail holds nothing it could vouch for until the next append.
  void forget();

  // Visits the committed records of [from_seq, upper) in order until `visit` returns false.
  // nullopt: the tail does not hold every record from `from_seq` on (read the store instead);
  // otherwise whether every record below `upper` was visited.
  using Visit = std::function<bool(uint64_t seq, int64_t written_ms, std::string_view json)>;
  std::optional<bool> visit(uint64_t from_seq, uint64_t upper, const Visit& visit) const;

 private:
  static constexpr uint64_t kNothing = std::numeric_limits<uint64_t>::max();
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<ports::StreamRecord> records_;
  size_t bytes_ = 0;
  // Every committed record with a sequence number from here on is in records_.
  uint64_t complete_from_ = kNothing;
  // Whether complete_from_ is set: forget() runs for every record committed on a stream nobody
  // follows, and must not take the mutex for a tail that holds nothing.
  std::atomic<bool> holding_{false};
};

}  // namespace runnel::streams
