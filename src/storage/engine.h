// The embedded store: one RocksDB database with a column family per kind of data, and the writer
// stage every mutation goes through. Knows nothing of AWS: callers own their key layouts.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

#include "common/result.h"

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
};
inline constexpr int kFamilyCount = 6;
const char* family_name(Family f);

enum class Durability { kStrict, kRelaxed };

struct EngineOptions {
  std::string path;
  bool in_memory = false;
  Durability durability = Durability::kStrict;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(const EngineOptions& options);
  ~Engine();

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(Family f) { return families_[static_cast<int>(f)]; }
  Durability durability() const { return durability_; }

  // Point read of committed data (never sees a batch still in the writer).
  std::optional<std::string> get(Family f, std::string_view key);
  std::unique_ptr<rocksdb::Iterator> iterator(Family f, const rocksdb::ReadOptions& options = {});

  // Flushes the WAL to disk (used on clean shutdown in relaxed mode).
  void sync_wal();

  // Free bytes on the data directory's file system (max when in memory): a statvfs at most every
  // 50 ms while space is plentiful, at every call once less than 64 MiB is left. Thread-safe. The
  // writer refuses writes that would leave less than a reserve (storage/writer.h, "A full disk").
  uint64_t free_bytes();

 private:
  Engine() = default;
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_ (declared first, destroyed last)
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  Durability durability_ = Durability::kStrict;
  std::string path_;  // empty in memory: no disk to fill
  std::mutex free_mu_;
  uint64_t free_bytes_ = 0;  // at the last statvfs
  int64_t last_statvfs_ns_ = 0;
};

}  // namespace runnel::storage
