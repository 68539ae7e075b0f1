// One SQS queue: its attributes (validated as the service validates them), its identity, and the
// in-memory scheduling state the writer's apply thread keeps for it (which messages are visible,
// delayed or in flight, FIFO groups, deduplication ids, waiting long polls).
//
// Durable state lives in storage (layout in docs/architecture.md, "SQS"):
//   meta    "sqs/q/<account>/<region>/<name>" -> queue definition (JSON)
//   queues  'm' | u64 queue id | u64 seq -> the message as sent (JSON; immutable)
//   queues  's' | u64 queue id | u64 seq -> its delivery state (JSON: receive count, visibility, ...)
//   queues  'd' | u64 queue id | dedup id -> FIFO deduplication entry (message id, seq, expiry)
// The queue id changes on PurgeQueue, so a purge is one definition write plus a DeleteRange.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace runnel::sqs {

// SQS's errors: `code` is the shape name (JSON __type), `query_code` the legacy code the Query
// protocol and the x-amzn-query-error header carry (aws-reference.md 6.1).
ApiError sqs_error(std::string_view shape, std::string_view query_code, std::string message, int status = 400);
ApiError invalid_parameter(std::string message);       // InvalidParameterValue
ApiError missing_parameter(std::string_view name);      // MissingParameter
ApiError queue_does_not_exist();

struct RedrivePolicy {
  std::string dead_letter_arn;
  int max_receive_count = 10;
};

// The settable attributes, typed. `raw` keeps each set attribute's text as given (canonical form),
// which GetQueueAttributes returns and CreateQueue compares.
struct QueueConfig {
  int visibility_timeout = 30;
  int maximum_message_size = 1048576;
  int message_retention_period = 345600;
  int delay_seconds = 0;
  int receive_wait_time = 0;
  bool fifo = false;
  bool content_based_dedup = false;
  std::optional<RedrivePolicy> redrive;
  std::map<std::string, std::string> raw;
};

// Validates and applies `attributes` on top of `config` (CreateQueue: on the defaults;
// SetQueueAttributes: on the current config). `creating` allows FifoQueue.
Status apply_attributes(QueueConfig& config, const std::map<std::string, std::string>& attributes, bool creating);

struct MessageState {
  uint32_t receive_count = 0;
  int64_t first_receive_ms = 0;
  int64_t visible_at_ms = 0;  // later than now: delayed (never received) or in flight
  uint64_t nonce = 0;         // of the latest receive: only its receipt handle deletes
  int64_t sent_ms = 0;
  uint32_t size = 0;
  std::string group;          // FIFO
};

// A message's state as stored (storage/record_codec.h); nullopt: not a state.
std::string encode_state(const MessageState& st);
std::optional<MessageState> decode_state(std::string_view json);

struct DedupEntry {
  std::string message_id;
  uint64_t seq = 0;
  int64_t expires_ms = 0;
};

struct Waiter;  // a long poll (service.h)

struct Queue {
  std::string account;
  std::string region;
  std::string name;
  int64_t created_s = 0;

  std::string arn() const { return "arn:aws:sqs:" + region + ":" + account + ":" + name; }
  std::string url(std::string_view host) const;

  // Everything below is guarded by mu. Mutated on the writer's apply thread (inside steps, so in
  // storage order); read by API handlers (attributes, counts) and the wake-up paths.
  mutable std::mutex mu;
  QueueConfig config;
  std::map<std::string, std::string> tags;
  int64_t modified_s = 0;
  int64_t purged_ms = 0;
  uint64_t id = 0;        // storage prefix of its messages; a purge allocates a new one
  uint64_t next_seq = 1;  // also the FIFO SequenceNumber
  bool deleted = false;

  std::map<uint64_t, MessageState> messages;  // by seq: send order, so the oldest come first
  std::deque<uint64_t> ready;                 // standard: visible, oldest first (may hold stale seqs)
  std::multimap<int64_t, uint64_t> hidden;    // visible_at -> seq for delayed / in-flight (may hold stale)
  std::map<std::string, std::deque<uint64_t>> groups;  // FIFO: each group's messages in order
  std::unordered_map<std::string, DedupEntry> dedup;   // FIFO
  std::deque<std::pair<int64_t, std::string>> dedup_order;  // (expiry, id), oldest first
  struct Attempt {
    std::vector<std::pair<uint64_t, uint64_t>> received;  // (seq, nonce)
    int64_t expires_ms = 0;
  };
  std::unordered_map<std::string, Attempt> attempts;    // FIFO ReceiveRequestAttemptId
  std::deque<std::shared_ptr<Waiter>> waiters;
  int64_t wake_scheduled_ms = 0;  // earliest pending visibility wake for waiters (0: none)

  // Visible/not visible/delayed, computed from the state at `now_ms` (caller holds mu).
  void counts(int64_t now_ms, int64_t& visible, int64_t& in_flight, int64_t& delayed) const;
};

std::string encode_queue(const Queue& q);  // caller holds q.mu
Result<std::shared_ptr<Queue>> decode_queue(std::string_view json);

}  // namespace runnel::sqs
