// Shared request decoding for DynamoDB operations: typed field access with DynamoDB's own
// validation messages ("1 validation error detected: Value null at 'tableName' failed to satisfy
// constraint: Member must not be null"), table resolution, expression placeholders, and the
// response pieces several operations share (ConsumedCapacity).
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/attribute_value.h"
#include "common/result.h"
#include "dynamodb/service.h"
#include "expr/expr.h"
#include "protocol/json_params.h"
#include "protocol/message.h"

namespace runnel::dynamodb {

using JsonValue = rapidjson::Value;

// Typed members with AWS's validation messages (protocol/json_params.h, shared with Streams).
using protocol::constraint_error;
using protocol::enum_param;
using protocol::member;
using protocol::optional_bool;
using protocol::optional_string;
using protocol::required_string;
using protocol::validate_name;

// Resolves the TableName parameter (a name or a table ARN) to a table of the caller's account and
// region. Missing table: ResourceNotFoundException "Requested resource not found". A table ARN of
// another account is refused by authorize() first, for `action` (empty: "dynamodb:" + the
// request's operation; transactions name their items' actions).
Result<std::shared_ptr<const TableInfo>> resolve_table(Env& env, const protocol::RequestContext& ctx,
                                                       const JsonValue& obj, std::string_view wire_path = "tableName",
                                                       std::string_view action = {});

// The cross-account rule of DynamoDB and its Streams, in one place: a table or stream of another
// account than the caller's is AccessDeniedException unless `policy` (the resource's policy; runnel
// has no PutResourcePolicy yet, so always empty) allows the caller. `action` is the IAM action
// ("dynamodb:GetItem"). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html
Status authorize(const protocol::RequestContext& ctx, std::string_view resource_arn, std::string_view resource_account,
                 std::string_view action, std::string_view policy = {});

// ExpressionAttributeNames/Values of a request, decoded once, shared by every expression it holds.
struct Placeholders {
  std::map<std::string, std::string> names;
  AttributeMap values;
  bool has_names = false;
  bool has_values = false;
  std::unique_ptr<expr::Substitutions> subs;
};
Result<std::unique_ptr<Placeholders>> decode_placeholders(const JsonValue& obj);

// The ConsumedCapacity object (ReturnConsumedCapacity TOTAL or INDEXES).
enum class CapacityMode { kNone, kTotal, kIndexes };
Result<CapacityMode> capacity_mode(const JsonValue& obj);
struct IndexUnits {
  const IndexInfo* index;
  double units;
};
void write_consumed_capacity(rapidjson::Writer<rapidjson::StringBuffer>& w, CapacityMode mode, const TableInfo& t,
                             double table_units, const std::vector<IndexUnits>& indexes = {});
// The bare capacity object, as batch operations list it.
void write_capacity_object(rapidjson::Writer<rapidjson::StringBuffer>& w, CapacityMode mode, const TableInfo& t,
                           double table_units, const std::vector<IndexUnits>& indexes = {});
// What a write costs each index whose entry it adds, changes or removes.
std::vector<IndexUnits> index_write_units(const TableInfo& t, const AttributeMap* old_item, const AttributeMap* new_item);
double write_units(size_t item_bytes);  // ceil(size / 1 KB), at least 1
double read_units(size_t item_bytes, bool consistent);  // ceil(size / 4 KB), halved when eventual

// Rendering helpers.
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
inline std::string finish(rapidjson::StringBuffer& sb) { return std::string(sb.GetString(), sb.GetSize()); }

}  // namespace runnel::dynamodb
