// Invoke, and the durable queue of asynchronous invocations.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "auth/policy.h"
#include "common/json_parse.h"
#include "common/base64.h"
#include "common/clock.h"
#include "common/log.h"
#include "lambda/service.h"
#include "ports/dead_letter.h"
#include "protocol/query_codec.h"
#include "storage/record_codec.h"

namespace runnel::lambda {

namespace {

constexpr size_t kMaxSyncPayload = 6 * 1024 * 1024;  // 6,291,456 bytes
constexpr size_t kMaxAsyncPayload = 1024 * 1024;     // 1 MB since 2025 (256 KB before)
constexpr std::string_view kAsyncPrefix = "lambda/a/";

std::string async_key(uint64_t id) { return fmt::format("{}{:020d}", kAsyncPrefix, id); }

}  // namespace

struct Service::AsyncTask {
  uint64_t id = 0;
  std::string function_arn;
  std::string request_id;
  std::string payload;
  int attempts = 0;          // attempts that have failed so far
  int64_t enqueued_ms = 0;

  // The stored form (its id is the key's).
  static const storage::RecordCodec<AsyncTask>& codec();
  std::string encode() const { return codec().encode(*this); }
};

const storage::RecordCodec<Service::AsyncTask>& Service::AsyncTask::codec() {
  static const auto codec = storage::RecordCodec<AsyncTask>()
                                .field("arn", &AsyncTask::function_arn)
                                .field("request_id", &AsyncTask::request_id)
                                .field("payload", &AsyncTask::payload)
                                .field("attempts", &AsyncTask::attempts)
                                .field("enqueued_ms", &AsyncTask::enqueued_ms);
  return codec;
}

Status Service::deliver(storage::WriteTxn& txn, std::string_view function_arn, ports::Delivery delivery) {
  return invoke_async(txn, function_arn, std::move(delivery.body));
}

Status Service::invoke_async(storage::WriteTxn& txn, std::string_view function_arn, std::string payload,
                             std::string request_id) {
  if (!find_arn(function_arn)) return not_found("Function not found: " + std::string(function_arn));
  auto task = std::make_shared<AsyncTask>();
  task->id = next_async_id_++;
  task->function_arn = std::string(function_arn);
  if (task->function_arn.ends_with(":$LATEST")) task->function_arn.resize(task->function_arn.size() - 8);
  task->request_id = std::move(request_id);
  task->payload = std::move(payload);
  task->enqueued_ms = wall_ms();
  txn.put(storage::Family::kQueues, async_key(task->id), task->encode());
  ++async_pending_;
  txn.on_commit([this, task](bool ok) {
    if (ok) run_async(task);
  });
  return ok_status();
}

Status Service::load_async() {
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kQueues, kAsyncPrefix); it.valid(); it.next()) {
    std::string_view key = it.key();
    auto stored = AsyncTask::codec().decode(it.value());
    if (!stored || stored->function_arn.empty())
      return ApiError::internal("corrupt stored Lambda invocation " + std::string(key));
    auto task = std::make_shared<AsyncTask>(std::move(*stored));
    task->id = std::stoull(std::string(key.substr(kAsyncPrefix.size())));
    next_async_id_ = std::max<uint64_t>(next_async_id_.load(), task->id + 1);
    std::lock_guard lock(resumed_mu_);
    resumed_.push_back(std::move(task));
  }
  async_pending_ = resumed_.size();
  if (!resumed_.empty())
    spdlog::info(R"("event":"lambda.async_resumed","invocations":{})", resumed_.size());
  return ok_status();
}

void Service::run_async(std::shared_ptr<AsyncTask> task) {
  if (stopping_) return;
  if (!serving_.load(std::memory_order_acquire)) {
    std::lock_guard lock(resumed_mu_);
    if (!serving_.load(std::memory_order_acquire)) {
      resumed_.push_back(std::move(task));
      return;
    }
  }
  std::shared_ptr<const FunctionImage> image;
  {
    std::shared_lock lock(mu_);
    auto it = images_.find(task->function_arn);
    if (it != images_.end()) image = it->second;
  }
  if (!image) {
    // Deleted since: nothing can run it.
    settle_async(task, InvocationResult{error_document("ResourceNotFoundException", "Function not found: " + task->function_arn),
                                        "Unhandled", {}, false});
    return;
  }
  sandboxes_->invoke(Invocation{image, task->request_id, task->payload,
                                [this, task](InvocationResult result) { settle_async(task, std::move(result)); }});
}

