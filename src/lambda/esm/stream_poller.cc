// The stream poller: reads a mapping's shards in lineage order, batches, filters, invokes and
// checkpoints (manager.h has the semantics). Everything here runs on the esm thread, except
// wake(), which the stream's commit calls.
//
// A shard is read into ParallelizationFactor lanes by the records' item keys (one lane when the
// factor is 1), each with at most one batch in flight, so one key's records stay in order while
// up to ten batches of a shard run at once. The checkpoint is the lowest record not yet done in
// any lane: a lane ahead of another is redelivered from there after a crash (at least once), and
// nothing is ever skipped. Tumbling windows keep each lane's state between its invocations, and
// store it with the checkpoint.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/json_parse.h"
#include "common/json_write.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/uuid.h"
#include "lambda/esm/batch.h"
#include "lambda/esm/runner.h"

namespace runnel::lambda::esm {

namespace {

constexpr size_t kMaxPayloadBytes = 6 * 1024 * 1024;  // the synchronous invoke's payload limit
constexpr int64_t kRecordLifetimeMs = 24 * 3600 * 1000;  // a stream keeps records 24 hours
// Records read ahead of the lanes, at most (each lane's next batch, up to this in all).
constexpr size_t kMaxBuffered = 10000;
// A tumbling window's state past this ends the window early (isWindowTerminatedEarly).
constexpr size_t kMaxWindowState = 1024 * 1024;

}  // namespace

void Manager::run_loop() {
  name_this_thread("rn-esm");
  std::unique_lock lock(jobs_mu_);
  for (;;) {
    jobs_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void Manager::post(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mu_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
}

void Manager::wake(const std::shared_ptr<Runner>& runner) {
  if (runner->pump_queued.exchange(true)) return;  // one pump covers every wake before it runs
  post([this, runner] {
    runner->pump_queued = false;
    pump(runner);
  });
}

void Manager::pump(const std::shared_ptr<Runner>& runner) {
  if (runner->deleted) return;
  bool queue = false;
  Mapping m;
  {
    std::lock_guard lock(runner->mu);
    queue = runner->mapping.from_queue();
    if (!queue && !runner->mapping.enabled) return;
    if (!queue) m = runner->mapping;
  }
  if (queue) return pump_queue(runner);
  auto view = streams_.describe(m.source_arn);
  if (!view) {
    std::lock_guard lock(runner->mu);
    runner->last_result = "PROBLEM: Stream not found";
    return;
  }
  for (const auto& span : view->shards) {
    Shard& s = runner->shards[span.start_seq];
    s.span = span;
    if (s.next_seq == 0) s.next_seq = span.start_seq;
  }
  int64_t now = wall_ms();
  for (auto& [start, shard] : runner->shards) {
    if (shard.done) continue;
    if (shard.span.id.empty()) continue;  // a checkpoint of a shard the stream has trimmed away
    // Lineage: a child waits until its parent has been read to its end.
    if (!shard.span.parent_id.empty()) {
      auto parent = std::find_if(runner->shards.begin(), runner->shards.end(),
                                 [&](const auto& e) { return e.second.span.id == shard.span.parent_id; });
      if (parent != runner->shards.end() && !parent->second.done) continue;
    }
    bool busy = std::any_of(shard.lanes.begin(), shard.lanes.end(), [](const Lane& l) { return l.in_flight; });
    size_t factor = static_cast<size_t>(std::max(1, m.parallelization));
    if (shard.lanes.size() != factor) {
      // A new factor: once nothing is in flight, the lanes start again from the checkpoint (what
      // a faster lane had done above it comes again: at least once). Window states start anew.
      if (busy || shard.checkpointing) continue;
      shard.lanes = std::vector<Lane>(factor);
      shard.read_seq = shard.next_seq;
      shard.read_to_end = false;
    }
    if (shard.read_seq < shard.next_seq) shard.read_seq = shard.next_seq;
    if (shard.read_seq < view->trim_seq) shard.read_seq = view->trim_seq;  // trimmed before it was read
    fill_lanes(runner, shard, *view, m);
    for (size_t i = 0; i < shard.lanes.size(); ++i)
      if (!shard.lanes[i].in_flight && shard.lanes[i].retry_at_ms <= now) start_batch(runner, shard, i, m);
    // Records read and all filtered out, or a closed shard read to its end: only the position moves.
    busy = std::any_of(shard.lanes.begin(), shard.lanes.end(), [](const Lane& l) { return l.in_flight; });
    // (An open tumbling window ends with its lane's final invoke, which checkpoints.)
    bool windows_open = std::any_of(shard.lanes.begin(), shard.lanes.end(), [](const Lane& l) { return l.window_start_ms != 0; });
    bool moved = !lowest_not_done(shard) &&
                 (shard.read_seq > shard.next_seq || (shard.read_to_end && !shard.done && !windows_open));
    if (moved && !busy && !shard.checkpointing) checkpoint(runner, shard, std::nullopt);
  }
}

void Manager::publish_health(const std::shared_ptr<Runner>& runner) {
  std::vector<Runner::ShardHealth> shards;
  for (const auto& [start, shard] : runner->shards) {
    if (shard.span.id.empty()) continue;
    Runner::ShardHealth h{shard.span.id, shard.next_seq, shard.done, 0, 0};
    for (const auto& lane : shard.lanes) {
      h.buffered += lane.pending.size() + lane.held;
      h.in_flight += lane.in_flight ? 1 : 0;
    }
    shards.push_back(std::move(h));
  }
  std::lock_guard lock(runner->mu);
  runner->shard_health = std::move(shards);
}

void Manager::fill_lanes(const std::shared_ptr<Runner>& runner, Shard& shard, const ports::StreamView& view,
                         const Mapping& m) {
  if (shard.read_to_end) return;
  size_t buffered = 0;
  for (const auto& lane : shard.lanes) buffered += lane.pending.size();
  size_t cap = std::max(static_cast<size_t>(m.batch_size),
                        std::min(kMaxBuffered, static_cast<size_t>(m.batch_size) * shard.lanes.size()));
  if (buffered >= cap) return;
  auto read = streams_.read(m.source_arn, shard.span.start_seq, shard.read_seq, cap - buffered, kMaxPayloadBytes - 4096);
  if (!read.ok()) {
    if (read.error().code == "TrimmedDataAccessException") {
      shard.read_seq = view.trim_seq;
      wake(runner);
    }
    return;
  }
  std::vector<pattern::FilterPolicy> filters;
  {
    std::lock_guard lock(runner->mu);
    filters = runner->filters;
  }
  runner->polled += read->records.size();
  for (auto& record : read->records) {
    bool keep = filters.empty() || std::any_of(filters.begin(), filters.end(),
                                               [&](const pattern::FilterPolicy& f) { return f.matches_body(record.json); });
    if (!keep) {
      ++runner->filtered_out;
      continue;
    }
    shard.lanes[lane_of(record, shard.lanes.size())].pending.push_back(std::move(record));
  }
  shard.read_seq = std::max(shard.read_seq, read->next_seq);
  if (read->shard_end) shard.read_to_end = true;
}

void Manager::start_batch(const std::shared_ptr<Runner>& runner, Shard& shard, size_t index, const Mapping& m) {
  Lane& lane = shard.lanes[index];
  int64_t now = wall_ms();
  int window_s = m.tumbling_window_s.value_or(0);
  int64_t window_ms = window_s * 1000LL;
  auto batch = std::make_shared<Batch>();
  batch->shard_start = shard.span.start_seq;
  batch->shard_id = shard.span.id;
  batch->lane = index;
  if (window_s > 0 && lane.window_start_ms != 0) {
    // The open window ends with a final invoke (no records): when its state outgrew the limit,
    // when the lane's next record belongs to a later window, or when its time is up.
    bool later = !lane.pending.empty() && window_of(lane.pending.front().written_ms, window_s) != lane.window_start_ms;
    bool over = lane.pending.empty() && now >= lane.window_start_ms + window_ms;
    if (lane.window_terminated_early || later || over || (lane.pending.empty() && shard.read_to_end)) {
      batch->window_start_ms = lane.window_start_ms;
      batch->final_invoke = true;
    } else if (lane.pending.empty()) {
      std::weak_ptr<Runner> weak = runner;
      scheduler_.after_ms(lane.window_start_ms + window_ms - now, [this, weak] {
        if (auto r = weak.lock()) wake(r);
      });
      return;
    }
  }
  if (!batch->final_invoke) {
    if (lane.pending.empty()) return;
    size_t limit = lane.limit ? lane.limit : static_cast<size_t>(m.batch_size);
    int64_t window = window_s > 0 ? window_of(lane.pending.front().written_ms, window_s) : 0;
    size_t bytes = 0, count = 0;
    for (const auto& record : lane.pending) {
      if (count >= limit) break;
      if (window_s > 0 && window_of(record.written_ms, window_s) != window) break;  // a batch stays in one window
      if (count > 0 && bytes + record.json.size() > kMaxPayloadBytes - 4096) break;
      bytes += record.json.size();
      ++count;
    }
    // The batching window: wait for a full batch, up to the window's end after the first record.
    if (m.batching_window_s > 0 && count < limit && !shard.read_to_end && count == lane.pending.size()) {
      int64_t due = lane.pending.front().written_ms + m.batching_window_s * 1000LL;
      if (due > now) {
        std::weak_ptr<Runner> weak = runner;
        scheduler_.after_ms(due - now, [this, weak] {
          if (auto r = weak.lock()) wake(r);
        });
        return;
      }
    }
    if (window_s > 0 && lane.window_start_ms != window) {
      lane.window_start_ms = window;  // a new window: its state starts empty
      lane.window_state = "{}";
      lane.window_terminated_early = false;
    }
    batch->window_start_ms = window;
    // The batch holds its records while it is in flight; settle() gives back what it did not finish.
    batch->records.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      batch->records.push_back(std::move(lane.pending.front()));
      lane.pending.pop_front();
    }
    lane.held_from = batch->records.front().seq;
    lane.held = count;
  }
  lane.in_flight = true;
  runner->count_batch(batch->records.size());
  std::string payload;
  if (window_s > 0) {
    WindowContext context{batch->window_start_ms, batch->window_start_ms + window_ms, lane.window_state, shard.span.id,
                          batch->final_invoke, batch->final_invoke && lane.window_terminated_early};
    payload = window_event_for(batch->records, m.source_arn, context);
  } else {
    payload = event_for(batch->records, m.source_arn);
  }
  hooks_.invoke(m.function_arn, std::move(payload), [this, runner, batch](InvocationResult result, bool found) {
    post([this, runner, batch, result = std::move(result), found]() mutable {
      finish_batch(runner, batch, std::move(result), found);
    });
  });
}

void Manager::finish_batch(const std::shared_ptr<Runner>& runner, std::shared_ptr<Batch> batch, InvocationResult result,
                           bool found) {
  auto it = runner->shards.find(batch->shard_start);
  if (it == runner->shards.end() || runner->deleted || batch->lane >= it->second.lanes.size()) return;
  Shard& shard = it->second;
  Lane& lane = shard.lanes[batch->lane];
  if (result.aborted) {  // runnel is stopping: the checkpoint stays where it was
    settle(lane, *batch, 0);
    lane.in_flight = false;
    return;
  }
  Mapping m;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
  }
  int64_t now = wall_ms();
  if (!batch->records.empty()) runner->iterator_age_ms = now - batch->records.back().written_ms;
  if (!found || result.throttled) {
    // The function is gone or its reserved concurrency is in use: nothing ran, so no retry is
    // spent (AWS counts function errors only); the records wait.
    std::lock_guard lock(runner->mu);
    runner->last_result = found ? "PROBLEM: Function call throttled" : "PROBLEM: Function not found";
    if (found) ++runner->throttled;
    settle(lane, *batch, 0);
    lane.in_flight = false;
    retry_later(runner, lane, 1000);
    return;
  }
  Outcome outcome = result.function_error.empty() ? Outcome::kSuccess : Outcome::kFailure;
  std::optional<std::string> state;
  if (outcome == Outcome::kSuccess && m.tumbling_window_s.value_or(0) > 0) {
    state = window_state(result.payload);  // an answer without a state is a failed invocation
    if (!state) outcome = Outcome::kFailure;
  }
  uint64_t lowest = 0;
  if (outcome == Outcome::kSuccess && m.report_batch_item_failures && !batch->records.empty())
    outcome = item_failures(result.payload, lowest);
  if (outcome == Outcome::kPartial) outcome = within_batch(outcome, lowest, batch->records);
  auto close_or_keep_window = [&] {
    if (batch->final_invoke) {
      lane.window_start_ms = 0;
      lane.window_state = "{}";
      lane.window_terminated_early = false;
    } else if (state) {
      lane.window_state = std::move(*state);
      if (lane.window_state.size() > kMaxWindowState) lane.window_terminated_early = true;
    }
  };
  if (outcome == Outcome::kSuccess) {
    {
      std::lock_guard lock(runner->mu);
      runner->last_result = "OK";
    }
    lane.attempts = 0;
    lane.limit = 0;
    close_or_keep_window();
    settle(lane, *batch, batch->records.size());
    checkpoint(runner, shard, batch->lane);
    return;
  }
  ++runner->failed;
  {
    std::lock_guard lock(runner->mu);
    runner->last_result = "PROBLEM: Function call failed";
  }
  if (outcome == Outcome::kPartial) {
    // Everything before the lowest failed record is done; the retry starts at it.
    ++lane.attempts;
    if (state) lane.window_state = std::move(*state);
    size_t done = static_cast<size_t>(std::count_if(batch->records.begin(), batch->records.end(),
                                                    [&](const ports::StreamRecord& r) { return r.seq < lowest; }));
    settle(lane, *batch, done);
    checkpoint(runner, shard, batch->lane);
    return;
  }
  if (m.bisect && batch->records.size() > 1) {
    // Halve the batch: the first half is retried now, the rest follows it; no retry is spent.
    lane.limit = std::max<size_t>(1, batch->records.size() / 2);
    settle(lane, *batch, 0);
    lane.in_flight = false;
    wake(runner);
    return;
  }
  ++lane.attempts;
  bool retries_spent = m.max_retry_attempts >= 0 && lane.attempts > m.max_retry_attempts;
  int64_t age_limit_ms = m.max_record_age_s >= 0 ? m.max_record_age_s * 1000LL : kRecordLifetimeMs;
  bool too_old = !batch->records.empty() && now - batch->records.front().written_ms > age_limit_ms;
  if (!retries_spent && !too_old) {
    settle(lane, *batch, 0);
    lane.in_flight = false;
    retry_later(runner, lane, std::min<int64_t>(5000, 100LL << std::min(lane.attempts - 1, 6)));
    return;
  }
  // Discarded: its coordinates go to the on-failure destination, and the lane moves on.
  ++runner->dropped;
  std::string record;
  if (!m.on_failure.empty() && !batch->records.empty()) {
    FailureContext why{m.function_arn, m.source_arn, batch->shard_id,
                       retries_spent ? "RetryAttemptsExhausted" : "RecordAgeExceeded", lane.attempts,
                       result.function_error.empty() ? "Unhandled" : result.function_error, now};
    record = failure_record(why, batch->records);
  }
  lane.attempts = 0;
  lane.limit = 0;
  if (batch->final_invoke) close_or_keep_window();
  settle(lane, *batch, batch->records.size());
  checkpoint(runner, shard, batch->lane, std::move(record));
}

void Manager::settle(Lane& lane, Batch& batch, size_t done) {
  for (size_t i = batch.records.size(); i > done; --i) lane.pending.push_front(std::move(batch.records[i - 1]));
  batch.records.resize(std::min(done, batch.records.size()));
  lane.held_from = 0;
  lane.held = 0;
}

std::optional<uint64_t> Manager::lowest_not_done(const Shard& shard) {
  std::optional<uint64_t> lowest;
  for (const auto& lane : shard.lanes) {
    // A lane's held records come before its pending ones.
    uint64_t first = lane.held ? lane.held_from : lane.pending.empty() ? 0 : lane.pending.front().seq;
    if (first != 0 && (!lowest || first < *lowest)) lowest = first;
  }
  return lowest;
}

void Manager::checkpoint(const std::shared_ptr<Runner>& runner, Shard& shard, std::optional<size_t> lane,
                         std::string on_failure_record) {
  std::string uuid, destination, function_arn, account;
  bool windows = false;
  {
    std::lock_guard lock(runner->mu);
    uuid = runner->mapping.uuid;
    destination = runner->mapping.on_failure;
    function_arn = runner->mapping.function_arn;
    account = runner->mapping.account;
    windows = runner->mapping.tumbling_window_s.value_or(0) > 0;
  }
  auto lowest = lowest_not_done(shard);
  uint64_t next_seq = std::max(lowest.value_or(shard.read_seq), shard.next_seq);
  bool shard_done = shard.read_to_end && !lowest;
  if (windows && shard_done)  // a closed shard's windows have all had their final invoke
    shard_done = std::none_of(shard.lanes.begin(), shard.lanes.end(), [](const Lane& l) { return l.window_start_ms != 0; });
  std::string value = shard_done ? fmt::format("{}:end", next_seq) : std::to_string(next_seq);
  // Each lane's open window, stored with the position it belongs to.
  std::vector<std::pair<std::string, std::string>> window_keys;  // key -> value ("" deletes)
  if (windows)
    for (size_t i = 0; i < shard.lanes.size(); ++i) {
      const Lane& l = shard.lanes[i];
      window_keys.emplace_back(window_key(uuid, shard.span.start_seq, i),
                               l.window_start_ms ? fmt::format(R"({{"start":{},"state":{}}})", l.window_start_ms, l.window_state)
                                                 : std::string());
    }
  if (lane) shard.lanes[*lane].in_flight = true;
  else shard.checkpointing = true;
  auto delivered = std::make_shared<bool>(false);
  writer_.submit(
      [this, runner, key = checkpoint_key(uuid, shard.span.start_seq), value, destination, function_arn, account,
       window_keys = std::move(window_keys), record = std::move(on_failure_record), delivered](storage::WriteTxn& txn) {
        // DeleteEventSourceMapping marks the runner before its own step: a checkpoint applied after
        // that step would outlive the mapping.
        if (runner->deleted) return true;
        txn.put(storage::Family::kMeta, key, value);
        for (const auto& [k, v] : window_keys) {
          if (v.empty()) txn.del(storage::Family::kMeta, k);
          else txn.put(storage::Family::kMeta, k, v);
        }
        if (!record.empty()) {
          ports::Delivery d;
          d.body = record;
          d.sender = {account, "lambda.amazonaws.com", function_arn};
          auto sent = deliverer_.deliver(txn, destination, std::move(d));
          *delivered = sent.ok();
          if (!sent.ok())
            spdlog::warn(R"("event":"lambda.esm_on_failure_failed","function":"{}","destination":"{}","error":"{}")",
                         function_arn, destination, sent.error().code);
        }
        return true;
      },
      [this, runner, shard_start = shard.span.start_seq, lane, next_seq, shard_done, delivered](bool committed) {
        post([this, runner, shard_start, lane, next_seq, shard_done, committed, delivered] {
          auto it = runner->shards.find(shard_start);
          if (it == runner->shards.end()) return;
          Shard& shard = it->second;
          if (lane && *lane < shard.lanes.size()) shard.lanes[*lane].in_flight = false;
          if (!lane) shard.checkpointing = false;
          if (committed) {
            shard.next_seq = std::max(shard.next_seq, next_seq);
            shard.done = shard.done || shard_done;
            if (*delivered) ++runner->on_failure_sent;
          }
          pump(runner);
          // Health shows positions as they move: here, not on every wake (a pump per commit group).
          publish_health(runner);
        });
      });
}

void Manager::retry_later(const std::shared_ptr<Runner>& runner, Lane& lane, int64_t delay_ms) {
  lane.retry_at_ms = wall_ms() + delay_ms;
  std::weak_ptr<Runner> weak = runner;
  scheduler_.after_ms(delay_ms, [this, weak] {
    if (auto r = weak.lock()) wake(r);
  });
}

}  // namespace runnel::lambda::esm
