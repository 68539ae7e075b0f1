#include "storage/writer.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "common/log.h"
#include "common/thread_name.h"
#include "storage/rocks.h"

namespace runnel::storage {

namespace {

// Pending writes are indexed by family byte + key.
std::string pending_key(Family f, std::string_view key) {
  std::string k;
  k.reserve(key.size() + 1);
  k.push_back(static_cast<char>(f));
  k.append(key);
  return k;
}
}  // namespace

struct PendingGroup {
  rocksdb::WriteBatch batch;
  // Latest state of every key this group wrote: a value, or nullopt for a delete.
  std::unordered_map<std::string, std::optional<std::string>> writes;
  std::vector<Writer::Done> dones;
  std::vector<std::function<void(bool)>> after_commit;
  std::vector<Writer::Done> refused;  // steps refused before they ran (a full disk): done(false)
  size_t requests = 0;
};

// --- WriteTxn ---------------------------------------------------------------------------------

std::optional<std::string> WriteTxn::get(Family f, std::string_view key) {
  std::string k = pending_key(f, key);
  if (auto it = group_->writes.find(k); it != group_->writes.end()) return it->second;
  if (in_flight_) {
    if (auto it = in_flight_->writes.find(k); it != in_flight_->writes.end()) return it->second;
  }
  return engine_.get(f, key);
}

void WriteTxn::put(Family f, std::string_view key, std::string_view value) {
  std::string k = pending_key(f, key);
  auto it = group_->writes.find(k);
  undo_.emplace_back(k, it == group_->writes.end() ? std::nullopt
                                                   : std::optional<std::optional<std::string>>(it->second));
  group_->writes[k] = std::string(value);
  group_->batch.Put(Rocks::family(engine_, f), to_slice(key), to_slice(value));
}

void WriteTxn::put_unread(Family f, std::string_view key, std::string_view value) {
  group_->batch.Put(Rocks::family(engine_, f), to_slice(key), to_slice(value));
}

void WriteTxn::del(Family f, std::string_view key) {
  std::string k = pending_key(f, key);
  auto it = group_->writes.find(k);
  undo_.emplace_back(k, it == group_->writes.end() ? std::nullopt
                                                   : std::optional<std::optional<std::string>>(it->second));
  group_->writes[k] = std::nullopt;
  group_->batch.Delete(Rocks::family(engine_, f), to_slice(key));
}

void WriteTxn::scan_prefix(Family f, std::string_view prefix,
                           const std::function<void(std::string_view, std::string_view)>& visit) {
  // The pending writes under the prefix, this group's over the in-flight group's, merged over the
  // database. An iterator sees the in-flight group's batch either whole or not at all, and the
  // overlay holds exactly that batch's final state, so either way the merge is the truth.
  std::map<std::string, std::optional<std::string>, std::less<>> pending_writes;
  std::string full = pending_key(f, prefix);
  auto collect = [&](const PendingGroup& g) {
    for (const auto& [k, v] : g.writes)
      if (k.starts_with(full)) pending_writes.insert_or_assign(k.substr(1), v);
  };
  if (in_flight_) collect(*in_flight_);
  collect(*group_);
  auto pending = pending_writes.begin();
  for (Cursor it = engine_.scan_prefix(f, prefix); it.valid(); it.next()) {
    std::string_view key = it.key();
    for (; pending != pending_writes.end() && pending->first < key; ++pending)
      if (pending->second) visit(pending->first, *pending->second);
    if (pending != pending_writes.end() && pending->first == key) {
      if (pending->second) visit(key, *pending->second);
      ++pending;
      continue;
    }
    visit(key, it.value());
  }
  for (; pending != pending_writes.end(); ++pending)
    if (pending->second) visit(pending->first, *pending->second);
}

void WriteTxn::on_commit(std::function<void(bool ok)> fn) { group_->after_commit.push_back(std::move(fn)); }

void WriteTxn::begin_step(PendingGroup& group, const PendingGroup* in_flight) {
  group_ = &group;
  in_flight_ = in_flight;
  undo_.clear();
  group_->batch.SetSavePoint();
}

void WriteTxn::end_step(bool keep) {
  if (keep) {
    group_->batch.PopSavePoint();
    return;
  }
  group_->batch.RollbackToSavePoint();
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->second) {
      group_->writes[it->first] = *it->second;
    } else {
      group_->writes.erase(it->first);
    }
  }
}

// --- Writer -----------------------------------------------------------------------------------

