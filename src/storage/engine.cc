#include "storage/engine.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <chrono>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>

#include "common/log.h"
#include "storage/prewritten_wal.h"

namespace runnel::storage {

const char* family_name(Family f) {
  switch (f) {
    case Family::kMeta: return "default";  // RocksDB's mandatory family doubles as the catalog
    case Family::kItems: return "items";
    case Family::kIndexes: return "indexes";
    case Family::kStreams: return "streams";
    case Family::kQueues: return "queues";
    case Family::kQueueStates: return "queue_states";
  }
  return "?";
}

Result<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options) {
  std::unique_ptr<Engine> engine(new Engine());
  engine->durability_ = options.durability;
  if (!options.in_memory) engine->path_ = options.path;

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Group commit happens in our writer stage; RocksDB's own pipelining helps the WAL write overlap.
  db_options.enable_pipelined_write = true;
  db_options.max_background_jobs = 2;
  // No automatic resume after a background I/O error: RocksDB's recovery thread writes to the WAL
  // writer that failed (see has_room_for). Writes are refused after such an error until a restart
  // (storage::Writer::failed), which replays the WAL.
  db_options.max_bgerror_resume_count = 0;
  // Compactions run at the lowest CPU priority (nice 19): on a small machine they would otherwise
  // take the cores from the requests they exist to serve (docs/architecture.md, "Storage"). They
  // still get every idle cycle, and memtable flushes (the HIGH pool), which writes can stall on,
  // keep normal priority.
  rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow);
  if (options.in_memory) {
    engine->env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  } else {
    // WAL files written ahead with zeros, so a commit's fdatasync does not also have to write the
    // file's grown size (storage/prewritten_wal.h).
    engine->env_ = rocksdb::NewCompositeEnv(prewritten_wal_file_system(rocksdb::FileSystem::Default()));
  }
  db_options.env = engine->env_.get();

  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  table_options.block_cache = rocksdb::NewLRUCache(128 << 20);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  cf_options.write_buffer_size = 32 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kFamilyCount; ++i)
    descriptors.emplace_back(family_name(static_cast<Family>(i)), cf_options);

  std::string path = options.in_memory ? "/runnel-in-memory" : options.path;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors,
                                        &engine->families_, &raw);
  if (!s.ok()) return ApiError::internal("cannot open store at " + path + ": " + s.ToString());
  engine->db_.reset(raw);
  return engine;
}

Engine::~Engine() {
  if (db_) {
    for (auto* h : families_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

std::optional<std::string> Engine::get(Family f, std::string_view key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), family(f), rocksdb::Slice(key.data(), key.size()), &value);
  if (!s.ok()) return std::nullopt;
  return value;
}

std::unique_ptr<rocksdb::Iterator> Engine::iterator(Family f, const rocksdb::ReadOptions& options) {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, family(f)));
}

void Engine::sync_wal() { db_->FlushWAL(true); }

uint64_t Engine::free_bytes() {
  if (path_.empty()) return UINT64_MAX;
  constexpr int64_t kRefreshNs = 50'000'000;
  constexpr uint64_t kNearlyFull = 64u << 20;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  std::lock_guard lock(free_mu_);
  if (now - last_statvfs_ns_ > kRefreshNs || free_bytes_ < kNearlyFull) {
    struct statvfs fs {};
    if (::statvfs(path_.c_str(), &fs) != 0) return UINT64_MAX;  // unknown: let RocksDB decide
    free_bytes_ = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    last_statvfs_ns_ = now;
  }
  return free_bytes_;
}
}  // namespace runnel::storage
