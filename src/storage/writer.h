// Writer: the single stage every mutation goes through. It serialises read-modify-write operations
// and groups their commits, so that strict durability costs one fsync per group of concurrent
// requests rather than one per request — and overlaps that fsync with the next group's work.
//
// Two threads, a two-stage pipeline (docs/architecture.md, "Storage and the writer"):
//  - the apply thread runs each queued request's apply step, in arrival order, into the *open*
//    group. A step reads through the open group's pending writes, then through the group being
//    committed (if any), then the database; so two increments of one counter both count, in one
//    group or in consecutive ones, without a lock table. A step is validate-then-write: when it
//    returns false its writes are rolled back to its savepoint and the rest of the group goes on.
//  - the commit thread, as soon as it has finished a group, takes the open group as it stands and
//    writes it with one rocksdb::DB::Write (WAL append, plus one fdatasync in strict mode), then
//    hands the group's completions (on_commit callbacks, then each request's done) to the
//    completion thread and takes the next group. The completion thread runs them in commit order:
//    rendering a reply, reading what a receive took or waking a consumer never delays a group that
//    is waiting for its fsync. (With no group waiting and nothing queued, the commit thread runs
//    them itself rather than pay a thread wake: writer.cc, commit_loop.)
// The commit thread never waits for the apply thread to hand a group over: the hand-over is a
// pointer swap under a mutex the apply thread holds only for the length of one step. (An earlier
// version closed a group on the apply thread and passed it over with a condition variable; each
// group then paid two thread wake-ups between one fdatasync and the next.) At most one group is in
// flight, so the overlay a step reads through is exactly the writes not yet in the database.
// Nothing is visible to readers (which read the database) before its group's Write has returned:
// in strict mode, nothing is ever read that a crash could take back. I/O threads never block on disk.
#pragma once

#include <array>
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

#include "common/result.h"
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
  // A put for a key that no step reads back or scans (log events and their index): it goes into
  // the group's batch only, not the overlay put() keeps for reads, which costs a map entry and two
  // more copies of the value per write. Rolled back with its step like any other write.
  void put_unread(Family f, std::string_view key, std::string_view value);
  // Visits, in key order, every key starting with `prefix` as it is now: the database merged with
  // the pending writes of the group in flight and of this group. Costs a pass over both groups'
  // writes: for rare operations, such as backfilling a new index.
  void scan_prefix(Family f, std::string_view prefix,
                   const std::function<void(std::string_view key, std::string_view value)>& visit);

  Engine& engine() { return engine_; }
  // Runs after this group's commit (or its failure), on the completion thread, before the group's
  // done callbacks: follow-ups such as waking waiters. Register only from a step that returns true.
  void on_commit(std::function<void(bool ok)> fn);

 private:
  friend class Writer;
  explicit WriteTxn(Engine& engine) : engine_(engine) {}
  // Starts a step that writes into `group` and reads through `in_flight` (may be null).
  void begin_step(PendingGroup& group, const PendingGroup* in_flight);
  void end_step(bool keep);

  Engine& engine_;
  PendingGroup* group_ = nullptr;
  const PendingGroup* in_flight_ = nullptr;
  // Undo log of the current step: (map key, previous pending state or "absent from the map").
  std::vector<std::pair<std::string, std::optional<std::optional<std::string>>>> undo_;
};

class Writer {
 public:
  // apply: runs on the apply thread; returns true to keep its writes, false to roll them back.
  // done: runs on the completion thread after the group's commit; `committed` is false if the
  // write to disk failed (the caller answers with an internal error). It may render a reply; what
  // takes longer (milliseconds) goes to a worker of its own, as the groups after it wait for it.
  using Apply = std::function<bool(WriteTxn&)>;
  using Done = std::function<void(bool committed)>;
  // A group stops growing here so that one huge burst does not delay the first acknowledgements.
  static constexpr size_t kMaxGroup = 512;
  // A full disk: a step runs only while the file system keeps this much free beyond what is pending
  // in the two groups (a step's own writes: an item of 400 KB with its indexes and stream record,
  // a 256 KB message; the WAL's next blocks and a MANIFEST update). A refused step answers 500 and
  // writes resume by themselves once space is free. A commit finding less than kCommitReserve free
  // beyond its batch (a 16 MB BatchWriteItem on a nearly full disk) fails as a failed commit does.
  static constexpr uint64_t kStepReserve = 2u << 20;
  static constexpr uint64_t kCommitReserve = 512u << 10;

