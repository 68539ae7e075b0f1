#include "storage/writer.h"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "common/log.h"
#include "common/thread_name.h"

namespace runnel::storage {

namespace {
// A group stops growing here so that one huge burst does not delay the first acknowledgements.
constexpr size_t kMaxGroup = 512;

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
  size_t requests = 0;
};

// --- WriteTxn ---------------------------------------------------------------------------------

std::optional<std::string> WriteTxn::get(Family f, std::string_view key) {
  std::string k = pending_key(f, key);
  if (auto it = group_.writes.find(k); it != group_.writes.end()) return it->second;
  if (in_flight_) {
    if (auto it = in_flight_->writes.find(k); it != in_flight_->writes.end()) return it->second;
  }
  return engine_.get(f, key);
}

void WriteTxn::put(Family f, std::string_view key, std::string_view value) {
  std::string k = pending_key(f, key);
  auto it = group_.writes.find(k);
  undo_.emplace_back(k, it == group_.writes.end() ? std::nullopt
                                                  : std::optional<std::optional<std::string>>(it->second));
  group_.writes[k] = std::string(value);
  group_.batch.Put(engine_.family(f), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
}

void WriteTxn::del(Family f, std::string_view key) {
  std::string k = pending_key(f, key);
  auto it = group_.writes.find(k);
  undo_.emplace_back(k, it == group_.writes.end() ? std::nullopt
                                                  : std::optional<std::optional<std::string>>(it->second));
  group_.writes[k] = std::nullopt;
  group_.batch.Delete(engine_.family(f), rocksdb::Slice(key.data(), key.size()));
}

void WriteTxn::scan_prefix(Family f, std::string_view prefix,
                           const std::function<void(std::string_view, std::string_view)>& visit) {
  // Once the group in flight has committed, the database plus this group's writes is the truth.
  writer_.wait_until_committed();
  in_flight_ = nullptr;
  std::map<std::string, std::optional<std::string>, std::less<>> mine;
  std::string full = pending_key(f, prefix);
  for (const auto& [k, v] : group_.writes)
    if (k.starts_with(full)) mine.emplace(k.substr(1), v);
  auto pending = mine.begin();
  auto it = engine_.iterator(f);
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size())); it->Next()) {
    std::string_view key = it->key().ToStringView();
    for (; pending != mine.end() && pending->first < key; ++pending)
      if (pending->second) visit(pending->first, *pending->second);
    if (pending != mine.end() && pending->first == key) {
      if (pending->second) visit(key, *pending->second);
      ++pending;
      continue;
    }
    visit(key, it->value().ToStringView());
  }
  for (; pending != mine.end(); ++pending)
    if (pending->second) visit(pending->first, *pending->second);
}

void WriteTxn::on_commit(std::function<void(bool ok)> fn) { group_.after_commit.push_back(std::move(fn)); }

void WriteTxn::begin_step() {
  undo_.clear();
  group_.batch.SetSavePoint();
}

void WriteTxn::end_step(bool keep) {
  if (keep) {
    group_.batch.PopSavePoint();
    return;
  }
  group_.batch.RollbackToSavePoint();
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->second) {
      group_.writes[it->first] = *it->second;
    } else {
      group_.writes.erase(it->first);
    }
  }
}

// --- Writer -----------------------------------------------------------------------------------

Writer::Writer(Engine& engine)
    : engine_(engine), apply_thread_([this] {
        name_this_thread("rn-apply");
        apply_loop();
      }),
      commit_thread_([this] {
        name_this_thread("rn-commit");
        commit_loop();
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
  if (apply_thread_.joinable()) apply_thread_.join();
  {
    std::lock_guard lock(commit_mu_);
    commit_stop_ = true;
  }
  commit_cv_.notify_all();
  if (commit_thread_.joinable()) commit_thread_.join();
}

void Writer::wait_until_committed() {
  std::unique_lock lock(commit_mu_);
  commit_cv_.wait(lock, [&] { return committing_ == nullptr; });
}

void Writer::apply_loop() {
  std::vector<Pending> taken;
  taken.reserve(kMaxGroup);
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
    auto group = std::make_shared<PendingGroup>();
    std::shared_ptr<PendingGroup> in_flight;
    {
      std::lock_guard lock(commit_mu_);
      in_flight = committing_;  // kept alive by this reference while we read through it
    }
    WriteTxn txn(engine_, *this, *group, in_flight.get());
    for (auto& p : taken) {
      txn.begin_step();
      bool keep = false;
      try {
        keep = p.apply(txn);
      } catch (const std::exception& e) {
        // An exception is a bug; the request's own writes are dropped and it answers 500 via done().
        spdlog::error(R"("event":"writer.apply_exception","what":{})", json_quote(e.what()));
        keep = false;
      }
      txn.end_step(keep);
      group->dones.push_back(std::move(p.done));
    }
    group->requests = taken.size();
    taken.clear();
    in_flight.reset();
    // Hand over: wait until the previous group has committed, so at most one is in flight.
    std::unique_lock lock(commit_mu_);
    commit_cv_.wait(lock, [&] { return committing_ == nullptr; });
    committing_ = std::move(group);
    lock.unlock();
    commit_cv_.notify_all();
  }
  wait_until_committed();
}

void Writer::commit_loop() {
  rocksdb::WriteOptions write_options;
  write_options.sync = engine_.durability() == Durability::kStrict;
  for (;;) {
    std::shared_ptr<PendingGroup> group;
    {
      std::unique_lock lock(commit_mu_);
      commit_cv_.wait(lock, [&] { return commit_stop_ || committing_ != nullptr; });
      if (!committing_) return;
      group = committing_;
    }
    bool ok = true;
    if (group->batch.Count() > 0) {
      auto s = engine_.db()->Write(write_options, &group->batch);
      if (!s.ok()) {
        spdlog::error(R"("event":"writer.commit_failed","status":{})", json_quote(s.ToString()));
        ok = false;
      }
    }
    groups_.fetch_add(1, std::memory_order_relaxed);
    requests_.fetch_add(group->requests, std::memory_order_relaxed);
    for (auto& fn : group->after_commit) fn(ok);
    for (auto& done : group->dones) done(ok);
    {
      std::lock_guard lock(commit_mu_);
      committing_.reset();
    }
    commit_cv_.notify_all();
  }
}

}  // namespace runnel::storage
