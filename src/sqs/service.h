// The SQS service: queues and messages on the storage writer, both wire protocols through one set of
// JSON-shaped handlers (the Query codec converts), long polls woken by the commit that makes a
// message visible (or by the scheduler at the instant a delay or visibility timeout ends), and an
// in-process enqueue for other services that joins their storage batch.
//
// Files: queue_ops.cc (queue management), message_ops.cc (send/receive/delete/visibility),
// delivery.cc (the apply-thread core: send, receive, redrive, visibility), move_tasks.cc.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "background/scheduler.h"
#include "ports/deliver.h"
#include "ports/queue_source.h"
#include "protocol/aws_json.h"
#include "sqs/message.h"
#include "sqs/queue.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::sqs {

struct ReceiveOptions {
  int max_messages = 1;
  int visibility_timeout = -1;  // -1: the queue's
  int64_t deadline_ms = 0;      // long poll ends (0: no wait)
  bool all_system = false;
  std::vector<std::string> system_names;
  bool all_user = false;
  std::vector<std::string> user_names;  // exact names or "prefix.*"
  std::string attempt_id;               // FIFO ReceiveRequestAttemptId
  size_t max_bytes = 0;                 // in-process consumers: stop once this many bytes are taken
};

// What a receive step took, as typed values, handed on after the commit; reading the stored
// messages and rendering them happen afterwards (read_received), never on the commit thread.
struct Received {
  std::shared_ptr<Queue> queue;
  uint64_t queue_id = 0;
  std::vector<std::pair<uint64_t, uint64_t>> taken;  // (seq, nonce) in the order taken
  std::map<uint64_t, MessageState> states;           // each one's state as the receive left it
};
using ReceiveDone = std::function<void(Result<Received>)>;

// One message of a receive, read back from storage after the commit.
struct ReceivedMessage {
  StoredMessage stored;
  MessageState state;
  std::string receipt_handle;
};

// A ReceiveMessage in progress. Answered exactly once: by a receive step that found messages, or
// by its deadline or a cancel (empty). `claimed` decides who. `done` runs on the writer's
// completion thread (or the scheduler's, or the canceller's).
struct Waiter {
  std::shared_ptr<Queue> queue;
  ReceiveOptions options;
  ReceiveDone done;
  std::atomic<bool> claimed{false};
  uint64_t deadline_timer = 0;
};

struct SendResult {
  std::string message_id;
  std::string md5_body;
  std::string md5_attributes;
  std::string md5_system;
  uint64_t sequence = 0;  // FIFO
};

class Service final : public ports::DeliveryTarget, public ports::QueueSource {
 public:
  Service(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler);
  ~Service();

  Status start();
  void register_operations(protocol::JsonService& json);
  // Answers every waiting long poll (empty) — call before the writer stops.
  void stop();
  // Deletes messages past their queue's MessageRetentionPeriod (blocks until committed).
  void sweep_expired();
  // StartMessageMoveTask's in-memory task records.
  std::shared_ptr<class MoveTasks> move_tasks();

  // In-process enqueue for other services (SNS deliveries, Lambda destinations): runs inside the
  // caller's writer step, so the message commits in the caller's batch. Wakes long polls on commit.
  Result<SendResult> enqueue(storage::WriteTxn& txn, std::string_view queue_arn, MessageInput message);
  // enqueue() on behalf of another service's resource (`source_arn`, of `source_account`, acting as
  // `service_principal`, e.g. an SNS topic as "sns.amazonaws.com"): a queue of another account
  // takes it only when its Policy allows that (else AccessDenied, and AWS's delivery fails).
  Result<SendResult> enqueue_for(storage::WriteTxn& txn, std::string_view queue_arn, MessageInput message,
                                 std::string_view service_principal, std::string_view source_arn,
                                 std::string_view source_account);
  // ports::DeliveryTarget: enqueue(), or enqueue_for() when a service's resource sends.
  Status deliver(storage::WriteTxn& txn, std::string_view queue_arn, ports::Delivery delivery) override;

  // ports::QueueSource: receive and delete for an in-process consumer (queue_source.cc).
  std::optional<ports::QueueInfo> describe_queue(std::string_view queue_arn) const override;
  std::function<void()> receive(std::string_view queue_arn, ports::QueueReceive request,
                                ports::QueueReceiveDone done) override;
  void delete_messages(std::string_view queue_arn, std::vector<std::string> receipt_handles,
                       std::function<void(Status)> done) override;