struct Writer::Completions {
  bool ok = true;
  std::vector<std::function<void(bool)>> after_commit;
  std::vector<Done> dones;
  std::vector<Done> refused;
};

Writer::Writer(Engine& engine)
    : engine_(engine),
      open_(std::make_unique<PendingGroup>()),
      apply_thread_([this] {
        name_this_thread("rn-apply");
        apply_loop();
      }),
      commit_thread_([this] {
        name_this_thread("rn-commit");
        commit_loop();
      }),
      completion_thread_([this] {
        name_this_thread("rn-complete");
        completion_loop();
      }) {}

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
  queue_cv_.notify_one();
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    stopped_ = true;
  }
  queue_cv_.notify_one();
  // The apply thread drains the queue and exits; the commit thread then commits what is left.
  if (apply_thread_.joinable()) apply_thread_.join();
  if (commit_thread_.joinable()) commit_thread_.join();
  {
    std::lock_guard lock(done_mu_);
    commits_finished_ = true;
  }
  done_cv_.notify_one();
  if (completion_thread_.joinable()) completion_thread_.join();
}

void Writer::completion_loop() {
  std::unique_lock lock(done_mu_);
  for (;;) {
    if (completions_.empty()) {
      if (commits_finished_) return;
      completion_idle_ = true;
      done_cv_.wait(lock, [&] { return !completions_.empty() || commits_finished_; });
      completion_idle_ = false;
      continue;
    }
    auto c = std::move(completions_.front());
    completions_.pop_front();
    lock.unlock();
    run_completions(*c);
    c.reset();  // the callbacks' captures go here too, not under the lock
    lock.lock();
  }
}

void Writer::apply_loop() {
  std::vector<Pending> taken;
  taken.reserve(kMaxGroup);
  WriteTxn txn(engine_);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      while (!queue_.empty() && taken.size() < kMaxGroup) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    bool wake_commit = false;
    for (auto& p : taken) {
      std::unique_lock lock(group_mu_);
      if (open_->requests >= kMaxGroup) {
        apply_full_ = true;
        if (commit_idle_) open_cv_.notify_one();
        taken_cv_.wait(lock, [&] { return open_->requests < kMaxGroup; });
        apply_full_ = false;
      }
      // A full disk: the step is refused (its request answers 500) before it runs, so nothing of
      // it is applied for later steps to read, and writes go on once space is free again.
      const uint64_t pending = open_->batch.GetDataSize() + (in_flight_ ? in_flight_->batch.GetDataSize() : 0);
      if (engine_.free_bytes() < pending + kStepReserve) {
        if (!out_of_space_) spdlog::error(R"("event":"writer.disk_full","effect":"writes are refused until space is free")");
        out_of_space_ = true;
        refused_.fetch_add(1, std::memory_order_relaxed);
        open_->refused.push_back(std::move(p.done));  // answered by the commit thread, as every done
        ++open_->requests;
        wake_commit = commit_idle_;
        continue;
      }
      if (out_of_space_) spdlog::info(R"("event":"writer.disk_space_back")");
      out_of_space_ = false;
      txn.begin_step(*open_, in_flight_.get());
      bool keep = false;
      try {
        keep = p.apply(txn);
      } catch (const std::exception& e) {
        // An exception is a bug; the request's own writes are dropped and it answers 500 via done().
        spdlog::error(R"("event":"writer.apply_exception","what":{})", json_quote(e.what()));
        keep = false;
      }
      txn.end_step(keep);
      open_->dones.push_back(std::move(p.done));
      ++open_->requests;
      wake_commit = commit_idle_;
    }
    taken.clear();
    // An idle commit thread is woken once the requests taken together are applied, so that they
    // commit as one group; a busy one takes the open group by itself when it is done.
    if (wake_commit) open_cv_.notify_one();
  }
  {
    std::lock_guard lock(group_mu_);
    apply_done_ = true;
  }
  open_cv_.notify_one();
}

