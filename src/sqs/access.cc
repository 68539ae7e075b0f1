// SQS's cross-account rule: who may act on a queue of another account (its Policy attribute says),
// and who may send to it on another service's behalf (SNS topics of any account).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html
#include "sqs/access.h"

#include <fmt/format.h>

#include "auth/policy.h"
#include "sqs/service.h"

namespace runnel::sqs {

namespace {

// The queue's Policy attribute as it is now (guarded by the queue's mutex, like every attribute).
std::string policy_of(const Queue& q) {
  std::lock_guard lock(q.mu);
  auto it = q.config.raw.find("Policy");
  return it == q.config.raw.end() ? std::string() : it->second;
}

}  // namespace

std::string iam_action(std::string_view operation) {
  // The batch forms are authorized as their single forms: a queue policy allowing
  // sqs:SendMessage allows SendMessageBatch (there is no sqs:SendMessageBatch action).
  std::string_view base = operation;
  if (base.ends_with("Batch")) base.remove_suffix(5);
  return fmt::format("sqs:{}", base);
}

ApiError access_denied(std::string_view region) {
  // What SQS answers, in both protocols: 403 AccessDenied naming its endpoint, not the queue.
  return sqs_error("AccessDeniedException", "AccessDenied",
                   fmt::format("Access to the resource https://sqs.{}.amazonaws.com/ is denied.", region), 403);
}

Status authorize(const protocol::RequestContext& ctx, std::string_view queue_account, const Queue* q,
                 std::string_view action) {
  if (queue_account == ctx.account) return ok_status();
  // No queue of that name: nothing can allow it, and the answer must not tell whether it exists.
  if (!q) return access_denied(ctx.region);
  if (auth::decide_for_account(ctx.account, q->account, policy_of(*q), action, q->arn()) == auth::Decision::kAllow)
    return ok_status();
  return access_denied(ctx.region);
}

bool allows_service_send(const Queue& q, std::string_view service_principal, std::string_view source_arn,
                         std::string_view source_account) {
  std::string arn = q.arn();
  auth::PolicyRequest request;
  request.service_principal = service_principal;
  request.action = "sqs:SendMessage";
  request.resource = arn;
  request.context = {{"aws:SourceArn", std::string(source_arn)}, {"aws:SourceAccount", std::string(source_account)}};
  return auth::decide_cross_account(q.account, policy_of(q), request) == auth::Decision::kAllow;
}

Result<SendResult> Service::enqueue_for(storage::WriteTxn& txn, std::string_view queue_arn, MessageInput message,
                                       std::string_view service_principal, std::string_view source_arn,
                                       std::string_view source_account) {
  auto q = find_arn(queue_arn);
  if (!q) return queue_does_not_exist();
  // Asked before enqueue() takes the queue's mutex (allows_service_send() takes it to read Policy).
  if (q->account != source_account && !allows_service_send(*q, service_principal, source_arn, source_account))
    return access_denied(q->region);
  return enqueue(txn, queue_arn, std::move(message));
}

Status Service::deliver(storage::WriteTxn& txn, std::string_view queue_arn, ports::Delivery delivery) {
  MessageInput in;
  in.body = std::move(delivery.body);
  for (auto& [name, a] : delivery.attributes) in.attributes[name] = {std::move(a.data_type), std::move(a.value), a.binary};
  in.sender_id = delivery.sender_id.empty() ? delivery.sender.account : delivery.sender_id;
  in.group_id = std::move(delivery.group_id);
  in.dedup_id = std::move(delivery.dedup_id);
  const auto& from = delivery.sender;
  auto sent = from.service_principal.empty()
                  ? enqueue(txn, queue_arn, std::move(in))
                  : enqueue_for(txn, queue_arn, std::move(in), from.service_principal, from.source_arn, from.account);
  if (!sent.ok()) return std::move(sent).error();
  return ok_status();
}

}  // namespace runnel::sqs
