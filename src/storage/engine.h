// The embedded store: one RocksDB database with a column family per kind of data, and the writer
// stage every mutation goes through. Knows nothing of AWS: callers own their key layouts. Only
// src/storage sees RocksDB (scripts/check-layering.sh holds it): services read through the types
// in storage/read.h, write through storage::Writer, and use Batch/delete_range for the few writes
// that rightly bypass the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/read.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace runnel::storage {

// Column families. Values are the on-disk names; never rename one.
enum class Family : int {
  kMeta = 0,     // catalogs: table definitions, counters, idempotency tokens
  kItems = 1,    // DynamoDB items
  kIndexes = 2,  // GSI / LSI entries
  kStreams = 3,  // stream records
  kQueues = 4,   // queued messages and delivery tasks (later services)
  // SQS message states (visibility, receive count), apart from the messages: each family's keys
  // then only grow while a queue fills, so compactions move files instead of rewriting them.
  kQueueStates = 5,
  // CloudWatch Logs events, keyed by log group and time (and a per-stream index): apart, so that a
  // flood of log lines neither churns the items' compactions nor evicts their blocks.
  kLogs = 6,
};
inline constexpr int kFamilyCount = 7;
const char* family_name(Family f);

enum class Durability { kStrict, kRelaxed };

struct EngineOptions {
  std::string path;
  bool in_memory = false;
  Durability durability = Durability::kStrict;
};

// Writes straight to the store, outside the writer: atomic (all or nothing) and synced whatever
// the durability mode. Only for writes no writer step can race with: start-up migrations that run
// before the services take requests (sqs::move_state_keys), and records written once under their
// own lock that no step reads or writes (SNS's signing key, made lazily, possibly from inside a
// writer step, where waiting for a writer commit would deadlock the writer).
class Batch {
 public:
  explicit Batch(Engine& engine);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  void put(Family f, std::string_view key, std::string_view value);
  void del(Family f, std::string_view key);
  size_t count() const;

 private:
  friend class Engine;
  Engine& engine_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Durability durability() const { return durability_; }

  // Point reads of committed data (never see a batch still in the writer). The copying form is
  // for small records; the pinned one for items and messages on hot paths (no copy): true when
  // found, false when absent, an internal error when RocksDB fails.
  std::optional<std::string> get(Family f, std::string_view key);
  Result<bool> get(Family f, std::string_view key, PinnedValue& out);

  // A cursor over committed data (see storage/read.h). scan_prefix is bounded to the keys that
  // start with `prefix` (copied: it may be a temporary) and already positioned at the first.
  Cursor scan(Family f, const ScanOptions& options = {});
  Cursor scan_prefix(Family f, std::string_view prefix);

  // Deletes [begin, end) at once, outside the writer and not synced: only for rows that a committed
  // write has already made unreachable (a dropped table's items, a deleted queue id's messages,
  // stream records below a stored trim point), so that it needs no place in a writer step. A crash
  // that loses it loses nothing visible: the rows stay unreachable (streams deletes its trimmed
  // records again at start-up). Runs where it is called; callers call it after the commit.
  Status delete_range(Family f, std::string_view begin, std::string_view end);

  // Commits `batch` at once (see Batch): atomic and synced.
  Status write_synced(Batch& batch);

  // Flushes the WAL to disk (used on clean shutdown in relaxed mode).
  void sync_wal();

  // Free bytes on the data directory's file system (max when in memory): a statvfs at most every
  // 50 ms while space is plentiful, at every call once less than 64 MiB is left. Thread-safe. The
  // writer refuses writes that would leave less than a reserve (storage/writer.h, "A full disk").
  uint64_t free_bytes();

 private:
  friend struct Rocks;  // storage/rocks.h: the RocksDB objects, for src/storage only
  friend class Batch;
  friend class Snapshot;
  struct Impl;
  Engine();
  std::unique_ptr<Impl> impl_;
  Durability durability_ = Durability::kStrict;
  std::string path_;  // empty in memory: no disk to fill
  std::mutex free_mu_;
  uint64_t free_bytes_ = 0;  // at the last statvfs
  int64_t last_statvfs_ns_ = 0;
};

}  // namespace runnel::storage