void Service::settle_async(std::shared_ptr<AsyncTask> task, InvocationResult result) {
  if (result.aborted || stopping_) return;  // stays stored: the next run delivers it
  const std::string key = async_key(task->id);
  if (result.throttled) {
    // Nothing ran: no attempt is spent. AWS keeps a throttled event up to its maximum age.
    auto function = find_arn(task->function_arn);
    int64_t max_age_ms = (function ? function->event_age_seconds() : 0) * 1000LL;
    if (wall_ms() - task->enqueued_ms <= max_age_ms) {
      scheduler_.after_ms(1000, [this, task] { run_async(task); });
      return;
    }
  }
  if (result.function_error.empty()) {
    writer_.submit(
        [key](storage::WriteTxn& txn) {
          txn.del(storage::Family::kQueues, key);
          return true;
        },
        [this](bool committed) {
          if (committed) --async_pending_;
        });
    return;
  }
  auto function = find_arn(task->function_arn);
  int retries = function ? function->retries() : 0;
  int64_t max_age_ms = (function ? function->event_age_seconds() : 0) * 1000LL;
  int attempts = task->attempts + 1;
  spdlog::info(R"("event":"lambda.async_failed","function":"{}","request_id":"{}","attempt":{},"error":{})",
               task->function_arn, task->request_id, attempts, json_quote(result.payload.substr(0, 512)));
  // AWS waits 1 minute before the second attempt and 2 before the third.
  int64_t delay = options_.async_retry_delay_ms * attempts;
  if (attempts <= retries && wall_ms() + delay - task->enqueued_ms <= max_age_ms) {
    auto next = std::make_shared<AsyncTask>(*task);
    next->attempts = attempts;
    writer_.submit(
        [key, value = next->encode()](storage::WriteTxn& txn) {
          txn.put(storage::Family::kQueues, key, value);
          return true;
        },
        [this, next, delay](bool committed) {
          if (committed) scheduler_.after_ms(delay, [this, next] { run_async(next); });
        });
    return;
  }
  // Spent: to the dead-letter queue (AWS's attributes: RequestID, ErrorCode, ErrorMessage), or dropped.
  std::string target = function ? function->dead_letter_target : std::string();
  std::string account = function ? function->account : std::string();
  std::string error_message = result.payload.substr(0, 1024);
  writer_.submit(
      [this, key, task, target, account, error_message](storage::WriteTxn& txn) {
        txn.del(storage::Family::kQueues, key);
        if (!target.empty()) {
          // AWS's attributes: RequestID, ErrorCode (the status code, a Number), ErrorMessage.
          ports::DeadLetter letter;
          letter.target_arn = target;
          letter.body = task->payload;
          letter.request_id = task->request_id;
          letter.error_code = "200";
          letter.error_code_type = "Number";
          letter.error_message = error_message;
          letter.sender.account = account;
          auto sent = ports::send_dead_letter(deliverer_, txn, letter);
          if (!sent.ok())
            spdlog::warn(R"("event":"lambda.dead_letter_failed","function":"{}","target":"{}","error":"{}")", task->function_arn,
                         target, sent.error().code);
        } else {
          spdlog::warn(R"("event":"lambda.async_dropped","function":"{}","request_id":"{}")", task->function_arn,
                       task->request_id);
        }
        return true;
      },
      [this](bool committed) {
        if (committed) --async_pending_;
      });
}

