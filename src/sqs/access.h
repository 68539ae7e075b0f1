// SQS's cross-account rule, in one place: Service::resolve (every operation that names a queue
// by URL) and GetQueueUrl (QueueOwnerAWSAccountId) call authorize(); SNS asks
// allows_service_send() before it delivers to another account's queue.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "protocol/message.h"
#include "sqs/queue.h"

namespace runnel::sqs {

// "sqs:SendMessage" for SendMessage and SendMessageBatch.
std::string iam_action(std::string_view operation);

// 403 AccessDenied "Access to the resource https://sqs.<region>.amazonaws.com/ is denied."
ApiError access_denied(std::string_view region);

// A queue of the caller's account is its own; a queue of `queue_account` (another one; `q` null
// when it has no such queue) only when the queue's Policy allows the caller `action`.
Status authorize(const protocol::RequestContext& ctx, std::string_view queue_account, const Queue* q,
                 std::string_view action);

// Whether q's Policy lets `service_principal` ("sns.amazonaws.com") send to it for the resource
// `source_arn` of `source_account` (aws:SourceArn / aws:SourceAccount). A service principal is
// never the queue's owner, so this is the policy's answer alone: callers ask it only across accounts.
bool allows_service_send(const Queue& q, std::string_view service_principal, std::string_view source_arn,
                         std::string_view source_account);

}  // namespace runnel::sqs
