// Writer: the single stage every mutation goes through. It serialises read-modify-write operations
// and groups their commits, so that strict durability costs one fsync per group of concurrent
// requests rather than one per request — and overlaps that fsync with the next group's work.
//
// Two threads, a two-stage pipeline (docs/architecture.md):
//  - the apply thread takes the queued requests as a group and runs each one's apply step, in
//    arrival order. A step reads through its own group's pending writes, then through the group
//    being committed (if any), then the database; so two increments of one counter both count, in
//    one group or in consecutive ones, without a lock table. A step is validate-then-write: when it
//    returns false its writes are rolled back to its savepoint and the rest of the group goes on.
//  - the commit thread writes a finished group with one rocksdb::DB::Write (WAL append, plus one
//    fdatasync in strict mode) and then runs every request's completion.
// While group N is being fsynced, group N+1 is applied; at most one group is in flight, so the
// overlay a step reads through is exactly the writes not yet in the database. Nothing is visible to
// readers (which read the database) before its group's Write has returned: in strict mode, nothing
// is ever read that a crash could take back. I/O threads never block on disk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <rocksdb/write_batch.h>

#include "storage/engine.h"

namespace runnel::storage {

// One group's writes: the batch RocksDB commits, and an index of it by (family, key) for reads.
struct PendingGroup;

// What an apply step sees: reads through the pending writes, writes into its group.
class WriteTxn {
 public:
  std::optional<std::string> get(Family f, std::string_view key);
  void put(Family f, std::string_view key, std::string_view value);
  void del(Family f, std::string_view key);
  // Visits, in key order, every key starting with `prefix` as it is now: the database merged with
  // the pending writes. Waits for the group in flight to commit first (rare operations only, such
  // as backfilling a new index).
  void scan_prefix(Family f, std::string_view prefix,
                   const std::function<void(std::string_view key, std::string_view value)>& visit);

  Engine& engine() { return engine_; }
  // Runs after this group's commit (or its failure): cheap follow-ups such as waking waiters.
  // Register only from a step that returns true.
  void on_commit(std::function<void(bool ok)> fn);

 private:
  friend class Writer;
  WriteTxn(Engine& engine, class Writer& writer, PendingGroup& group, const PendingGroup* in_flight)
      : engine_(engine), writer_(writer), group_(group), in_flight_(in_flight) {}
  void begin_step();
  void end_step(bool keep);

  Engine& engine_;
  class Writer& writer_;
  PendingGroup& group_;
  const PendingGroup* in_flight_;
  // Undo log of the current step: (map key, previous pending state or "absent from the map").
  std::vector<std::pair<std::string, std::optional<std::optional<std::string>>>> undo_;
};

class Writer {
 public:
  // apply: runs on the apply thread; returns true to keep its writes, false to roll them back.
  // done: runs on the commit thread after the group's commit; `committed` is false if the write to
  // disk failed (the caller answers with an internal error). done must be quick (post elsewhere).
  using Apply = std::function<bool(WriteTxn&)>;
  using Done = std::function<void(bool committed)>;

  explicit Writer(Engine& engine);
  ~Writer();

  void submit(Apply apply, Done done);
  // Stops accepting, drains what is queued, joins the threads.
  void stop();

  uint64_t groups_committed() const { return groups_; }
  uint64_t requests_committed() const { return requests_; }

 private:
  friend class WriteTxn;
  struct Pending {
    Apply apply;
    Done done;
  };
  void apply_loop();
  void commit_loop();
  void wait_until_committed();  // apply thread: blocks until no group is in flight

  Engine& engine_;
  std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool stopped_ = false;

  // Hand-off between the two threads: at most one group in flight.
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::shared_ptr<PendingGroup> committing_;  // set by apply thread, cleared by commit thread
  bool commit_stop_ = false;

  std::atomic<uint64_t> groups_{0};
  std::atomic<uint64_t> requests_{0};
  std::thread apply_thread_;
  std::thread commit_thread_;
};

}  // namespace runnel::storage
