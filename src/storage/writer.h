// Writer: the single stage every mutation goes through. It serialises read-modify-write operations
// and groups their commits, so that strict durability costs one fsync per group of concurrent
// requests rather than one per request.
//
// Why one writer thread rather than per-key locks on the I/O threads (docs/architecture.md):
//  - Each request's apply() runs alone, in arrival order, against a WriteBatchWithIndex that already
//    holds the writes of earlier requests in the same group, so it reads its own group's pending
//    writes (two increments of one counter in one group both count) without any lock table.
//  - apply() is validate-then-write: if it fails, its savepoint is rolled back and nothing of it is
//    committed; the other requests of the group are unaffected.
//  - Once the group is applied, one rocksdb::DB::Write (WAL append + fsync in strict mode) commits it
//    atomically, then every request's completion runs. While that fsync runs, new requests queue up
//    and form the next group. I/O threads never block on disk.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <rocksdb/utilities/write_batch_with_index.h>

#include "storage/engine.h"

namespace runnel::storage {

// What an apply function sees: reads through the pending group, writes into it.
class WriteTxn {
 public:
  WriteTxn(Engine& engine, rocksdb::WriteBatchWithIndex& batch) : engine_(engine), batch_(batch) {}

  std::optional<std::string> get(Family f, std::string_view key);
  void put(Family f, std::string_view key, std::string_view value);
  void del(Family f, std::string_view key);
  // Iterates [begin, end) of committed data merged with this group's pending writes.
  std::unique_ptr<rocksdb::Iterator> iterator(Family f);

  Engine& engine() { return engine_; }
  // Runs after the whole group committed (or failed): cheap follow-ups such as waking waiters.
  void on_commit(std::function<void(bool ok)> fn) { after_commit_.push_back(std::move(fn)); }

 private:
  friend class Writer;
  Engine& engine_;
  rocksdb::WriteBatchWithIndex& batch_;
  std::vector<std::function<void(bool)>> after_commit_;
};

class Writer {
 public:
  // apply: runs on the writer thread; returns true to keep its writes, false to roll them back.
  // done: runs on the writer thread after the group's commit; `committed` is false if the write to
  // disk failed (the caller answers with an internal error). done must be quick (post elsewhere).
  using Apply = std::function<bool(WriteTxn&)>;
  using Done = std::function<void(bool committed)>;

  explicit Writer(Engine& engine);
  ~Writer();

  void submit(Apply apply, Done done);
  // Stops accepting, drains what is queued, joins the thread.
  void stop();

  // Counters for /_runnel/health and benchmarks.
  uint64_t groups_committed() const { return groups_; }
  uint64_t requests_committed() const { return requests_; }

 private:
  struct Pending {
    Apply apply;
    Done done;
  };
  void run();

  Engine& engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> groups_{0};
  std::atomic<uint64_t> requests_{0};
  std::thread thread_;
};

}  // namespace runnel::storage
