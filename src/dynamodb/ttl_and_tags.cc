// UpdateTimeToLive, DescribeTimeToLive, TagResource, UntagResource, ListTagsOfResource: small
// changes to a table's definition, committed through the writer like every catalog change.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
#include <chrono>

#include <set>

#include "dynamodb/operations.h"
#include "dynamodb/request_util.h"

namespace runnel::dynamodb {

namespace {

using Modify = std::function<Status(TableInfo&)>;

// Applies `modify` to the table's current definition on the writer thread and commits it.
void modify_table(Env& env, std::shared_ptr<const TableInfo> table, Modify modify, std::string success_body,
                  protocol::JsonReply reply) {
  env.writer.run<Ok>(
      [&env, table, modify = std::move(modify)](storage::WriteTxn& txn) -> Status {
        auto current = env.catalog.find(table->account, table->region, table->name);
        if (!current || current->id != table->id) return ApiError::resource_not_found("Requested resource not found");
        auto next = std::make_shared<TableInfo>(*current);
        if (Status s = modify(*next); !s.ok()) return s;
        env.catalog.put(txn, next);
        return ok_status();
      },
      [body = std::move(success_body), reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        reply(body);
      });
}

// Tag operations name the table by ARN: arn:aws:dynamodb:<region>:<account>:table/<name>.
Result<std::shared_ptr<const TableInfo>> table_by_arn(Env& env, const protocol::RequestContext& ctx, const JsonValue& body) {
  RUNNEL_TRY(std::string arn, required_string(body, "ResourceArn", "resourceArn"));
  std::string prefix = "arn:aws:dynamodb:" + ctx.region + ":" + ctx.account + ":table/";
  if (!arn.starts_with("arn:aws:dynamodb:"))
    return ApiError::validation("Invalid TableArn: Invalid ResourceArn provided as input " + arn);
  // arn:aws:dynamodb:<region>:<account>:...: another account's resource needs its policy's leave.
  if (size_t at = arn.find(':', 17), end = at == std::string::npos ? at : arn.find(':', at + 1); end != std::string::npos) {
    std::string_view account = std::string_view(arn).substr(at + 1, end - at - 1);
    if (account != ctx.account) RUNNEL_CHECK(authorize(ctx, arn, account, "dynamodb:" + ctx.operation));
  }
  if (!arn.starts_with(prefix))
    return ApiError::resource_not_found("Requested resource not found: ResourcArn: " + arn + " not found");
  std::string name = arn.substr(prefix.size());
  auto t = env.catalog.find(ctx.account, ctx.region, name);
  if (!t) return ApiError::resource_not_found("Requested resource not found: ResourcArn: " + arn + " not found");
  return t;
}

}  // namespace

RUNNEL_DDB_OP(update_time_to_live) {
  auto table = resolve_table(env, ctx, body);
  if (!table.ok()) return reply(table.error());
  const JsonValue* spec = member(body, "TimeToLiveSpecification");
  if (!spec) return reply(constraint_error("null", "timeToLiveSpecification", "Member must not be null"));
  auto enabled = optional_bool(*spec, "Enabled", false);
  if (!enabled.ok()) return reply(enabled.error());
  if (!member(*spec, "Enabled")) return reply(constraint_error("null", "timeToLiveSpecification.enabled", "Member must not be null"));
  auto attr = required_string(*spec, "AttributeName", "timeToLiveSpecification.attributeName");
  if (!attr.ok()) return reply(attr.error());
  if (attr->empty() || attr->size() > 255)
    return reply(constraint_error("'" + *attr + "'", "timeToLiveSpecification.attributeName",
                                  attr->empty() ? "Member must have length greater than or equal to 1"
                                                : "Member must have length less than or equal to 255"));
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("TimeToLiveSpecification");
  w.StartObject();
  w.Key("Enabled");
  w.Bool(*enabled);
  w.Key("AttributeName");
  w.String(attr->c_str());
  w.EndObject();
  w.EndObject();
  modify_table(
      env, *table,
      [enabled = *enabled, attr = *attr](TableInfo& t) -> Status {
        if (enabled && t.ttl_enabled) return ApiError::validation("TimeToLive is already enabled");
        if (!enabled && !t.ttl_enabled) return ApiError::validation("TimeToLive is already disabled");
        if (!enabled && t.ttl_attribute != attr)
          return ApiError::validation("TimeToLive is active on a different AttributeName: current AttributeName is " + t.ttl_attribute);
        t.ttl_enabled = enabled;
        t.ttl_attribute = enabled ? attr : std::string();
        t.ttl_changed = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        return ok_status();
      },
      finish(sb), std::move(reply));
}

RUNNEL_DDB_OP(describe_time_to_live) {
  auto table = resolve_table(env, ctx, body);
  if (!table.ok()) return reply(table.error());
  const TableInfo& t = **table;
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("TimeToLiveDescription");
  w.StartObject();
  w.Key("TimeToLiveStatus");
  w.String(t.ttl_enabled ? "ENABLED" : "DISABLED");
  if (t.ttl_enabled) {
    w.Key("AttributeName");
    w.String(t.ttl_attribute.c_str());
  }
  w.EndObject();
  w.EndObject();
  reply(finish(sb));
}

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.html (50 tags per resource)
constexpr size_t kMaxTagsPerTable = 50;

ApiError too_many_tags() {
  return {"LimitExceededException", "The number of tags exceeds the limit of 50", 400, true,
          "com.amazonaws.dynamodb.v20120810", {}};
}

RUNNEL_DDB_OP(tag_resource) {
  auto table = table_by_arn(env, ctx, body);
  if (!table.ok()) return reply(table.error());
  const JsonValue* tags = member(body, "Tags");
  if (!tags || !tags->IsArray()) return reply(constraint_error("null", "tags", "Member must not be null"));
  std::vector<std::pair<std::string, std::string>> added;
  for (const auto& tag : tags->GetArray()) {
    auto k = required_string(tag, "Key", "tags.member.key");
    if (!k.ok()) return reply(k.error());
    auto v = required_string(tag, "Value", "tags.member.value");
    if (!v.ok()) return reply(v.error());
    added.emplace_back(*k, *v);
  }
  // Refused here, before the writer, when the request alone passes the limit: the merge below runs
  // in the writer's step, which must stay small whatever a request carries.
  std::set<std::string_view> distinct;
  for (const auto& [k, v] : added)
    if (distinct.insert(k).second && distinct.size() > kMaxTagsPerTable) return reply(too_many_tags());
  modify_table(
      env, *table,
      [added](TableInfo& t) -> Status {
        for (const auto& [k, v] : added) {
          bool replaced = false;
          for (auto& existing : t.tags)
            if (existing.first == k) {
              existing.second = v;
              replaced = true;
            }
          if (!replaced) t.tags.emplace_back(k, v);
        }
        if (t.tags.size() > kMaxTagsPerTable) return too_many_tags();
        return ok_status();
      },
      "", std::move(reply));  // TagResource has no output: DynamoDB answers with an empty body
}

RUNNEL_DDB_OP(untag_resource) {
  auto table = table_by_arn(env, ctx, body);
  if (!table.ok()) return reply(table.error());
  const JsonValue* keys = member(body, "TagKeys");
  if (!keys || !keys->IsArray()) return reply(constraint_error("null", "tagKeys", "Member must not be null"));
  std::vector<std::string> removed;
  for (const auto& k : keys->GetArray())
    if (k.IsString()) removed.emplace_back(k.GetString());
  modify_table(
      env, *table,
      [removed](TableInfo& t) -> Status {
        std::erase_if(t.tags, [&](const auto& kv) { return std::find(removed.begin(), removed.end(), kv.first) != removed.end(); });
        return ok_status();
      },
      "", std::move(reply));  // as TagResource: an empty body
}

RUNNEL_DDB_OP(list_tags_of_resource) {
  auto table = table_by_arn(env, ctx, body);
  if (!table.ok()) return reply(table.error());
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("Tags");
  w.StartArray();
  for (const auto& [k, v] : (*table)->tags) {
    w.StartObject();
    w.Key("Key");
    w.String(k.c_str());
    w.Key("Value");
    w.String(v.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  reply(finish(sb));
}

}  // namespace runnel::dynamodb
