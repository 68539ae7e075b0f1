// The stream poller: reads a mapping's shards in lineage order, batches, filters, invokes and
// checkpoints (manager.h has the semantics). Everything here runs on the esm thread, except
// wake(), which the stream's commit calls.
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
  {
    std::lock_guard lock(runner->mu);
    queue = runner->mapping.from_queue();
    if (!queue && !runner->mapping.enabled) return;
  }
  if (queue) return pump_queue(runner);
  auto view = streams_.describe(runner->mapping.source_arn);
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
  for (auto& [start, shard] : runner->shards) {
    if (shard.done || shard.in_flight) continue;
    if (shard.span.id.empty()) continue;  // a checkpoint of a shard the stream has trimmed away
    // Lineage: a child waits until its parent has been read to its end.
    if (!shard.span.parent_id.empty()) {
      auto parent = std::find_if(runner->shards.begin(), runner->shards.end(),
                                 [&](const auto& e) { return e.second.span.id == shard.span.parent_id; });
      if (parent != runner->shards.end() && !parent->second.done) continue;
    }
    if (shard.retry_at_ms > wall_ms()) continue;
    start_batch(runner, shard, *view);
  }
}

void Manager::start_batch(const std::shared_ptr<Runner>& runner, Shard& shard, const ports::StreamView& view) {
  Mapping m;
  std::vector<pattern::FilterPolicy> filters;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
    filters = runner->filters;
  }
  if (shard.next_seq < view.trim_seq) shard.next_seq = view.trim_seq;  // trimmed before it was read
  size_t limit = shard.limit ? shard.limit : static_cast<size_t>(m.batch_size);
  auto read = streams_.read(m.source_arn, shard.span.start_seq, shard.next_seq, limit, kMaxPayloadBytes - 4096);
  if (!read.ok()) {
    if (read.error().code == "TrimmedDataAccessException") {
      shard.next_seq = view.trim_seq;
      wake(runner);
    }
    return;
  }
  if (read->records.empty()) {
    if (read->shard_end) {
      shard.in_flight = true;
      checkpoint(runner, shard.span.start_seq, read->next_seq, true);
    }
    return;
  }
  int64_t now = wall_ms();
  // The batching window: wait for a full batch, up to the window's end after the first record.
  if (m.batching_window_s > 0 && read->records.size() < limit && !read->shard_end) {
    int64_t due = read->records.front().written_ms + m.batching_window_s * 1000LL;
    if (due > now) {
      retry_later(runner, shard, due - now);
      return;
    }
  }
  runner->polled += read->records.size();
  auto batch = std::make_shared<Batch>();
  batch->shard_start = shard.span.start_seq;
  batch->shard_id = shard.span.id;
  batch->end_seq = read->next_seq;
  for (auto& record : read->records) {
    bool keep = filters.empty() || std::any_of(filters.begin(), filters.end(),
                                               [&](const pattern::FilterPolicy& f) { return f.matches_body(record.json); });
    if (keep) batch->records.push_back(std::move(record));
    else ++runner->filtered_out;
  }
  shard.in_flight = true;
  if (batch->records.empty()) {
    checkpoint(runner, shard.span.start_seq, batch->end_seq, read->shard_end && shard.span.end_seq.has_value());
    return;
  }
  ++runner->invoked;
  std::string payload = event_for(batch->records, m.source_arn);
  hooks_.invoke(m.function_arn, std::move(payload), [this, runner, batch](InvocationResult result, bool found) {
    post([this, runner, batch, result = std::move(result), found]() mutable {
      finish_batch(runner, batch, std::move(result), found);
    });
  });
}

