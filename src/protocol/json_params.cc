#include "protocol/json_params.h"

#include <fmt/format.h>

namespace runnel::protocol {

using JsonValue = rapidjson::Value;

const JsonValue* member(const JsonValue& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

ApiError constraint_error(std::string_view value_repr, std::string_view field_path, std::string_view constraint) {
  return ApiError::validation(fmt::format("1 validation error detected: Value {} at '{}' failed to satisfy constraint: {}",
                                          value_repr, field_path, constraint));
}

Result<std::string> required_string(const JsonValue& obj, std::string_view name, std::string_view wire_path) {
  const JsonValue* v = member(obj, name);
  if (!v) return constraint_error("null", wire_path, "Member must not be null");
  if (!v->IsString()) return ApiError::serialization(fmt::format("Unexpected type for {}: expected a string", name));
  return std::string(v->GetString(), v->GetStringLength());
}

Result<std::optional<std::string>> optional_string(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = member(obj, name);
  if (!v) return std::optional<std::string>();
  if (!v->IsString()) return ApiError::serialization(fmt::format("Unexpected type for {}: expected a string", name));
  return std::optional<std::string>(std::string(v->GetString(), v->GetStringLength()));
}

Result<std::string> enum_param(const JsonValue& obj, std::string_view name, std::string_view wire_path,
                               std::initializer_list<std::string_view> allowed, std::string_view fallback) {
  RUNNEL_TRY(auto value, optional_string(obj, name));
  if (!value) return std::string(fallback);
  for (auto a : allowed)
    if (*value == a) return *value;
  return constraint_error(fmt::format("'{}'", *value), wire_path,
                          fmt::format("Member must satisfy enum value set: [{}]", fmt::join(allowed, ", ")));
}

Result<bool> optional_bool(const JsonValue& obj, std::string_view name, bool fallback) {
  const JsonValue* v = member(obj, name);
  if (!v) return fallback;
  if (!v->IsBool()) return ApiError::serialization(fmt::format("Unexpected type for {}: expected a boolean", name));
  return v->GetBool();
}

Status validate_name(std::string_view name, std::string_view wire_path) {
  if (name.size() < 3)
    return constraint_error(fmt::format("'{}'", name), wire_path, "Member must have length greater than or equal to 3");
  if (name.size() > 255)
    return constraint_error(fmt::format("'{}'", name), wire_path, "Member must have length less than or equal to 255");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok)
      return constraint_error(fmt::format("'{}'", name), wire_path,
                              "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  }
  return ok_status();
}

}  // namespace runnel::protocol
