// Request-level rules about which expression parameters may appear together, and the decoders
// for ExpressionAttributeNames / ExpressionAttributeValues.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LegacyConditionalParameters.html
// ("you cannot mix legacy conditional parameters and expression parameters in a single call").
#include <algorithm>
#include <string>

#include "expr/expr.h"

namespace runnel::expr {
namespace {

bool present(const rapidjson::Value& request, std::string_view name) {
  if (!request.IsObject()) return false;
  auto it = request.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it != request.MemberEnd() && !it->value.IsNull();
}

std::string join(const std::vector<std::string_view>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

}  // namespace

Status check_expression_mix(const rapidjson::Value& request,
                            const std::vector<std::string_view>& expression_params,
                            const std::vector<std::string_view>& legacy_params) {
  std::vector<std::string_view> used_expr;
  for (auto p : expression_params) {
    if (present(request, p)) used_expr.push_back(p);
  }
  if (!used_expr.empty()) {
    std::vector<std::string_view> used_legacy;
    for (auto p : legacy_params) {
      // KeyConditions beside a FilterExpression / ProjectionExpression is allowed while there is
      // no KeyConditionExpression: it is the only way to give legacy key conditions.
      if (p == "KeyConditions" && !present(request, "KeyConditionExpression")) continue;
      if (present(request, p)) used_legacy.push_back(p);
    }
    if (!used_legacy.empty()) {
      return ApiError::validation("Can not use both expression and non-expression parameters in the same request: "
                                  "Non-expression parameters: {" + join(used_legacy, ", ") +
                                  "} Expression parameters: {" + join(used_expr, ", ") + "}");
    }
  }
  if (present(request, "ExpressionAttributeNames") && used_expr.empty()) {
    return ApiError::validation("ExpressionAttributeNames can only be specified when using expressions");
  }
  std::vector<std::string_view> value_exprs;
  for (auto p : expression_params) {
    if (p != "ProjectionExpression") value_exprs.push_back(p);
  }
  if (!value_exprs.empty() && present(request, "ExpressionAttributeValues") &&
      std::none_of(value_exprs.begin(), value_exprs.end(), [&](std::string_view p) { return present(request, p); })) {
    return ApiError::validation("ExpressionAttributeValues can only be specified when using expressions: " +
                                join(value_exprs, " and ") + (value_exprs.size() > 1 ? " are" : " is") + " null");
  }
  return ok_status();
}

Result<std::map<std::string, std::string>> decode_expression_attribute_names(const rapidjson::Value& v) {
  if (!v.IsObject()) return ApiError::serialization("ExpressionAttributeNames must be a map");
  std::map<std::string, std::string> out;
  for (const auto& m : v.GetObject()) {
    if (!m.value.IsString()) return ApiError::serialization("ExpressionAttributeNames values must be strings");
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return out;
}

Result<AttributeMap> decode_expression_attribute_values(const rapidjson::Value& v) {
  if (!v.IsObject()) return ApiError::serialization("ExpressionAttributeValues must be a map");
  AttributeMap out;
  for (const auto& m : v.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    auto decoded = decode_attribute_value(m.value);
    if (!decoded.ok()) {
      ApiError e = std::move(decoded).error();
      if (e.code == "ValidationException") {
        e.message = "ExpressionAttributeValues contains invalid value: " + e.message + " for key " + key;
      }
      return e;
    }
    out.emplace(std::move(key), std::move(decoded).value());
  }
  return out;
}

}  // namespace runnel::expr
