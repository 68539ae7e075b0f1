// Pieces shared by every single-item write (PutItem, UpdateItem, DeleteItem and their
// TransactWriteItems forms): condition decoding (expression or legacy Expected), the
// ConditionalCheckFailed error with ReturnValuesOnConditionCheckFailure, and key-change checks.
#pragma once

#include <optional>

#include "dynamodb/request_util.h"

namespace runnel::dynamodb {

// ConditionExpression, or the legacy Expected + ConditionalOperator; nullopt when neither is given.
Result<std::optional<expr::Condition>> decode_write_condition(const JsonValue& obj, Placeholders& p);

// True when the (possibly missing) item satisfies the condition.
Result<bool> condition_holds(const std::optional<expr::Condition>& c, const std::optional<AttributeMap>& item);

// ConditionalCheckFailedException, carrying the old item when the caller asked for ALL_OLD.
ApiError condition_failed(bool return_old_on_failure, const std::optional<AttributeMap>& item);

// "ReturnValuesOnConditionCheckFailure": ALL_OLD -> true.
Result<bool> return_old_on_condition_failure(const JsonValue& obj);

// ReturnValues, ReturnValuesOnConditionCheckFailure and ReturnConsumedCapacity of a single-item write.
struct WriteOptions {
  std::string return_values;  // NONE | ALL_OLD | UPDATED_OLD | ALL_NEW | UPDATED_NEW
  bool old_on_failure = false;
  CapacityMode capacity = CapacityMode::kNone;
};
// only_all_old: PutItem and DeleteItem accept only NONE and ALL_OLD.
Result<WriteOptions> decode_write_options(const JsonValue& obj, bool only_all_old);

// UpdateItem may not touch key attributes.
Status check_update_spares_keys(const TableInfo& t, const expr::Update& u);

// The item an UpdateItem produces from `old` (or from the key alone when there is none).
Result<AttributeMap> updated_item(const TableInfo& t, const AttributeMap& key, const std::optional<AttributeMap>& old,
                                  const expr::Update& u);

}  // namespace runnel::dynamodb
