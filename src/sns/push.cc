#include "sns/push.h"

#include <cstring>

#include <curl/curl.h>
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "common/json_parse.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "sns/delivery_policy.h"
#include "sns/email.h"
#include "sns/mailbox.h"
#include "sns/service.h"
#include "storage/key_codec.h"
#include "storage/record_codec.h"

namespace runnel::sns {

namespace {

std::string task_key(uint64_t id) {
  std::string k(1, 'p');
  storage::append_u64(k, id);
  return k;
}

const storage::RecordCodec<PushTask>& task_codec() {
  static const auto codec = storage::RecordCodec<PushTask>()
                                .field("type", &PushTask::type)
                                .field("subscription", &PushTask::subscription_arn)
                                .field("protocol", &PushTask::protocol)
                                .field("endpoint", &PushTask::endpoint)
                                .field("topic", &PushTask::topic_arn)
                                .field("message_id", &PushTask::message_id)
                                .field("subject", &PushTask::subject)
                                .field("body", &PushTask::body)
                                .field("raw", &PushTask::raw)
                                .field("attempts", &PushTask::attempts);
  return codec;
}

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t read_upload(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t len = std::min(size * n, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, len);
  up->offset += len;
  return len;
}

// Runs a prepared transfer with the common options -> (libcurl's code, the server's last status).
std::pair<CURLcode, long> perform(CURL* curl, const char* protocols, long timeout_ms, bool tls_verify) {
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
  if (!tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return {rc, status};
}

bool is_email(std::string_view protocol) { return protocol == "email" || protocol == "email-json"; }

}  // namespace

std::string encode_push_task(const PushTask& t) { return task_codec().encode(t); }

std::shared_ptr<PushTask> decode_push_task(uint64_t id, std::string_view value) {
  auto t = task_codec().decode(value);
  if (!t) return nullptr;
  t->id = id;  // the key holds it
  return std::make_shared<PushTask>(std::move(*t));
}

Pusher::Pusher(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler, Service& sns,
               Mailbox& mailbox, PushOptions options)
    : engine_(engine), writer_(writer), scheduler_(scheduler), sns_(sns), mailbox_(mailbox), options_(std::move(options)) {}

Pusher::~Pusher() { stop(); }

Status Pusher::start() {
  std::vector<std::shared_ptr<PushTask>> loaded;
  storage::Cursor it = engine_.scan(storage::Family::kQueues);
  for (it.seek("p"); it.valid(); it.next()) {
    auto key = it.key();
    if (key.size() != 9 || key[0] != 'p') break;
    uint64_t id = storage::read_u64(key.substr(1));
    next_id_ = id + 1;
    if (auto t = decode_push_task(id, it.value())) loaded.push_back(std::move(t));
  }
  if (!loaded.empty()) spdlog::info(R"("event":"sns.push_tasks_loaded","tasks":{})", loaded.size());
  {
    std::lock_guard lock(mu_);
    for (auto& t : loaded) ready_.push_back(std::move(t));
    pending_ = ready_.size();
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] {
      name_this_thread("rn-push");
      worker();
    });
  return ok_status();
}

void Pusher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Pusher::add(storage::WriteTxn& txn, PushTask task) {
  if (is_email(task.protocol) && options_.smtp_url.empty()) {
    auto topic = sns_.find_topic(task.topic_arn);
    StoredMail m;
    m.mail.from = email_from(topic && topic->attributes.count("DisplayName") ? topic->attributes.at("DisplayName") : "");
    m.mail.to = task.endpoint;
    m.mail.subject = task.subject;
    m.mail.body = task.body;
    m.mail.message_id = task.message_id;
    m.mail.date_ms = wall_ms();
    m.topic_arn = task.topic_arn;
    m.subscription_arn = task.subscription_arn;
    mailbox_.add(txn, std::move(m));
    delivered_++;
    return;
  }
  auto t = std::make_shared<PushTask>(std::move(task));
  t->id = next_id_++;
  txn.put(storage::Family::kQueues, task_key(t->id), encode_push_task(*t));
  pending_++;
  txn.on_commit([this, t](bool ok) {
    if (ok) ready(t);
    else pending_--;
  });
}

void Pusher::ready(std::shared_ptr<PushTask> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    ready_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void Pusher::worker() {
  CURL* curl = curl_easy_init();
  for (;;) {
    std::shared_ptr<PushTask> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (stopping_) break;
      task = std::move(ready_.front());
      ready_.pop_front();
    }
    // A subscription deleted meanwhile gets nothing more; a confirmation goes to a pending one.
    auto sub = sns_.find_subscription(task->subscription_arn);
    if (!sub || (task->type == "Notification" && !sub->confirmed)) {
      settle(task, {Outcome::kDelivered, "", "subscription no longer exists"});
      continue;
    }
    if (int64_t wait_ms = throttle_wait_ms(*task); wait_ms > 0) {
      // The subscription's throttlePolicy.maxReceivesPerSecond: hand the task back when its slot comes.
      scheduler_.after_ms(wait_ms, [this, task] { ready(task); });
      continue;
    }
    settle(task, attempt(curl, *task));
  }
  curl_easy_cleanup(curl);
}

HttpDeliveryPolicy Pusher::http_policy(const PushTask& task) const {
  auto policy_of = [](const auto& owner) {
    if (!owner) return std::string();
    auto it = owner->attributes.find("DeliveryPolicy");
    return it == owner->attributes.end() ? std::string() : it->second;
  };
  return effective_http_policy(policy_of(sns_.find_topic(task.topic_arn)), policy_of(sns_.find_subscription(task.subscription_arn)));
}

int64_t Pusher::throttle_wait_ms(const PushTask& task) {
  if (is_email(task.protocol) || task.type != "Notification") return 0;
  int rate = http_policy(task).max_receives_per_second;
  if (rate <= 0) return 0;
  // Evenly spaced slots, 1/rate seconds apart, per subscription.
  int64_t now = wall_ms();
  int64_t spacing = std::max<int64_t>(1, 1000 / rate);
  std::lock_guard lock(mu_);
  int64_t& next = next_slot_ms_[task.subscription_arn];
  if (next <= now) {
    next = now + spacing;
    return 0;
  }
  return next - now;
}

Pusher::Attempt Pusher::attempt(void* curl, const PushTask& task) {
  curl_easy_reset(static_cast<CURL*>(curl));
  return is_email(task.protocol) ? send_smtp(curl, task) : post_http(curl, task);
}

Pusher::Attempt Pusher::post_http(void* handle, const PushTask& task) {
  CURL* curl = static_cast<CURL*>(handle);
  HttpDeliveryPolicy policy = http_policy(task);
  // The headers AWS sends with every HTTP/S delivery.
  // https://docs.aws.amazon.com/sns/latest/dg/http-header.html
  curl_slist* headers = nullptr;
  auto header = [&](const std::string& h) { headers = curl_slist_append(headers, h.c_str()); };
  header("x-amz-sns-message-type: " + task.type);
  header("x-amz-sns-message-id: " + task.message_id);
  header("x-amz-sns-topic-arn: " + task.topic_arn);
  if (task.type == "Notification") header("x-amz-sns-subscription-arn: " + task.subscription_arn);
  if (task.raw) header("x-amz-sns-rawdelivery: true");
  header("Content-Type: " + policy.content_type);
  header("Expect:");  // no 100-continue round trip
  curl_easy_setopt(curl, CURLOPT_URL, task.endpoint.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "Amazon Simple Notification Service Agent");
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, task.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(task.body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  auto [rc, status] = perform(curl, "http,https", options_.http_timeout_ms, options_.tls_verify);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return {Outcome::kRetry, "EndpointUnavailable", curl_easy_strerror(rc)};
  if (status >= 200 && status < 300) return {Outcome::kDelivered, "", ""};
  std::string message = fmt::format("the endpoint answered HTTP {}", status);
  if (status >= 400 && status < 500) return {Outcome::kClientError, "EndpointClientError", message};
  return {Outcome::kRetry, "EndpointServerError", message};
}

Pusher::Attempt Pusher::send_smtp(void* handle, const PushTask& task) {
  CURL* curl = static_cast<CURL*>(handle);
  auto topic = sns_.find_topic(task.topic_arn);
  Email mail;
  mail.from = email_from(topic && topic->attributes.count("DisplayName") ? topic->attributes.at("DisplayName") : "", options_.smtp_from);
  mail.to = task.endpoint;
  mail.subject = task.subject;
  mail.body = task.body;
  mail.message_id = task.message_id;
  mail.date_ms = wall_ms();
  std::string text = rfc5322(mail);
  Upload upload{text, 0};
  std::string from = "<" + options_.smtp_from + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + task.endpoint + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_URL, options_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  if (options_.smtp_starttls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  auto [rc, status] = perform(curl, "smtp,smtps", 60000, options_.tls_verify);
  curl_slist_free_all(rcpt);
  if (rc == CURLE_OK) return {Outcome::kDelivered, "", ""};
  std::string message = fmt::format("{} (SMTP {})", curl_easy_strerror(rc), status);
  // A permanent SMTP rejection (5xx, e.g. an unknown mailbox) is the endpoint's error; the rest
  // (a server down, 4xx greylisting) is tried again.
  if (status >= 500 && status < 600) return {Outcome::kClientError, "EndpointClientError", message};
  return {Outcome::kRetry, "EndpointUnavailable", message};
}

void Pusher::settle(std::shared_ptr<PushTask> task, Attempt result) {
  task->attempts++;
  std::optional<int64_t> delay;
  if (result.outcome == Outcome::kRetry) {
    RetryPolicy policy = is_email(task->protocol) ? email_retry_policy() : http_policy(*task).retry;
    delay = policy.delay_before_retry_ms(task->attempts);
  }
  if (result.outcome != Outcome::kDelivered)
    spdlog::warn(R"("event":"sns.push_failed","subscription":"{}","message_id":"{}","attempt":{},"error":{},"retry_in_ms":{})",
                 task->subscription_arn, task->message_id, task->attempts, json_quote(result.error_message), delay.value_or(-1));
  auto dead_lettered = std::make_shared<bool>(false);
  writer_.submit(
      [this, task, result, delay, dead_lettered](storage::WriteTxn& txn) {
        if (delay) {
          txn.put(storage::Family::kQueues, task_key(task->id), encode_push_task(*task));
          return true;
        }
        txn.del(storage::Family::kQueues, task_key(task->id));
        if (result.outcome != Outcome::kDelivered)
          *dead_lettered = sns_.dead_letter(txn, task->subscription_arn, task->body, task->message_id,
                                            result.error_code, result.error_message);
        return true;
      },
      [this, task, result, delay, dead_lettered](bool committed) {
        if (committed && delay) {
          scheduler_.after_ms(*delay, [this, task] { ready(task); });  // ready() drops it once stopping
          return;
        }
        pending_--;
        if (!committed) return;  // the task stays stored and is tried again after a restart
        if (result.outcome == Outcome::kDelivered) {
          delivered_++;
        } else {
          failed_++;
          spdlog::warn(R"("event":"sns.push_gave_up","subscription":"{}","message_id":"{}","attempts":{},"dead_lettered":{})",
                       task->subscription_arn, task->message_id, task->attempts, *dead_lettered);
        }
      });
}

}  // namespace runnel::sns