void Service::invoke(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string& given,
                     protocol::Reply reply) const {
  auto resolved = resolve_function_ref(given, ctx.account, ctx.region);
  if (!resolved.ok()) return reply(render_error(resolved.error()));
  const std::string& name = resolved->name;
  const std::string& owner = resolved->account;
  auto params = protocol::parse_form(request.query_string);
  if (const std::string* qualifier = protocol::find_param(params, "Qualifier"); qualifier && *qualifier != "$LATEST")
    return reply(render_error(not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}:{}", ctx.region,
                                                    owner, name, *qualifier))));
  auto function = find(owner, ctx.region, name);
  if (owner != ctx.account) {
    // Another account's function: its resource policy (AddPermission) decides, as on AWS; a
    // missing function has no policy, and its absence is not revealed.
    // https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html
    std::string arn = fmt::format("arn:aws:lambda:{}:{}:function:{}", ctx.region, owner, name);
    auto decision = auth::decide_for_account(ctx.account, owner, function ? function->policy_document() : std::string(),
                                             "lambda:InvokeFunction", arn);
    if (decision != auth::Decision::kAllow)
      return reply(render_error({"AccessDeniedException",
                                 auth::not_authorized_message(auth::account_principal_arn(ctx.account),
                                                              "lambda:InvokeFunction", arn, decision),
                                 403, true, "com.amazonaws.lambda", {}}));
  }
  if (!function)
    return reply(render_error(not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}", ctx.region,
                                                    owner, name))));
  std::string type(request.header("X-Amz-Invocation-Type"));
  if (type.empty()) type = "RequestResponse";
  if (type != "RequestResponse" && type != "Event" && type != "DryRun")
    return reply(render_error({"ValidationException",
                               "1 validation error detected: Value '" + type +
                                   "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: "
                                   "[Event, RequestResponse, DryRun]",
                               400, true, "com.amazonaws.lambda", {}}));
  std::string payload = std::move(request.body);
  const size_t limit = type == "Event" ? kMaxAsyncPayload : kMaxSyncPayload;
  if (payload.size() > limit)
    return reply(render_error(too_large(fmt::format("Request must be smaller than {} bytes for the InvokeFunction operation", limit))));
  if (payload.empty()) payload = "{}";
  rapidjson::Document check;
  if (!json::parse(check, payload))
    return reply(render_error({"InvalidRequestContentException",
                               "Could not parse request body into json: Could not parse payload into json", 400, true,
                               "com.amazonaws.lambda", {}}));
  protocol::Response r;
  r.content_type = "application/json";
  if (type == "DryRun") {
    r.status = 204;
    return reply(std::move(r));
  }
  auto self = const_cast<Service*>(this);
  if (type == "Event") {
    // The invocation runs under the request's id (a UUID, as Lambda's are): the 202's
    // x-amzn-RequestId is the id the function is handed.
    const std::string& request_id = ctx.request_id;
    writer_.run<Ok>(
        [self, arn = function->arn(), payload = std::move(payload), request_id](storage::WriteTxn& txn) mutable {
          return self->invoke_async(txn, arn, std::move(payload), request_id);
        },
        [self, reply = std::move(reply)](Status status) {
          if (!status.ok()) return reply(self->render_error(status.error()));
          protocol::Response accepted;
          accepted.status = 202;
          accepted.content_type = "application/json";
          reply(std::move(accepted));
        });
    return;
  }
  std::shared_ptr<const FunctionImage> image;
  {
    std::shared_lock lock(mu_);
    auto it = images_.find(function->arn());
    if (it != images_.end()) image = it->second;
  }
  if (!image) return reply(render_error(not_found("Function not found: " + function->arn())));
  const bool tail = request.header("X-Amz-Log-Type") == "Tail";
  sandboxes_->invoke(Invocation{
      image, ctx.request_id, std::move(payload), [self, tail, reply = std::move(reply)](InvocationResult result) {
        if (result.aborted)
          return reply(self->render_error({"ServiceException", "runnel is stopping", 500, false, "com.amazonaws.lambda", {}}));
        if (result.throttled) {
          // AWS: 429 with the reason in the body (ReservedConcurrentExecutions in use).
          protocol::Response r = self->render_error({"TooManyRequestsException", "Rate Exceeded.", 429, true,
                                                     "com.amazonaws.lambda", {}});
          r.body.insert(r.body.size() - 1, R"(,"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded")");
          return reply(std::move(r));
        }
        protocol::Response r;
        r.status = 200;
        r.content_type = "application/json";
        r.body = std::move(result.payload);
        r.headers.emplace_back("X-Amz-Executed-Version", "$LATEST");
        if (!result.function_error.empty()) r.headers.emplace_back("X-Amz-Function-Error", result.function_error);
        if (tail) r.headers.emplace_back("X-Amz-Log-Result", base64_encode(result.log));
        reply(std::move(r));
      }});
}

}  // namespace runnel::lambda
