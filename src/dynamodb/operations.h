// Every DynamoDB operation handler, one signature for all. Registered in service.cc.
#pragma once

#include <rapidjson/document.h>

#include "dynamodb/service.h"
#include "protocol/aws_json.h"

namespace runnel::dynamodb {

using OperationFn = void (*)(Env&, const protocol::RequestContext&, const rapidjson::Document&, protocol::JsonReply);

#define RUNNEL_DDB_OP(name) \
  void name(Env& env, const protocol::RequestContext& ctx, const rapidjson::Document& body, protocol::JsonReply reply)

// table_ops.cc
RUNNEL_DDB_OP(create_table);
RUNNEL_DDB_OP(describe_table);
RUNNEL_DDB_OP(list_tables);
RUNNEL_DDB_OP(update_table);
RUNNEL_DDB_OP(delete_table);
RUNNEL_DDB_OP(describe_endpoints);
RUNNEL_DDB_OP(describe_limits);
// ttl_and_tags.cc
RUNNEL_DDB_OP(update_time_to_live);
RUNNEL_DDB_OP(describe_time_to_live);
RUNNEL_DDB_OP(tag_resource);
RUNNEL_DDB_OP(untag_resource);
RUNNEL_DDB_OP(list_tags_of_resource);
// item_write_ops.cc
RUNNEL_DDB_OP(put_item);
RUNNEL_DDB_OP(update_item);
RUNNEL_DDB_OP(delete_item);
// item_read_ops.cc
RUNNEL_DDB_OP(get_item);
RUNNEL_DDB_OP(batch_get_item);
RUNNEL_DDB_OP(transact_get_items);
// batch_write.cc
RUNNEL_DDB_OP(batch_write_item);
// transact_write.cc
RUNNEL_DDB_OP(transact_write_items);
// query_scan.cc
RUNNEL_DDB_OP(query);
RUNNEL_DDB_OP(scan);

}  // namespace runnel::dynamodb
