// Typed access to a JSON-protocol request's members, failing with the messages AWS's Coral front
// end gives ("1 validation error detected: Value null at 'tableName' failed to satisfy constraint:
// Member must not be null"). Shared by DynamoDB and DynamoDB Streams, which word them alike.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/result.h"

namespace runnel::protocol {

// The member, or null when absent or JSON null (AWS treats both as "not set").
const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view name);

// "1 validation error detected: Value <value_repr> at '<field_path>' failed to satisfy constraint: <constraint>"
ApiError constraint_error(std::string_view value_repr, std::string_view field_path, std::string_view constraint);

Result<std::string> required_string(const rapidjson::Value& obj, std::string_view name, std::string_view wire_path);
Result<std::optional<std::string>> optional_string(const rapidjson::Value& obj, std::string_view name);
// An enum field; `allowed` lists the model's values (printed as the service prints them).
Result<std::string> enum_param(const rapidjson::Value& obj, std::string_view name, std::string_view wire_path,
                               std::initializer_list<std::string_view> allowed, std::string_view fallback);
Result<bool> optional_bool(const rapidjson::Value& obj, std::string_view name, bool fallback);

// A DynamoDB table or index name (also a TableName Streams is asked about): 3–255 characters of
// [a-zA-Z0-9_.-]. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
Status validate_name(std::string_view name, std::string_view wire_path);

}  // namespace runnel::protocol
