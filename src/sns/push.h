// Push deliveries: everything SNS sends to an endpoint outside the process — HTTP/S POSTs and email.
//
// A delivery is a durable task, stored by the writer step that accepted the Publish (or the
// Subscribe whose confirmation it carries), so an acknowledged publish is never lost: after kill -9
// the tasks are loaded again and delivered. Once its batch commits, a task goes to a small pool of
// delivery threads (blocking libcurl, one reused connection cache per thread). The outcome is
// written back by a writer step: done (the task is deleted), retry (the task's attempt count is
// stored and the scheduler hands it back when its delay is over — nothing polls), or failed (the
// message goes to the subscription's RedrivePolicy dead-letter queue, in the same step, or is
// dropped and logged, as AWS drops it).
//
// HTTP/S: 2xx is success, 4xx a client error (no retries), anything else — 5xx, timeouts, refused
// connections — is retried under the subscription's delivery policy (sns/delivery_policy.h).
// Email: with --smtp-url, sent through that server by libcurl (smtp://, smtps://, STARTTLS, auth),
// retried under AWS's email policy; without it, the mail is written into the built-in mailbox in the
// publishing step itself (sns/mailbox.h), so the default works offline and drops nothing.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "background/scheduler.h"
#include "common/result.h"
#include "sns/delivery_policy.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::sns {

class Service;
class Mailbox;

struct PushTask {
  uint64_t id = 0;
  std::string type;              // Notification or SubscriptionConfirmation (x-amz-sns-message-type)
  std::string subscription_arn;
  std::string protocol;          // http, https, email, email-json
  std::string endpoint;
  std::string topic_arn;
  std::string message_id;
  std::string subject;           // email: the Subject line
  std::string body;              // HTTP: the POST body; email: the text body
  bool raw = false;              // RawMessageDelivery (HTTP)
  int attempts = 0;              // attempts made so far
};

// A task's stored form (its id is the key's, not the value's); nullptr: not a task.
std::string encode_push_task(const PushTask& t);
std::shared_ptr<PushTask> decode_push_task(uint64_t id, std::string_view value);

struct PushOptions {
  std::string smtp_url;          // empty: mails go to the built-in mailbox
  std::string smtp_from = "no-reply@sns.amazonaws.com";
  bool smtp_starttls = false;    // require STARTTLS on smtp:// (smtps:// is TLS from the start)
  bool tls_verify = true;        // verify the peer certificate of https endpoints and SMTP servers
  int workers = 4;
  int http_timeout_ms = 15000;   // AWS waits 15 s for an HTTP/S endpoint
};

class Pusher {
 public:
  Pusher(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler, Service& sns,
         Mailbox& mailbox, PushOptions options);
  ~Pusher();

  // Loads the tasks a previous run left (they are delivered as soon as the workers start).
  Status start();
  // Stops the workers after their current attempt; unfinished tasks stay stored for the next run.
  void stop();

  // Writer thread, inside the step that accepts the publish: stores `task` in that batch (email
  // without --smtp-url: writes the mail into the mailbox instead). Delivery begins after commit.
  void add(storage::WriteTxn& txn, PushTask task);
  bool smtp_configured() const { return !options_.smtp_url.empty(); }

  uint64_t pending() const { return pending_.load(); }
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t failed() const { return failed_.load(); }

 private:
  enum class Outcome { kDelivered, kRetry, kClientError };
  struct Attempt {
    Outcome outcome;
    std::string error_code;     // for the DLQ's ErrorCode attribute and the log
    std::string error_message;
  };

  void worker();
  // The subscription's HTTP delivery policy as it stands now (topic defaults, overrides).
  HttpDeliveryPolicy http_policy(const PushTask& task) const;
  // How long the subscription's throttle makes `task` wait (0: send now, and the slot is taken).
  int64_t throttle_wait_ms(const PushTask& task);
  void ready(std::shared_ptr<PushTask> task);
  Attempt attempt(void* curl, const PushTask& task);
  Attempt post_http(void* curl, const PushTask& task);
  Attempt send_smtp(void* curl, const PushTask& task);
  // Writes the attempt's consequence (delete / store the retry / dead-letter) in one writer step.
  void settle(std::shared_ptr<PushTask> task, Attempt result);

  storage::Engine& engine_;
  storage::Writer& writer_;
  background::Scheduler& scheduler_;
  Service& sns_;
  Mailbox& mailbox_;
  PushOptions options_;
  std::atomic<uint64_t> next_id_{1};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<PushTask>> ready_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::unordered_map<std::string, int64_t> next_slot_ms_;  // throttled subscriptions' next send time

  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace runnel::sns
