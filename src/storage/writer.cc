#include "storage/writer.h"

#include <rocksdb/utilities/write_batch_with_index.h>
#include <spdlog/spdlog.h>

#include "common/log.h"

namespace runnel::storage {

namespace {
// A group stops growing here so that one huge burst does not delay the first acknowledgements.
constexpr size_t kMaxGroup = 512;
}  // namespace

std::optional<std::string> WriteTxn::get(Family f, std::string_view key) {
  std::string value;
  auto s = batch_.GetFromBatchAndDB(engine_.db(), rocksdb::ReadOptions(), engine_.family(f),
                                    rocksdb::Slice(key.data(), key.size()), &value);
  if (!s.ok()) return std::nullopt;
  return value;
}

void WriteTxn::put(Family f, std::string_view key, std::string_view value) {
  batch_.Put(engine_.family(f), rocksdb::Slice(key.data(), key.size()),
             rocksdb::Slice(value.data(), value.size()));
}

void WriteTxn::del(Family f, std::string_view key) {
  batch_.Delete(engine_.family(f), rocksdb::Slice(key.data(), key.size()));
}

std::unique_ptr<rocksdb::Iterator> WriteTxn::iterator(Family f) {
  auto* base = engine_.db()->NewIterator(rocksdb::ReadOptions(), engine_.family(f));
  return std::unique_ptr<rocksdb::Iterator>(batch_.NewIteratorWithBase(engine_.family(f), base));
}

Writer::Writer(Engine& engine) : engine_(engine), thread_([this] { run(); }) {}

Writer::~Writer() { stop(); }

void Writer::submit(Apply apply, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      done(false);
      return;
    }
    queue_.push_back({std::move(apply), std::move(done)});
  }
  cv_.notify_one();
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Writer::run() {
  rocksdb::WriteOptions write_options;
  write_options.sync = engine_.durability() == Durability::kStrict;
  std::vector<Pending> group;
  group.reserve(kMaxGroup);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // overwrite_key=true: the index keeps only the latest write of a key, which is what reads want.
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, true);
    WriteTxn txn(engine_, batch);
    for (auto& p : group) {
      batch.SetSavePoint();
      bool keep = false;
      try {
        keep = p.apply(txn);
      } catch (const std::exception& e) {
        // An exception is a bug; the request's own writes are dropped and it answers 500 via done().
        spdlog::error(R"("event":"writer.apply_exception","what":{})", json_quote(e.what()));
        keep = false;
      }
      if (keep) {
        batch.PopSavePoint();
      } else {
        batch.RollbackToSavePoint();
      }
    }
    bool ok = true;
    if (batch.GetWriteBatch()->Count() > 0) {
      auto s = engine_.db()->Write(write_options, batch.GetWriteBatch());
      if (!s.ok()) {
        spdlog::error(R"("event":"writer.commit_failed","status":{})", json_quote(s.ToString()));
        ok = false;
      }
    }
    groups_.fetch_add(1, std::memory_order_relaxed);
    requests_.fetch_add(group.size(), std::memory_order_relaxed);
    for (auto& fn : txn.after_commit_) fn(ok);
    for (auto& p : group) p.done(ok);
    group.clear();
  }
}

}  // namespace runnel::storage
