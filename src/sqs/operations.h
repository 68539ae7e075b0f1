// Every SQS operation handler, one signature for all (JSON-protocol shapes; the Query codec
// converts). Registered in queue_ops.cc.
#pragma once

#include <rapidjson/document.h>

#include "protocol/aws_json.h"
#include "sqs/service.h"

namespace runnel::sqs {

#define RUNNEL_SQS_OP(name) \
  void name(Service& svc, const protocol::RequestContext& ctx, const rapidjson::Document& body, protocol::JsonReply reply)

// Resolves QueueUrl (body, or the request path) to `var`, or answers the error.
#define RUNNEL_SQS_QUEUE(var)                       \
  auto var##_found = svc.resolve(ctx, body);        \
  if (!var##_found.ok()) return reply(var##_found.error()); \
  auto var = std::move(var##_found).value()

RUNNEL_SQS_OP(create_queue);
RUNNEL_SQS_OP(get_queue_url);
RUNNEL_SQS_OP(list_queues);
RUNNEL_SQS_OP(delete_queue);
RUNNEL_SQS_OP(purge_queue);
RUNNEL_SQS_OP(get_queue_attributes);
RUNNEL_SQS_OP(set_queue_attributes);
RUNNEL_SQS_OP(tag_queue);
RUNNEL_SQS_OP(untag_queue);
RUNNEL_SQS_OP(list_queue_tags);
RUNNEL_SQS_OP(list_dead_letter_source_queues);
RUNNEL_SQS_OP(add_permission);
RUNNEL_SQS_OP(remove_permission);
RUNNEL_SQS_OP(send_message);
RUNNEL_SQS_OP(send_message_batch);
RUNNEL_SQS_OP(receive_message);
RUNNEL_SQS_OP(delete_message);
RUNNEL_SQS_OP(delete_message_batch);
RUNNEL_SQS_OP(change_message_visibility);
RUNNEL_SQS_OP(change_message_visibility_batch);
RUNNEL_SQS_OP(start_message_move_task);
RUNNEL_SQS_OP(list_message_move_tasks);
RUNNEL_SQS_OP(cancel_message_move_task);

}  // namespace runnel::sqs
