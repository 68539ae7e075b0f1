// CreateLogGroup, DeleteLogGroup, DescribeLogGroups, the retention policy, and tags (both the
// ARN-based TagResource family and the older TagLogGroup family).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "logs/ops.h"
#include "protocol/json_params.h"

namespace runnel::logs {

namespace {

// The retention periods AWS accepts (the model's Days documentation).
constexpr int kRetentionDays[] = {1,   3,   5,   7,   14,  30,   60,   90,   120,  150,  180,
                                  365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

Result<std::map<std::string, std::string>> read_tags(const Body& body, const char* member, bool required) {
  std::map<std::string, std::string> tags;
  const rapidjson::Value* v = protocol::member(body, member);
  if (!v) {
    if (required) return invalid_parameter(fmt::format("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null", member));
    return tags;
  }
  if (!v->IsObject()) return ApiError::serialization(fmt::format("Unexpected type for {}: expected a map", member));
  if (v->MemberCount() < 1)
    return invalid_parameter(fmt::format("1 validation error detected: Value '{{}}' at '{}' failed to satisfy constraint: "
                                         "Member must have length greater than or equal to 1", member));
  if (v->MemberCount() > 50)
    return invalid_parameter(fmt::format("1 validation error detected: Value at '{}' failed to satisfy constraint: "
                                         "Member must have length less than or equal to 50", member));
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    if (!it->value.IsString()) return ApiError::serialization(fmt::format("Unexpected type for {} value", member));
    std::string key(it->name.GetString(), it->name.GetStringLength());
    std::string value(it->value.GetString(), it->value.GetStringLength());
    if (key.empty() || key.size() > 128)
      return invalid_parameter(fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: "
                                           "Member must have length between 1 and 128", key, member));
    if (key.starts_with("aws:")) return invalid_parameter("Tag keys starting with 'aws:' are reserved for AWS use.");
    if (value.size() > 256)
      return invalid_parameter(fmt::format("1 validation error detected: Value '{}' at '{}.{}.member.value' failed to satisfy "
                                           "constraint: Member must have length less than or equal to 256", value, member, key));
    tags[std::move(key)] = std::move(value);
  }
  return tags;
}

Result<std::vector<std::string>> read_tag_keys(const Body& body, const char* member) {
  const rapidjson::Value* v = protocol::member(body, member);
  if (!v) return invalid_parameter(fmt::format("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null", member));
  if (!v->IsArray()) return ApiError::serialization(fmt::format("Unexpected type for {}: expected a list", member));
  if (v->Size() < 1 || v->Size() > 50)
    return invalid_parameter(fmt::format("1 validation error detected: Value at '{}' failed to satisfy constraint: "
                                         "Member must have length between 1 and 50", member));
  std::vector<std::string> keys;
  for (const auto& k : v->GetArray()) {
    if (!k.IsString()) return ApiError::serialization(fmt::format("Unexpected type in {}", member));
    keys.emplace_back(k.GetString(), k.GetStringLength());
  }
  return keys;
}

ApiError too_many_tags() {
  // [unverified wording]
  return {"TooManyTagsException", "A resource can have no more than 50 tags.", 400, true, "", {}};
}

// Applies `change` to the named group in a writer step, answering "{}" (or ResourceNotFound).
void update_group(Service& svc, std::string account, std::string region, std::string name,
                  std::function<Status(LogGroup&)> change, Reply reply) {
  svc.writer().run<bool>(
      [account = std::move(account), region = std::move(region), name = std::move(name),
       change = std::move(change)](storage::WriteTxn& txn) -> Result<bool> {
        std::string key = group_key(account, region, name);
        auto stored = txn.get(storage::Family::kMeta, key);
        std::optional<LogGroup> g = stored ? decode_group(*stored) : std::nullopt;
        if (!g) return group_not_found();
        if (auto s = change(*g); !s.ok()) return s.error();
        txn.put(storage::Family::kMeta, key, encode_group(*g));
        return true;
      },
      [reply = std::move(reply)](Result<bool> r) {
        if (!r.ok()) return reply(r.error());
        reply(std::string("{}"));
      });
}

Status merge_tags(LogGroup& g, const std::map<std::string, std::string>& tags) {
  auto merged = g.tags;
  for (const auto& [k, v] : tags) merged[k] = v;
  if (merged.size() > 50) return too_many_tags();
  g.tags = std::move(merged);
  return ok_status();
}

// The group a tagging ARN names: arn:aws:logs:<region>:<account>:log-group:<name>[:*].
struct ArnGroup {
  std::string account, region, name;
};
Result<ArnGroup> group_of_arn(const Ctx& ctx, std::string_view arn) {
  std::string_view rest = arn;
  std::string_view parts[6];
  for (auto& part : parts) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return invalid_parameter(fmt::format("Invalid resource ARN: {}", arn));
    part = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || rest.empty())
    return invalid_parameter(fmt::format("Invalid resource ARN: {}", arn));
  if (rest.ends_with(":*")) rest.remove_suffix(2);
  // Another account's group is not reached.
  if (parts[4] != ctx.account) return group_not_found();
  return ArnGroup{std::string(parts[4]), std::string(parts[3]), std::string(rest)};
}

