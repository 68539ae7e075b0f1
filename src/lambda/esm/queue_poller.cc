// The queue poller: an SQS mapping's concurrent polls (manager.h has the semantics). Each poll
// is a cycle — receive (SQS's long poll on the mapping's behalf, woken by the commit of a send),
// gather up to BatchSize within the batching window, filter, invoke synchronously, delete what
// succeeded — and starts over. Everything here runs on the esm thread; the port's answers are
// posted to it.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "lambda/esm/queue_batch.h"
#include "lambda/esm/runner.h"

namespace runnel::lambda::esm {

namespace {

// Without ScalingConfig.MaximumConcurrency, AWS starts an SQS mapping with five concurrent
// batches (and scales from there); runnel keeps five.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
constexpr int kDefaultQueuePolls = 5;
// One long poll waits at most as long as ReceiveMessage's WaitTimeSeconds may (20 s), then is
// renewed: an idle mapping costs one writer step per poll every 20 s, and nothing in between.
constexpr int64_t kLongPollMs = 20000;
// The synchronous invoke's 6 MB payload, less room for the event's own JSON around the messages.
constexpr size_t kMaxBatchBytes = 6 * 1024 * 1024 - 256 * 1024;
// A poll that cannot run (no function, no queue, a throttle) looks again after this long.
constexpr int64_t kRetryMs = 1000;

}  // namespace

void Manager::pump_queue(const std::shared_ptr<Runner>& runner) {
  int wanted = 0;
  {
    std::lock_guard lock(runner->mu);
    if (runner->mapping.enabled) wanted = runner->mapping.max_concurrency.value_or(kDefaultQueuePolls);
  }
  if (runner->deleted || wanted == 0 || !queues_) return end_queue_polls(runner);
  uint64_t generation = runner->generation;
  while (runner->polls < wanted) {
    ++runner->polls;
    next_queue_poll(runner, generation);
  }
}

void Manager::end_queue_polls(const std::shared_ptr<Runner>& runner) {
  ++runner->generation;
  runner->polls = 0;
  auto parked = std::move(runner->parked);
  runner->parked.clear();
  for (auto& [id, cancel] : parked) cancel();  // their answers (empty) end those polls
}

void Manager::next_queue_poll(const std::shared_ptr<Runner>& runner, uint64_t generation, int64_t delay_ms) {
  if (generation != runner->generation || runner->deleted) return;  // this poll's generation has ended
  auto batch = std::make_shared<QueueBatch>();
  batch->generation = generation;
  if (delay_ms == 0) return queue_receive(runner, std::move(batch));
  std::weak_ptr<Runner> weak = runner;
  scheduler_.after_ms(delay_ms, [this, weak, batch] {
    post([this, weak, batch] {
      if (auto r = weak.lock()) queue_receive(r, batch);
    });
  });
}

void Manager::queue_receive(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch) {
  if (batch->generation != runner->generation || runner->deleted) return;
  Mapping m;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
  }
  // Nothing is taken from the queue while the function is missing: each receive would count
  // against the messages' maxReceiveCount.
  if (batch->messages.empty() && hooks_.resolve_function(m.account, m.region, m.function_arn).empty()) {
    {
      std::lock_guard lock(runner->mu);
      runner->last_result = "PROBLEM: Function not found";
    }
    return next_queue_poll(runner, batch->generation, kRetryMs);
  }
  int64_t now = wall_ms();
  ports::QueueReceive request;
  request.max_messages = static_cast<size_t>(m.batch_size) - batch->messages.size();
  request.max_bytes = kMaxBatchBytes - batch->bytes;
  // The first message is waited for as long as it takes; the rest only until the window closes.
  request.wait_until_ms = batch->messages.empty() ? now + kLongPollMs : batch->first_ms + m.batching_window_s * 1000LL;
  uint64_t id = ++runner->next_receive;
  std::weak_ptr<Runner> weak = runner;
  auto cancel = queues_->receive(m.source_arn, request, [this, weak, batch, id](Result<std::vector<ports::QueueMessage>> got) {
    post([this, weak, batch, id, got = std::move(got)]() mutable {
      if (auto r = weak.lock()) queue_received(r, batch, id, std::move(got));
    });
  });
  // The answer is posted to this thread, so it is handled after this: parked until then.
  runner->parked.emplace(id, std::move(cancel));
}

