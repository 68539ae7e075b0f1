#include "dynamodb/write_common.h"

#include "dynamodb/item_keys.h"

namespace runnel::dynamodb {

Result<std::optional<expr::Condition>> decode_write_condition(const JsonValue& obj, Placeholders& p) {
  RUNNEL_TRY(auto text, optional_string(obj, "ConditionExpression"));
  if (text) {
    RUNNEL_TRY(expr::Condition c, expr::parse_condition(*text, *p.subs, "ConditionExpression"));
    return std::optional<expr::Condition>(std::move(c));
  }
  if (const JsonValue* expected = member(obj, "Expected")) {
    RUNNEL_TRY(expr::Condition c, expr::condition_from_expected(*expected, member(obj, "ConditionalOperator")));
    return std::optional<expr::Condition>(std::move(c));
  }
  return std::optional<expr::Condition>();
}

Result<bool> condition_holds(const std::optional<expr::Condition>& c, const std::optional<AttributeMap>& item) {
  if (!c) return true;
  static const AttributeMap kEmpty;
  return expr::evaluate(*c, item ? *item : kEmpty);
}

ApiError condition_failed(bool return_old_on_failure, const std::optional<AttributeMap>& item) {
  std::string extra;
  if (return_old_on_failure && item) extra = "\"Item\":" + attribute_map_to_json(*item);
  return ApiError::conditional_check_failed(std::move(extra));
}

Result<bool> return_old_on_condition_failure(const JsonValue& obj) {
  RUNNEL_TRY(std::string v, enum_param(obj, "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure",
                                       {"ALL_OLD", "NONE"}, "NONE"));
  return v == "ALL_OLD";
}

Result<WriteOptions> decode_write_options(const JsonValue& obj, bool only_all_old) {
  WriteOptions o;
  RUNNEL_TRY(o.return_values, enum_param(obj, "ReturnValues", "returnValues",
                                         {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}, "NONE"));
  if (only_all_old && o.return_values != "NONE" && o.return_values != "ALL_OLD")
    return ApiError::validation("ReturnValues can only be ALL_OLD or NONE");
  RUNNEL_TRY(o.old_on_failure, return_old_on_condition_failure(obj));
  RUNNEL_TRY(o.capacity, capacity_mode(obj));
  return o;
}

Status check_update_spares_keys(const TableInfo& t, const expr::Update& u) {
  for (const auto& name : expr::updated_top_level_names(u)) {
    if (name == t.keys.hash.name || (t.keys.range && name == t.keys.range->name))
      return ApiError::validation("One or more parameter values were invalid: Cannot update attribute " + name +
                                  ". This attribute is part of the key");
  }
  return ok_status();
}

Result<AttributeMap> updated_item(const TableInfo& t, const AttributeMap& key, const std::optional<AttributeMap>& old,
                                  const expr::Update& u) {
  AttributeMap item = old ? *old : key;
  RUNNEL_CHECK(expr::apply_update(u, item));
  RUNNEL_CHECK(validate_item(t, item));
  return item;
}

}  // namespace runnel::dynamodb