void reply_tags(const LogGroup& g, Reply& reply) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string_map(w, "tags", g.tags);
  w.EndObject();
  reply(finish_json(sb));
}

}  // namespace

void create_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  // Names starting with "aws/" are AWS's own (the "/aws/lambda/…" groups start with a slash).
  std::string lower = name->substr(0, 4);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "aws/") return reply(invalid_parameter("Log groups starting with AWS/ are reserved for AWS."));
  auto tags = read_tags(body, "tags", false);
  if (!tags.ok()) return reply(tags.error());
  auto klass = protocol::enum_param(body, "logGroupClass", "logGroupClass", {"STANDARD", "INFREQUENT_ACCESS", "DELIVERY"},
                                    "STANDARD");
  if (!klass.ok()) {
    ApiError e = klass.error();
    e.code = "InvalidParameterException";
    e.json_namespace.clear();
    return reply(e);
  }
  LogGroup g;
  g.account = ctx.account;
  g.region = ctx.region;
  g.name = std::move(name).value();
  g.creation_time = wall_ms();
  g.log_group_class = std::move(klass).value();
  g.tags = std::move(tags).value();
  svc.writer().run<bool>(
      [g = std::move(g)](storage::WriteTxn& txn) mutable -> Result<bool> {
        std::string key = group_key(g.account, g.region, g.name);
        if (txn.get(storage::Family::kMeta, key))
          return ApiError{"ResourceAlreadyExistsException", "The specified log group already exists", 400, true, "", {}};
        g.id = allocate_id(txn);
        txn.put(storage::Family::kMeta, key, encode_group(g));
        return true;
      },
      [reply = std::move(reply)](Result<bool> r) {
        if (!r.ok()) return reply(r.error());
        reply(std::string("{}"));
      });
}

void delete_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  storage::Engine* engine = &svc.engine();
  svc.writer().run<bool>(
      [engine, key = group_key(ctx.account, ctx.region, *name)](storage::WriteTxn& txn) -> Result<bool> {
        auto stored = txn.get(storage::Family::kMeta, key);
        std::optional<LogGroup> g = stored ? decode_group(*stored) : std::nullopt;
        if (!g) return group_not_found();
        txn.del(storage::Family::kMeta, key);
        std::vector<std::string> streams;
        std::vector<uint64_t> stream_ids;
        txn.scan_prefix(storage::Family::kMeta, stream_prefix(g->id), [&](std::string_view k, std::string_view v) {
          streams.emplace_back(k);
          if (auto s = decode_stream(v)) stream_ids.push_back(s->id);
        });
        for (const auto& k : streams) txn.del(storage::Family::kMeta, k);
        // The events are unreachable once this commits (their ids are never reused): they go
        // after it, by range (storage::Engine::delete_range).
        txn.on_commit([engine, group_id = g->id, stream_ids](bool ok) {
          if (!ok) return;
          std::string lo = event_group_prefix(group_id), hi = event_group_prefix(group_id + 1);
          (void)engine->delete_range(storage::Family::kLogs, lo, hi);
          for (uint64_t id : stream_ids) {
            (void)engine->delete_range(storage::Family::kLogs, index_stream_prefix(id), index_stream_prefix(id + 1));
          }
        });
        return true;
      },
      [reply = std::move(reply)](Result<bool> r) {
        if (!r.ok()) return reply(r.error());
        reply(std::string("{}"));
      });
}

