#include "dynamodb/request_util.h"

#include <cmath>

#include <fmt/format.h>

#include "auth/policy.h"
#include "dynamodb/item_keys.h"

namespace runnel::dynamodb {

Status authorize(const protocol::RequestContext& ctx, std::string_view resource_arn, std::string_view resource_account,
                 std::string_view action, std::string_view policy) {
  return auth::authorize_coral(ctx.account, resource_arn, resource_account, action, policy);
}

Result<std::shared_ptr<const TableInfo>> resolve_table(Env& env, const protocol::RequestContext& ctx,
                                                       const JsonValue& obj, std::string_view wire_path,
                                                       std::string_view action) {
  RUNNEL_TRY(std::string name, required_string(obj, "TableName", wire_path));
  std::string account = ctx.account;
  std::string region = ctx.region;
  // New models accept a table ARN: arn:aws:dynamodb:<region>:<account>:table/<name>
  if (name.starts_with("arn:")) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      size_t colon = name.find(':', start);
      if (colon == std::string::npos) break;
      parts.push_back(name.substr(start, colon - start));
      start = colon + 1;
    }
    std::string resource = name.substr(start);
    if (parts.size() != 5 || parts[2] != "dynamodb" || !resource.starts_with("table/"))
      return ApiError::validation("Invalid TableName: " + name);
    region = parts[3];
    account = parts[4];
    if (account != ctx.account) {
      // Before the lookup, so another account's table names are not revealed by the answer.
      std::string op = action.empty() ? "dynamodb:" + ctx.operation : std::string(action);
      RUNNEL_CHECK(authorize(ctx, name, account, op));
    }
    name = resource.substr(6);
  } else {
    RUNNEL_CHECK(validate_name(name, wire_path));
  }
  auto t = env.catalog.find(account, region, name);
  if (!t) return ApiError::resource_not_found("Requested resource not found");
  return t;
}

Result<std::unique_ptr<Placeholders>> decode_placeholders(const JsonValue& obj) {
  auto p = std::make_unique<Placeholders>();
  if (const JsonValue* n = member(obj, "ExpressionAttributeNames")) {
    RUNNEL_TRY(p->names, expr::decode_expression_attribute_names(*n));
    p->has_names = true;
  }
  if (const JsonValue* v = member(obj, "ExpressionAttributeValues")) {
    RUNNEL_TRY(p->values, expr::decode_expression_attribute_values(*v));
    p->has_values = true;
  }
  p->subs = std::make_unique<expr::Substitutions>(p->has_names ? &p->names : nullptr,
                                                  p->has_values ? &p->values : nullptr);
  RUNNEL_CHECK(p->subs->validate());
  return p;
}

Result<CapacityMode> capacity_mode(const JsonValue& obj) {
  RUNNEL_TRY(std::string m, enum_param(obj, "ReturnConsumedCapacity", "returnConsumedCapacity",
                                       {"INDEXES", "TOTAL", "NONE"}, "NONE"));
  if (m == "TOTAL") return CapacityMode::kTotal;
  if (m == "INDEXES") return CapacityMode::kIndexes;
  return CapacityMode::kNone;
}

double write_units(size_t item_bytes) { return std::max(1.0, std::ceil(static_cast<double>(item_bytes) / 1024.0)); }

double read_units(size_t item_bytes, bool consistent) {
  double units = std::max(1.0, std::ceil(static_cast<double>(item_bytes) / 4096.0));
  return consistent ? units : units / 2;
}

void write_consumed_capacity(Writer& w, CapacityMode mode, const TableInfo& t, double table_units,
                             const std::vector<IndexUnits>& indexes) {
  w.Key("ConsumedCapacity");
  write_capacity_object(w, mode, t, table_units, indexes);
}

namespace {
void write_units_object(Writer& w, double units) {
  w.StartObject();
  w.Key("CapacityUnits");
  w.Double(units);
  w.EndObject();
}
}  // namespace

// TOTAL: {"TableName", "CapacityUnits"}; INDEXES adds "Table" and one entry per index touched.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ConsumedCapacity.html
void write_capacity_object(Writer& w, CapacityMode mode, const TableInfo& t, double table_units,
                           const std::vector<IndexUnits>& indexes) {
  double total = table_units;
  for (const auto& i : indexes) total += i.units;
  w.StartObject();
  w.Key("TableName");
  w.String(t.name.c_str());
  w.Key("CapacityUnits");
  w.Double(total);
  if (mode == CapacityMode::kIndexes) {
    w.Key("Table");
    write_units_object(w, table_units);
    for (bool global : {true, false}) {
      bool any = false;
      for (const auto& i : indexes) any |= i.index->global == global;
      if (!any) continue;
      w.Key(global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
      w.StartObject();
      for (const auto& i : indexes) {
        if (i.index->global != global) continue;
        w.Key(i.index->name.c_str());
        write_units_object(w, i.units);
      }
      w.EndObject();
    }
  }
  w.EndObject();
}

std::vector<IndexUnits> index_write_units(const TableInfo& t, const AttributeMap* old_item, const AttributeMap* new_item) {
  // An index is charged when the write adds, changes or removes its entry, by the projected size.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
  std::vector<IndexUnits> out;
  for (const auto* list : {&t.global_indexes, &t.local_indexes}) {
    for (const auto& index : *list) {
      bool had = old_item && !index_entry_key(t, index, *old_item).empty();
      bool has = new_item && !index_entry_key(t, index, *new_item).empty();
      if (!had && !has) continue;
      size_t bytes = 0;
      if (has) bytes = std::max(bytes, item_size(project_for_index(t, index, *new_item)));
      if (had) bytes = std::max(bytes, item_size(project_for_index(t, index, *old_item)));
      out.push_back({&index, write_units(bytes)});
    }
  }
  return out;
}

}  // namespace runnel::dynamodb