void Manager::finish_batch(const std::shared_ptr<Runner>& runner, std::shared_ptr<Batch> batch, InvocationResult result,
                           bool found) {
  auto it = runner->shards.find(batch->shard_start);
  if (it == runner->shards.end() || runner->deleted) return;
  Shard& shard = it->second;
  if (result.aborted) {  // runnel is stopping: the checkpoint stays where it was
    shard.in_flight = false;
    return;
  }
  Mapping m;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
  }
  int64_t now = wall_ms();
  runner->iterator_age_ms = now - batch->records.back().written_ms;
  if (!found || result.throttled) {
    // The function is gone or its reserved concurrency is in use: nothing ran, so no retry is
    // spent (AWS counts function errors only); the records wait.
    std::lock_guard lock(runner->mu);
    runner->last_result = found ? "PROBLEM: Function call throttled" : "PROBLEM: Function not found";
    if (found) ++runner->throttled;
    shard.in_flight = false;
    retry_later(runner, shard, 1000);
    return;
  }
  Outcome outcome = result.function_error.empty() ? Outcome::kSuccess : Outcome::kFailure;
  uint64_t lowest = 0;
  if (outcome == Outcome::kSuccess && m.report_batch_item_failures) outcome = item_failures(result.payload, lowest);
  if (outcome == Outcome::kPartial) outcome = within_batch(outcome, lowest, batch->records);
  if (outcome == Outcome::kSuccess) {
    {
      std::lock_guard lock(runner->mu);
      runner->last_result = "OK";
    }
    shard.attempts = 0;
    shard.limit = 0;
    checkpoint(runner, batch->shard_start, batch->end_seq, shard.span.end_seq && batch->end_seq > *shard.span.end_seq);
    return;
  }
  ++runner->failed;
  {
    std::lock_guard lock(runner->mu);
    runner->last_result = "PROBLEM: Function call failed";
  }
  if (outcome == Outcome::kPartial) {
    // Everything before the lowest failed record is done; the retry starts at it.
    ++shard.attempts;
    checkpoint(runner, batch->shard_start, lowest, false);
    return;
  }
  if (m.bisect && batch->records.size() > 1) {
    // Halve the batch: the first half is retried now, the rest follows it; no retry is spent.
    shard.limit = std::max<size_t>(1, batch->records.size() / 2);
    shard.in_flight = false;
    wake(runner);
    return;
  }
  ++shard.attempts;
  bool retries_spent = m.max_retry_attempts >= 0 && shard.attempts > m.max_retry_attempts;
  int64_t age_limit_ms = m.max_record_age_s >= 0 ? m.max_record_age_s * 1000LL : kRecordLifetimeMs;
  bool too_old = now - batch->records.front().written_ms > age_limit_ms;
  if (!retries_spent && !too_old) {
    shard.in_flight = false;
    retry_later(runner, shard, std::min<int64_t>(5000, 100LL << std::min(shard.attempts - 1, 6)));
    return;
  }
  // Discarded: its coordinates go to the on-failure destination, and the shard moves on.
  ++runner->dropped;
  std::string record;
  if (!m.on_failure.empty()) {
    FailureContext why{m.function_arn, m.source_arn, batch->shard_id,
                       retries_spent ? "RetryAttemptsExhausted" : "RecordAgeExceeded", shard.attempts,
                       result.function_error.empty() ? "Unhandled" : result.function_error, now};
    record = failure_record(why, batch->records);
  }
  shard.attempts = 0;
  shard.limit = 0;
  checkpoint(runner, batch->shard_start, batch->records.back().seq + 1, false, std::move(record));
}

void Manager::checkpoint(const std::shared_ptr<Runner>& runner, uint64_t shard_start, uint64_t next_seq, bool shard_done,
                         std::string on_failure_record) {
  std::string uuid, destination, function_arn, account;
  {
    std::lock_guard lock(runner->mu);
    uuid = runner->mapping.uuid;
    destination = runner->mapping.on_failure;
    function_arn = runner->mapping.function_arn;
    account = runner->mapping.account;
  }
  std::string value = shard_done ? fmt::format("{}:end", next_seq) : std::to_string(next_seq);
  auto delivered = std::make_shared<bool>(false);
  writer_.submit(
      [this, runner, key = checkpoint_key(uuid, shard_start), value, destination, function_arn, account,
       record = std::move(on_failure_record), delivered](storage::WriteTxn& txn) {
        // DeleteEventSourceMapping marks the runner before its own step: a checkpoint applied after
        // that step would outlive the mapping.
        if (runner->deleted) return true;
        txn.put(storage::Family::kMeta, key, value);
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
      [this, runner, shard_start, next_seq, shard_done, delivered](bool committed) {
        post([this, runner, shard_start, next_seq, shard_done, committed, delivered] {
          auto it = runner->shards.find(shard_start);
          if (it == runner->shards.end()) return;
          Shard& shard = it->second;
          shard.in_flight = false;
          if (committed) {
            shard.next_seq = next_seq;
            shard.done = shard_done;
            if (*delivered) ++runner->on_failure_sent;
          }
          pump(runner);
        });
      });
}

void Manager::retry_later(const std::shared_ptr<Runner>& runner, Shard& shard, int64_t delay_ms) {
  shard.retry_at_ms = wall_ms() + delay_ms;
  std::weak_ptr<Runner> weak = runner;
  scheduler_.after_ms(delay_ms, [this, weak] {
    if (auto r = weak.lock()) wake(r);
  });
}

}  // namespace runnel::lambda::esm