void Writer::commit_loop() {
  rocksdb::WriteOptions write_options;
  write_options.sync = engine_.durability() == Durability::kStrict;
  for (;;) {
    std::unique_ptr<PendingGroup> written;  // the group committed last: in the database now
    PendingGroup* group = nullptr;
    bool notify_apply = false;
    {
      std::unique_lock lock(group_mu_);
      written = std::move(in_flight_);
      commit_idle_ = true;
      open_cv_.wait(lock, [&] { return open_->requests > 0 || apply_done_; });
      commit_idle_ = false;
      if (open_->requests == 0) return;  // apply_done_ and nothing left
      in_flight_ = std::exchange(open_, std::make_unique<PendingGroup>());
      group = in_flight_.get();
      notify_apply = apply_full_;
    }
    if (notify_apply) taken_cv_.notify_one();
    written.reset();
    if (commit_hook_) commit_hook_();
    bool ok = true;
    if (group->batch.Count() > 0) {
      if (failed_.load(std::memory_order_relaxed)) {
        ok = false;  // see failed(): a later group may rest on writes that were lost
      } else if (engine_.free_bytes() < group->batch.GetDataSize() + kCommitReserve) {
        // Out of space despite the check before each step (a huge batch, or another process
        // filling the disk): refused like a failed commit, but before RocksDB sees it, whose WAL
        // writer asserts when written again after an out-of-space error.
        spdlog::error(R"("event":"writer.commit_refused","reason":"disk full","effect":"writes are refused until a restart")");
        failed_.store(true, std::memory_order_release);
        ok = false;
      } else {
        const auto write_started = std::chrono::steady_clock::now();
        auto s = Rocks::db(engine_)->Write(write_options, &group->batch);
        const auto took = std::chrono::steady_clock::now() - write_started;
        if (!s.ok()) {
          spdlog::error(R"("event":"writer.commit_failed","status":{},"effect":"writes are refused until a restart")",
                        json_quote(s.ToString()));
          failed_.store(true, std::memory_order_release);
          ok = false;
        } else {
          const double seconds = std::chrono::duration<double>(took).count();
          size_t b = 0;
          while (b < kCommitSecondsBounds.size() && seconds > kCommitSecondsBounds[b]) ++b;
          commit_buckets_[b].fetch_add(1, std::memory_order_relaxed);
          commit_ns_.fetch_add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
                               std::memory_order_relaxed);
        }
      }
    }
    if (ok) {  // the health counters count what reached the store, not what was refused
      groups_.fetch_add(1, std::memory_order_relaxed);
      const uint64_t carried = group->requests - group->refused.size();
      requests_.fetch_add(carried, std::memory_order_relaxed);
      size_t b = 0;
      while (b < kGroupSizeBounds.size() && static_cast<double>(carried) > kGroupSizeBounds[b]) ++b;
      group_buckets_[b].fetch_add(1, std::memory_order_relaxed);
    }
    // The completions leave with the group's commit, so the next group's write need not wait for
    // them — unless there is no next group yet and nothing ahead of them: then handing them to the
    // completion thread would only add a thread wake to every lone write's latency (measured: a
    // tenth of single-connection PutItem), and the commit thread runs them itself, in order all
    // the same (it is the only producer, and the completion thread is idle with nothing queued).
    bool next_waiting = false;
    {
      std::lock_guard lock(group_mu_);
      next_waiting = open_->requests > 0;
    }
    auto c = std::make_unique<Completions>();
    c->ok = ok;
    c->after_commit = std::move(group->after_commit);
    c->dones = std::move(group->dones);
    c->refused = std::move(group->refused);
    bool run_here = false, wake = false;
    {
      std::lock_guard lock(done_mu_);
      run_here = !next_waiting && completion_idle_ && completions_.empty();
      if (!run_here) {
        completions_.push_back(std::move(c));
        wake = completion_idle_;
      }
    }
    if (run_here) run_completions(*c);
    if (wake) done_cv_.notify_one();
  }
}

void Writer::run_completions(Completions& c) {
  for (auto& fn : c.after_commit) fn(c.ok);
  for (auto& done : c.dones) done(c.ok);
  for (auto& done : c.refused) done(false);
}

Writer::Histogram Writer::commit_seconds() const {
  Histogram h;
  h.bounds.assign(kCommitSecondsBounds.begin(), kCommitSecondsBounds.end());
  for (const auto& c : commit_buckets_) h.counts.push_back(c.load(std::memory_order_relaxed));
  h.sum = static_cast<double>(commit_ns_.load(std::memory_order_relaxed)) / 1e9;
  return h;
}

Writer::Histogram Writer::group_sizes() const {
  Histogram h;
  h.bounds.assign(kGroupSizeBounds.begin(), kGroupSizeBounds.end());
  for (const auto& c : group_buckets_) h.counts.push_back(c.load(std::memory_order_relaxed));
  h.sum = static_cast<double>(requests_.load(std::memory_order_relaxed));
  return h;
}

}  // namespace runnel::storage