void describe_log_groups(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto prefix = optional_group_name(body, "logGroupNamePrefix");
  if (!prefix.ok()) return reply(prefix.error());
  auto pattern = protocol::optional_string(body, "logGroupNamePattern");
  if (!pattern.ok()) return reply(pattern.error());
  if (*prefix && *pattern)
    return reply(invalid_parameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."));
  auto limit = optional_integer(body, "limit", 1, 50);
  if (!limit.ok()) return reply(limit.error());
  auto token = protocol::optional_string(body, "nextToken");
  if (!token.ok()) return reply(token.error());
  auto klass = protocol::optional_string(body, "logGroupClass");
  if (!klass.ok()) return reply(klass.error());

  // The token is the last name returned, base64 (opaque to clients).
  std::string after;
  if (*token) {
    auto decoded = base64_decode(**token);
    if (!decoded || !decoded->starts_with("g/")) return reply(invalid_parameter("The specified nextToken is invalid."));
    after = decoded->substr(2);
  }
  const std::string base = group_prefix(ctx.account, ctx.region);
  const size_t max = static_cast<size_t>(limit->value_or(50));
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("logGroups");
  w.StartArray();
  size_t count = 0;
  std::string last;
  bool more = false;
  auto it = svc.engine().scan_prefix(storage::Family::kMeta, base + (*prefix ? **prefix : std::string()));
  if (!after.empty()) it.seek(base + after + std::string(1, '\0'));
  for (; it.valid(); it.next()) {
    auto g = decode_group(it.value());
    if (!g) continue;
    if (*pattern && g->name.find(**pattern) == std::string::npos) continue;
    if (*klass && g->log_group_class != **klass) continue;
    if (count == max) {
      more = true;
      break;
    }
    uint64_t stored_bytes = 0;
    for (const auto& stream : svc.streams_of(g->id)) stored_bytes += stream.stored_bytes;
    w.StartObject();
    key_string(w, "logGroupName", g->name);
    w.Key("creationTime");
    w.Int64(g->creation_time);
    if (g->retention_days) {
      w.Key("retentionInDays");
      w.Int(*g->retention_days);
    }
    w.Key("metricFilterCount");
    w.Int(0);
    key_string(w, "arn", g->arn());
    w.Key("storedBytes");
    w.Uint64(stored_bytes);
    key_string(w, "logGroupClass", g->log_group_class);
    key_string(w, "logGroupArn", g->arn_without_star());
    w.EndObject();
    ++count;
    last = g->name;
  }
  w.EndArray();
  if (more) key_string(w, "nextToken", base64_encode("g/" + last));
  w.EndObject();
  reply(finish_json(sb));
}

void put_retention_policy(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  const rapidjson::Value* days = protocol::member(body, "retentionInDays");
  if (!days) return reply(invalid_parameter("1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null"));
  if (!days->IsInt()) return reply(ApiError::serialization("Unexpected type for retentionInDays: expected an integer"));
  int n = days->GetInt();
  if (std::find(std::begin(kRetentionDays), std::end(kRetentionDays), n) == std::end(kRetentionDays)) {
    return reply(invalid_parameter(fmt::format(
        "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum "
        "value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
        n)));
  }
  update_group(svc, ctx.account, ctx.region, std::move(name).value(), [n](LogGroup& g) {
    g.retention_days = n;
    return ok_status();
  }, std::move(reply));
}

void delete_retention_policy(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  update_group(svc, ctx.account, ctx.region, std::move(name).value(), [](LogGroup& g) {
    g.retention_days.reset();
    return ok_status();
  }, std::move(reply));
}

void tag_resource(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto arn = required_member(body, "resourceArn");
  if (!arn.ok()) return reply(arn.error());
  auto target = group_of_arn(ctx, *arn);
  if (!target.ok()) return reply(target.error());
  auto tags = read_tags(body, "tags", true);
  if (!tags.ok()) return reply(tags.error());
  update_group(svc, target->account, target->region, target->name,
               [tags = std::move(tags).value()](LogGroup& g) { return merge_tags(g, tags); }, std::move(reply));
}

void untag_resource(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto arn = required_member(body, "resourceArn");
  if (!arn.ok()) return reply(arn.error());
  auto target = group_of_arn(ctx, *arn);
  if (!target.ok()) return reply(target.error());
  auto keys = read_tag_keys(body, "tagKeys");
  if (!keys.ok()) return reply(keys.error());
  update_group(svc, target->account, target->region, target->name, [keys = std::move(keys).value()](LogGroup& g) {
    for (const auto& k : keys) g.tags.erase(k);
    return ok_status();
  }, std::move(reply));
}

void list_tags_for_resource(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto arn = required_member(body, "resourceArn");
  if (!arn.ok()) return reply(arn.error());
  auto target = group_of_arn(ctx, *arn);
  if (!target.ok()) return reply(target.error());
  auto g = svc.find_group(target->account, target->region, target->name);
  if (!g) return reply(group_not_found());
  reply_tags(*g, reply);
}

void tag_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  auto tags = read_tags(body, "tags", true);
  if (!tags.ok()) return reply(tags.error());
  update_group(svc, ctx.account, ctx.region, std::move(name).value(),
               [tags = std::move(tags).value()](LogGroup& g) { return merge_tags(g, tags); }, std::move(reply));
}

void untag_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  auto keys = read_tag_keys(body, "tags");
  if (!keys.ok()) return reply(keys.error());
  update_group(svc, ctx.account, ctx.region, std::move(name).value(), [keys = std::move(keys).value()](LogGroup& g) {
    for (const auto& k : keys) g.tags.erase(k);
    return ok_status();
  }, std::move(reply));
}

void list_tags_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_group_name(body);
  if (!name.ok()) return reply(name.error());
  auto g = svc.find_group(ctx.account, ctx.region, *name);
  if (!g) return reply(group_not_found());
  reply_tags(*g, reply);
}

}  // namespace runnel::logs