  explicit Writer(Engine& engine);
  ~Writer();

  void submit(Apply apply, Done done);

  // A step with a typed result, without the bookkeeping every caller used to repeat: `apply`
  // returns a Result<T> (an error rolls the step's writes back); `done` gets that result after the
  // commit, or InternalFailure when the group could not be written.
  template <class T>
  void run(std::function<Result<T>(WriteTxn&)> apply, std::function<void(Result<T>)> done) {
    auto result = std::make_shared<std::optional<Result<T>>>();
    submit(
        [apply = std::move(apply), result](WriteTxn& txn) {
          result->emplace(apply(txn));
          return (*result)->ok();
        },
        [result, done = std::move(done)](bool committed) {
          if (!committed || !*result) return done(Result<T>(ApiError::internal("Internal server error")));
          done(std::move(**result));
        });
  }
  // Stops accepting, drains what is queued, joins the threads.
  void stop();
  // Tests only: runs on the commit thread before each group is written (to hold a group in flight).
  void set_commit_hook_for_test(std::function<void()> hook) { commit_hook_ = std::move(hook); }

  uint64_t groups_committed() const { return groups_; }
  // Steps refused because the disk was full (see kStepReserve).
  uint64_t refused_for_space() const { return refused_; }
  bool out_of_space() const { return out_of_space_; }
  uint64_t requests_committed() const { return requests_; }
  // Whether a commit has failed (disk full, I/O error). From then on every write is refused until
  // a restart: the steps applied after the failed group read its writes, which never reached the
  // database, and RocksDB's WAL writer must not be written again after an error.
  bool failed() const { return failed_.load(std::memory_order_acquire); }

  // Histograms for GET /_runnel/metrics, recorded by the commit thread alone: how long each
  // group's write to the store took (the WAL append and, in strict mode, its fdatasync), and how
  // many requests each group carried. `counts` are per bucket, not cumulative; the last is +Inf.
  static constexpr std::array<double, 12> kCommitSecondsBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                  0.005,   0.01,   0.025,   0.05,   0.1,   0.5};
  static constexpr std::array<double, 10> kGroupSizeBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
    double sum = 0;
  };
  Histogram commit_seconds() const;
  Histogram group_sizes() const;

 private:
  friend class WriteTxn;
  struct Pending {
    Apply apply;
    Done done;
  };
  struct Completions;
  void apply_loop();
  void commit_loop();
  void completion_loop();
  static void run_completions(Completions& c);

  Engine& engine_;
  // Requests waiting for the apply thread.
  std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool stopped_ = false;

  // The two groups. The apply thread holds group_mu_ while it runs a step (into open_, reading
  // through in_flight_); the commit thread holds it to swap open_ into in_flight_.
  std::mutex group_mu_;
  std::condition_variable open_cv_;   // the commit thread waits here for a non-empty open group
  std::condition_variable taken_cv_;  // the apply thread waits here while the open group is full
  std::unique_ptr<PendingGroup> open_;
  std::unique_ptr<PendingGroup> in_flight_;  // being written; read (never changed) by steps
  bool commit_idle_ = false;                 // the commit thread is waiting on open_cv_
  bool apply_full_ = false;                  // the apply thread is waiting on taken_cv_
  bool apply_done_ = false;                  // the apply thread has exited: commit what is left

  // Committed groups' callbacks, in commit order, for the completion thread.
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<std::unique_ptr<Completions>> completions_;
  bool completion_idle_ = false;   // the completion thread is waiting on done_cv_
  bool commits_finished_ = false;  // the commit thread has exited: run what is left and stop

  std::atomic<uint64_t> groups_{0};
  std::atomic<uint64_t> requests_{0};
  std::array<std::atomic<uint64_t>, kCommitSecondsBounds.size() + 1> commit_buckets_{};
  std::atomic<uint64_t> commit_ns_{0};
  std::array<std::atomic<uint64_t>, kGroupSizeBounds.size() + 1> group_buckets_{};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> refused_{0};
  std::atomic<bool> out_of_space_{false};  // the last step was refused for space
  std::function<void()> commit_hook_;  // set before the first submit, read by the commit thread
  std::thread apply_thread_;
  std::thread commit_thread_;
  std::thread completion_thread_;
};

}  // namespace runnel::storage