void Manager::queue_received(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch, uint64_t receive_id,
                             Result<std::vector<ports::QueueMessage>> got) {
  runner->parked.erase(receive_id);
  // A poll of an ended generation (the mapping changed, was disabled or deleted) stops here. What
  // it took returns to the queue after the visibility timeout, as with any unfinished batch.
  if (batch->generation != runner->generation || runner->deleted) return;
  if (!got.ok()) {
    {
      std::lock_guard lock(runner->mu);
      runner->last_result = fmt::format("PROBLEM: {}", got.error().message);
    }
    if (!batch->messages.empty()) return queue_invoke(runner, std::move(batch));
    return next_queue_poll(runner, batch->generation, kRetryMs);
  }
  Mapping m;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
  }
  int64_t now = wall_ms();
  bool nothing_more = got->empty();
  if (!got->empty() && batch->messages.empty()) batch->first_ms = now;
  runner->polled += got->size();
  for (auto& message : *got) {
    batch->bytes += message.size;
    batch->messages.push_back(std::move(message));
  }
  if (batch->messages.empty()) return queue_receive(runner, std::move(batch));  // the long poll is renewed
  // The batching window: gather until BatchSize, the payload limit or the window's end.
  bool full = batch->messages.size() >= static_cast<size_t>(m.batch_size) || batch->bytes >= kMaxBatchBytes;
  bool window_open = m.batching_window_s > 0 && now < batch->first_ms + m.batching_window_s * 1000LL;
  if (!full && window_open && !nothing_more) return queue_receive(runner, std::move(batch));
  queue_invoke(runner, std::move(batch));
}

void Manager::queue_invoke(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch) {
  Mapping m;
  std::vector<pattern::FilterPolicy> filters;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
    filters = runner->filters;
  }
  // Messages that match no filter are deleted without the function seeing them.
  std::vector<std::string> unmatched;
  if (!filters.empty()) {
    std::vector<ports::QueueMessage> kept;
    for (auto& message : batch->messages) {
      std::string document = queue_filter_document(message, m.source_arn, m.region);
      bool keep = std::any_of(filters.begin(), filters.end(),
                              [&](const pattern::FilterPolicy& f) { return f.matches_body(document); });
      if (keep) {
        kept.push_back(std::move(message));
      } else {
        unmatched.push_back(message.receipt_handle);
        ++runner->filtered_out;
      }
    }
    batch->messages = std::move(kept);
  }
  if (!unmatched.empty()) queues_->delete_messages(m.source_arn, std::move(unmatched), [](Status) {});
  if (batch->messages.empty()) return next_queue_poll(runner, batch->generation);
  runner->count_batch(batch->messages.size());
  std::string payload = queue_event_for(batch->messages, m.source_arn, m.region);
  std::weak_ptr<Runner> weak = runner;
  hooks_.invoke(m.function_arn, std::move(payload), [this, weak, batch](InvocationResult result, bool found) {
    post([this, weak, batch, result = std::move(result), found]() mutable {
      if (auto r = weak.lock()) queue_finished(r, batch, std::move(result), found);
    });
  });
}

void Manager::queue_finished(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch,
                             InvocationResult result, bool found) {
  if (result.aborted) return;  // runnel is stopping: the messages return after their visibility timeout
  Mapping m;
  {
    std::lock_guard lock(runner->mu);
    m = runner->mapping;
  }
  runner->iterator_age_ms = wall_ms() - batch->messages.front().sent_ms;
  if (!found || result.throttled) {
    // Nothing ran. The messages stay in flight and return after the visibility timeout, each
    // receive counted: on AWS too, a throttled SQS mapping can move messages to the DLQ.
    std::lock_guard lock(runner->mu);
    runner->last_result = found ? "PROBLEM: Function call throttled" : "PROBLEM: Function not found";
    if (found) ++runner->throttled;
    return next_queue_poll(runner, batch->generation, kRetryMs);
  }
  Outcome outcome = result.function_error.empty() ? Outcome::kSuccess : Outcome::kFailure;
  std::set<std::string> failed_ids;
  if (outcome == Outcome::kSuccess && m.report_batch_item_failures)
    outcome = queue_item_failures(result.payload, batch->messages, failed_ids);
  std::vector<std::string> done;
  if (outcome != Outcome::kFailure)
    for (const auto& message : batch->messages)
      if (!failed_ids.count(message.message_id)) done.push_back(message.receipt_handle);
  {
    std::lock_guard lock(runner->mu);
    runner->last_result = outcome == Outcome::kSuccess ? "OK" : "PROBLEM: Function call failed";
  }
  if (outcome != Outcome::kSuccess) ++runner->failed;
  // A failed message is left alone: it returns after the visibility timeout, and the queue's
  // redrive policy moves it to its dead-letter queue after maxReceiveCount receives.
  if (!done.empty()) {
    queues_->delete_messages(m.source_arn, std::move(done), [uuid = m.uuid](Status s) {
      if (!s.ok())
        spdlog::warn(R"("event":"lambda.esm_delete_failed","mapping":"{}","error":"{}")", uuid, s.error().code);
    });
  }
  next_queue_poll(runner, batch->generation);
}

}  // namespace runnel::lambda::esm
