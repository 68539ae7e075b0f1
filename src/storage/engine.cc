#include "storage/engine.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <chrono>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/write_batch.h>

#include "common/log.h"
#include "storage/prewritten_wal.h"
#include "storage/rocks.h"

namespace runnel::storage {

const char* family_name(Family f) {
  switch (f) {
    case Family::kMeta: return "default";  // RocksDB's mandatory family doubles as the catalog
    case Family::kItems: return "items";
    case Family::kIndexes: return "indexes";
    case Family::kStreams: return "streams";
    case Family::kQueues: return "queues";
    case Family::kQueueStates: return "queue_states";
    case Family::kLogs: return "logs";
  }
  return "?";
}

Result<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options) {
  std::unique_ptr<Engine> engine(new Engine());
  Impl& impl = *engine->impl_;
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
    impl.env.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  } else {
    // WAL files written ahead with zeros, so a commit's fdatasync does not also have to write the
    // file's grown size (storage/prewritten_wal.h).
    impl.env = rocksdb::NewCompositeEnv(prewritten_wal_file_system(rocksdb::FileSystem::Default()));
  }
  db_options.env = impl.env.get();

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
                                        &impl.families, &raw);
  if (!s.ok()) return ApiError::internal("cannot open store at " + path + ": " + s.ToString());
  impl.db.reset(raw);
  return engine;
}

Engine::Engine() : impl_(std::make_unique<Impl>()) {}

Engine::~Engine() {
  if (impl_->db) {
    for (auto* h : impl_->families) impl_->db->DestroyColumnFamilyHandle(h);
    impl_->db->Close();
  }
}

std::optional<std::string> Engine::get(Family f, std::string_view key) {
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), Rocks::family(*this, f), to_slice(key), &value);
  if (!s.ok()) return std::nullopt;
  return value;
}

Status Engine::delete_range(Family f, std::string_view begin, std::string_view end) {
  auto s = impl_->db->DeleteRange(rocksdb::WriteOptions(), Rocks::family(*this, f), to_slice(begin), to_slice(end));
  if (!s.ok()) return ApiError::internal("range delete in " + std::string(family_name(f)) + ": " + s.ToString());
  return ok_status();
}

Batch::Batch(Engine& engine) : engine_(engine), batch_(std::make_unique<rocksdb::WriteBatch>()) {}
Batch::~Batch() = default;

void Batch::put(Family f, std::string_view key, std::string_view value) {
  batch_->Put(Rocks::family(engine_, f), to_slice(key), to_slice(value));
}

void Batch::del(Family f, std::string_view key) { batch_->Delete(Rocks::family(engine_, f), to_slice(key)); }

size_t Batch::count() const { return batch_->Count(); }

Status Engine::write_synced(Batch& batch) {
  rocksdb::WriteOptions options;
  options.sync = true;
  auto s = impl_->db->Write(options, batch.batch_.get());
  if (!s.ok()) return ApiError::internal(s.ToString());
  return ok_status();
}

void Engine::sync_wal() { impl_->db->FlushWAL(true); }

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
