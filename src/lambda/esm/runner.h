// The live state of one event source mapping (manager.cc, stream_poller.cc and queue_poller.cc
// share it).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lambda/esm/manager.h"
#include "pattern/filter_policy.h"
#include "ports/queue_source.h"

namespace runnel::lambda::esm {

// One of a shard's ParallelizationFactor lanes: its records (by partition key) in order, and at
// most one batch of them in flight. With a factor of 1 a shard has one lane.
struct Manager::Lane {
  // Read, matched a filter, not yet done, in sequence order — but for the batch in flight, whose
  // records the batch holds (moved, not copied) and gives back what it did not finish.
  std::deque<ports::StreamRecord> pending;
  uint64_t held_from = 0;  // the first sequence number the batch in flight holds (0: none)
  size_t held = 0;         // how many it holds
  bool in_flight = false;  // a batch is being invoked or its checkpoint committed
  int attempts = 0;        // failed invokes of the current batch (bisection does not count)
  size_t limit = 0;        // bisection: at most this many records next (0: BatchSize)
  int64_t retry_at_ms = 0;
  // A tumbling window (TumblingWindowInSeconds): its start (0: none open) and the state the
  // function returned last, as JSON text.
  int64_t window_start_ms = 0;
  std::string window_state = "{}";
  bool window_terminated_early = false;  // the state outgrew 1 MB: the next invoke ends the window
};

struct Manager::Shard {
  ports::ShardSpan span;
  uint64_t next_seq = 0;  // the stored checkpoint: every record below it is done (0: the shard's start)
  uint64_t read_seq = 0;  // where the next read starts (0: at the checkpoint)
  bool done = false;      // read to its end, every record done, and checkpointed so
  bool read_to_end = false;
  std::vector<Lane> lanes;  // empty until the first read
  bool checkpointing = false;      // a shard-level checkpoint (no lane's) is being written
};

struct Manager::Batch {
  uint64_t shard_start = 0;
  std::string shard_id;
  size_t lane = 0;
  std::vector<ports::StreamRecord> records;  // what the function got (empty: a window's final invoke)
  int64_t window_start_ms = 0;               // tumbling windows: the batch's window (0: none)
  bool final_invoke = false;
};

// An SQS mapping's batch in the making, then in flight: one per concurrent poll.
struct Manager::QueueBatch {
  uint64_t generation = 0;  // of the runner when this poll began
  std::vector<ports::QueueMessage> messages;
  size_t bytes = 0;
  int64_t first_ms = 0;  // when the first message arrived (the batching window runs from here)
};

struct Manager::Runner {
  // Guarded by mu (the API's view).
  mutable std::mutex mu;
  Mapping mapping;
  bool created = false;  // the first Get after Create says Creating once
  std::string last_result = "No records processed";
  std::vector<pattern::FilterPolicy> filters;

  // Any thread.
  std::atomic<bool> pump_queued{false};
  std::atomic<bool> deleted{false};
  std::atomic<uint64_t> polled{0}, filtered_out{0}, invoked{0}, failed{0}, dropped{0}, on_failure_sent{0}, throttled{0};
  std::atomic<int64_t> iterator_age_ms{0};
  std::atomic<uint64_t> batches{0}, batch_records{0}, largest_batch{0};
  // A batch of `records` goes to the function (any poller).
  void count_batch(uint64_t records) {
    ++invoked;
    ++batches;
    batch_records += records;
    for (uint64_t most = largest_batch; most < records && !largest_batch.compare_exchange_weak(most, records);) {
    }
  }

  // Each shard's position as health shows it: copied from the esm thread's state (under mu).
  struct ShardHealth {
    std::string id;
    uint64_t checkpoint = 0;  // the next record to deliver
    bool done = false;
    size_t buffered = 0;      // read into the lanes, not yet done
    size_t in_flight = 0;     // lanes with a batch at the function
  };
  std::vector<ShardHealth> shard_health;  // guarded by mu

  // The esm thread only.
  uint64_t subscription = 0;
  std::map<uint64_t, Shard> shards;  // by start sequence number: lineage order

  // SQS mappings, the esm thread only. A change of settings or state starts a new generation:
  // the polls of an older one end as they come back.
  uint64_t generation = 1;
  int polls = 0;  // polls (receive, invoke, delete) of the current generation
  uint64_t next_receive = 0;
  std::map<uint64_t, std::function<void()>> parked;  // cancel() of each waiting receive
};

}  // namespace runnel::lambda::esm
