// Event source mappings at work: the API (Create/Get/Update/Delete/ListEventSourceMappings) and a
// poller per mapping that reads its DynamoDB stream through the event-source port, shard by
// shard in lineage order, or receives its SQS queue's messages through the queue port, and hands
// batches to the function.
//
// Nothing polls. The commit that makes a stream record durable wakes the mapping (the port's
// subscribe), and its own thread ("rn-esm") reads, filters and invokes; retries of failed batches
// wait on the scheduler, and only they back off. Each shard's position is a checkpoint stored by
// the writer before the shard moves on, so after kill -9 a mapping resumes after its last
// completed batch: at least once, nothing skipped, only the batch in flight seen twice.
//
// Poller semantics follow AWS's (../docs/compatibility/lambda.md, "Event source mappings"):
// synchronous invokes; a failed batch blocks its shard and is retried until it succeeds, its
// retries (MaximumRetryAttempts) or its age (MaximumRecordAgeInSeconds) are spent, then its
// DDBStreamBatchInfo goes to the on-failure destination and the shard moves on;
// BisectBatchOnFunctionError halves a failing batch without spending retries;
// ReportBatchItemFailures checkpoints before the lowest failed sequence number; FilterCriteria
// drops (and checkpoints past) records that match no filter.
// https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
//
// An SQS mapping (queue_poller.cc) runs up to ScalingConfig.MaximumConcurrency polls at once
// (five without it). Each is SQS's own long poll, woken by the commit of a send, then one
// synchronous invoke: success deletes the batch, a failure deletes nothing (the messages return
// after the queue's visibility timeout, and its redrive policy moves them to the DLQ after
// maxReceiveCount), ReportBatchItemFailures deletes all but the reported ones, and messages that
// match no filter are deleted unseen. FIFO queues hand out one batch per message group at a time.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>

#include "background/scheduler.h"
#include "common/json_write.h"
#include "lambda/esm/mapping.h"
#include "lambda/sandboxes.h"
#include "ports/deliver.h"
#include "ports/event_source.h"
#include "ports/queue_source.h"
#include "protocol/rest.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::lambda::esm {

struct Hooks {
  // The unqualified ARN of the function `given` names for a caller of (account, region); empty
  // when there is none.
  std::function<std::string(const std::string& account, const std::string& region, std::string_view given)> resolve_function;
  // Invokes the function synchronously; `done` gets its result, or found = false when the
  // function no longer exists.
  std::function<void(const std::string& function_arn, std::string payload, std::function<void(InvocationResult, bool found)> done)>
      invoke;
};

class Manager {
 public:
  // `queues` may be null: SQS event sources are then refused as missing queues.
  Manager(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler,
          ports::StreamSource& streams, ports::QueueSource* queues, const ports::Deliverer& deliverer, Hooks hooks);
  ~Manager();

  Status start();  // loads mappings and checkpoints
  void serve();    // starts the pollers
  void stop();

  // The API (REST-JSON, /2015-03-31/event-source-mappings[/<uuid>]); answers `reply` once.
  void handle(const protocol::RequestContext& ctx, protocol::RestRequest& request, std::string_view uuid,
              protocol::Reply reply);
  // How many mappings exist (for health).
  size_t size() const;
  // Health: per mapping its state, counters and each shard's checkpoint, as a JSON array.
  void write_health(JsonWriter& w) const;

 private:
  struct Lane;
  struct Shard;
  struct Runner;
  struct Batch;
  struct QueueBatch;

  void create(const protocol::RequestContext& ctx, protocol::RestRequest& request, protocol::Reply reply);
  void get(const protocol::RequestContext& ctx, std::string_view uuid, protocol::Reply reply);
  void update(const protocol::RequestContext& ctx, protocol::RestRequest& request, std::string_view uuid, protocol::Reply reply);
  void remove(const protocol::RequestContext& ctx, std::string_view uuid, protocol::Reply reply);
  void list(const protocol::RequestContext& ctx, protocol::RestRequest& request, protocol::Reply reply);
  std::shared_ptr<Runner> find(const protocol::RequestContext& ctx, std::string_view uuid) const;
  Lookup lookup_for(const protocol::RequestContext& ctx) const;
  void activate(const std::shared_ptr<Runner>& runner);

  // --- the poller (stream_poller.cc), on the esm thread ---
  void post(std::function<void()> job);
  void wake(const std::shared_ptr<Runner>& runner);  // any thread: pump soon, once
  void pump(const std::shared_ptr<Runner>& runner);
  // Reads more of the shard into its lanes when one could take a batch.
  void fill_lanes(const std::shared_ptr<Runner>& runner, Shard& shard, const ports::StreamView& view, const Mapping& m);
  void start_batch(const std::shared_ptr<Runner>& runner, Shard& shard, size_t lane, const Mapping& m);
  void finish_batch(const std::shared_ptr<Runner>& runner, std::shared_ptr<Batch> batch, InvocationResult result, bool found);
  // The batch's first `done` records are done (succeeded or given up on); the rest go back to the
  // front of the lane, to be tried again.
  static void settle(Lane& lane, Batch& batch, size_t done);
  // The lowest sequence number read and not yet done in any lane (nullopt: none): the checkpoint
  // may not pass it.
  static std::optional<uint64_t> lowest_not_done(const Shard& shard);
  // Stores the shard's position (the lowest record not done) with the lanes' window states and,
  // given, the on-failure record, in one writer step; `lane` (if any) resumes once it committed.
  void checkpoint(const std::shared_ptr<Runner>& runner, Shard& shard, std::optional<size_t> lane,
                  std::string on_failure_record = {});
  void retry_later(const std::shared_ptr<Runner>& runner, Lane& lane, int64_t delay_ms);
  // Copies the shards' positions to where health reads them.
  void publish_health(const std::shared_ptr<Runner>& runner);
  void run_loop();

  // --- the queue poller (queue_poller.cc), on the esm thread ---
  void pump_queue(const std::shared_ptr<Runner>& runner);
  // Ends the current generation's polls (settings changed, disabled, deleted, stopping).
  void end_queue_polls(const std::shared_ptr<Runner>& runner);
  void queue_receive(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch);
  void queue_received(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch, uint64_t receive_id,
                      Result<std::vector<ports::QueueMessage>> got);
  void queue_invoke(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch);
  void queue_finished(const std::shared_ptr<Runner>& runner, std::shared_ptr<QueueBatch> batch, InvocationResult result,
                      bool found);
  // The poll goes on with a new batch (at once, or after `delay_ms`), or ends with its generation.
  void next_queue_poll(const std::shared_ptr<Runner>& runner, uint64_t generation, int64_t delay_ms = 0);

  storage::Engine& engine_;
  storage::Writer& writer_;
  background::Scheduler& scheduler_;
  ports::StreamSource& streams_;
  ports::QueueSource* queues_;
  const ports::Deliverer& deliverer_;
  Hooks hooks_;

  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Runner>, std::less<>> runners_;  // by UUID

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::atomic<bool> serving_{false};
  std::thread thread_;
};

}  // namespace runnel::lambda::esm