  // --- used by the operation files ---
  std::shared_ptr<Queue> find(std::string_view account, std::string_view region, std::string_view name) const;
  std::shared_ptr<Queue> find_arn(std::string_view arn) const;
  // QueueUrl -> queue of that account (from the URL path) in the caller's region.
  Result<std::shared_ptr<Queue>> resolve(const protocol::RequestContext& ctx, const rapidjson::Value& body) const;
  std::vector<std::shared_ptr<Queue>> list(std::string_view account, std::string_view region) const;
  storage::Writer& writer() { return writer_; }
  storage::Engine& engine() { return engine_; }
  background::Scheduler& scheduler() { return scheduler_; }

  // Apply thread (writer steps) only.
  uint64_t allocate_queue_id(storage::WriteTxn& txn);
  void put_queue(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q);  // caller holds q->mu
  void remove_queue(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q);
  // Sends one message into q (caller holds q->mu); `result` is filled on success.
  Result<SendResult> send_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, MessageInput message,
                                 int64_t now_ms);
  // Takes up to options.max_messages visible messages (caller holds q->mu); returns (seq, nonce).
  std::vector<std::pair<uint64_t, uint64_t>> receive_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q,
                                                            const ReceiveOptions& options, int64_t now_ms);
  void delete_locked(storage::WriteTxn& txn, Queue& q, uint64_t seq);
  // DeleteMessage's core (caller holds q->mu): deletes the message the handle names if the handle
  // is its latest receive's; a deleted message or a superseded handle changes nothing.
  void delete_received_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, const ReceiptHandle& handle);
  void write_state(storage::WriteTxn& txn, const Queue& q, uint64_t seq, const MessageState& st);
  // Sets a message's visibility (in flight until `visible_at_ms`; now: visible again).
  void set_visibility_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, uint64_t seq,
                             int64_t visible_at_ms, int64_t now_ms);

  // Long polls. `done` gets what a receive step took, after its commit (see Waiter). Returns
  // cancel(): it ends the wait at once with nothing, unless it has been answered already.
  std::function<void()> receive(const std::shared_ptr<Queue>& q, ReceiveOptions options, ReceiveDone done);
  // After a commit made messages of q visible: hands them to waiting long polls.
  void wake(const std::shared_ptr<Queue>& q, size_t count);
  // Reads the messages a receive took (their stored bodies; after the commit, off the commit
  // thread). A message deleted meanwhile (a purge) is left out.
  std::vector<ReceivedMessage> read_received(const Received& received) const;
  // ReceiveMessage's JSON answer, with the attributes `options` asked for.
  static std::string render_received(const Queue& q, const std::vector<ReceivedMessage>& messages,
                                     const ReceiveOptions& options);

  // When a queue of that name was deleted less than 60 s ago (CreateQueue answers
  // QueueDeletedRecently then); kept in memory.
  bool deleted_recently(const Queue& q, int64_t now_ms) const;

 private:
  void attempt(const std::shared_ptr<Waiter>& w);
  // Answers a claimed long poll after its step's commit.
  void answer(const std::shared_ptr<Waiter>& w, bool committed, Received received);
  void hand_off_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, int64_t now_ms);  // caller holds q->mu
  void schedule_visibility_wake(const std::shared_ptr<Queue>& q, int64_t now_ms);  // caller holds q->mu
  Status load_messages(Queue& q);
  void redrive_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, uint64_t seq, int64_t now_ms);
  std::string queue_key(const Queue& q) const;

  storage::Engine& engine_;
  storage::Writer& writer_;
  background::Scheduler& scheduler_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Queue>, std::less<>> queues_;  // "account/region/name"
  std::map<std::string, std::shared_ptr<Queue>, std::less<>> by_arn_;
  std::map<std::string, int64_t, std::less<>> deleted_at_ms_;  // arn -> deletion time
  uint64_t next_queue_id_ = 1;  // apply thread
  std::atomic<bool> stopping_{false};
  std::mutex move_tasks_mu_;
  std::shared_ptr<class MoveTasks> move_tasks_;
};

// A received message's system attributes, every one SQS has for it, in the order SQS lists them.
std::vector<std::pair<std::string, std::string>> system_attributes(const ReceivedMessage& received, bool fifo);

// Storage keys.
std::string message_key(uint64_t queue_id, uint64_t seq);
std::string state_key(uint64_t queue_id, uint64_t seq);
// Moves state keys an older store kept in the queues family into queue_states (Service::start).
Result<size_t> move_state_keys(storage::Engine& engine);
std::string dedup_key(uint64_t queue_id, std::string_view dedup_id);

}  // namespace runnel::sqs
