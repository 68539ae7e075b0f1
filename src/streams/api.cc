// The DynamoDB Streams API (JSON 1.0, target prefix DynamoDBStreams_20120810): ListStreams,
// DescribeStream, GetShardIterator, GetRecords. Validation messages follow DynamoDB's own
// ("1 validation error detected: Value ... at 'limit' failed to satisfy constraint: ...").
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
#include <chrono>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_write.h"
#include "common/clock.h"
#include "auth/policy.h"
#include "protocol/json_params.h"
#include "streams/iterator.h"
#include "streams/service.h"

namespace runnel::streams {

namespace {

using protocol::constraint_error;
using protocol::member;
using JsonValue = rapidjson::Value;

constexpr size_t kMaxRecordsBytes = 1024 * 1024;  // GetRecords returns at most 1 MB

Result<int64_t> limit_param(const JsonValue& body, int64_t max, int64_t fallback) {
  const JsonValue* l = member(body, "Limit");
  if (!l) return fallback;
  if (!l->IsInt64()) return ApiError::serialization("Unexpected type for Limit: expected an integer");
  int64_t v = l->GetInt64();
  if (v < 1) return constraint_error(std::to_string(v), "limit", "Member must have value greater than or equal to 1");
  if (v > max)
    return constraint_error(std::to_string(v), "limit", fmt::format("Member must have value less than or equal to {}", max));
  return v;
}

// A string member with the model's length bounds; `required` adds the not-null check.
Result<std::optional<std::string>> bounded_string(const JsonValue& body, std::string_view name, std::string_view path,
                                                  size_t min, size_t max, bool required) {
  RUNNEL_TRY(auto value, protocol::optional_string(body, name));
  if (!value) {
    if (required) return constraint_error("null", path, "Member must not be null");
    return value;
  }
  if (value->size() < min)
    return constraint_error(fmt::format("'{}'", *value), path,
                            fmt::format("Member must have length greater than or equal to {}", min));
  if (value->size() > max)
    return constraint_error(fmt::format("'{}'", *value), path,
                            fmt::format("Member must have length less than or equal to {}", max));
  return value;
}

ApiError stream_not_found(std::string_view arn) {
  return ApiError::resource_not_found(fmt::format("Requested resource not found: Stream: {} not found", arn));
}

ApiError shard_not_found(std::string_view shard_id, std::string_view arn) {
  return ApiError::resource_not_found(
      fmt::format("Requested resource not found: Shard: {} in Stream: {} not found", shard_id, arn));
}

void write_shard(JsonWriter& w, const ShardInfo& s) {
  w.StartObject();
  key_string(w, "ShardId", s.id);
  if (!s.parent_id.empty()) key_string(w, "ParentShardId", s.parent_id);
  w.Key("SequenceNumberRange");
  w.StartObject();
  key_string(w, "StartingSequenceNumber", format_sequence_number(s.start_seq));
  if (s.end_seq) key_string(w, "EndingSequenceNumber", format_sequence_number(*s.end_seq));
  w.EndObject();
  w.EndObject();
}

void write_key_schema(JsonWriter& w, const KeySchema& keys) {
  w.Key("KeySchema");
  w.StartArray();
  auto element = [&](const std::string& name, const char* type) {
    w.StartObject();
    key_string(w, "AttributeName", name);
    key_string(w, "KeyType", type);
    w.EndObject();
  };
  element(keys.hash.name, "HASH");
  if (keys.range) element(keys.range->name, "RANGE");
  w.EndArray();
}

Result<std::string> list_streams(const Service& svc, const protocol::RequestContext& ctx, const JsonValue& body) {
  RUNNEL_TRY(auto table, bounded_string(body, "TableName", "tableName", 3, 255, false));
  if (table) RUNNEL_CHECK(protocol::validate_name(*table, "tableName"));
  RUNNEL_TRY(int64_t limit, limit_param(body, 100, 100));
  RUNNEL_TRY(auto start, bounded_string(body, "ExclusiveStartStreamArn", "exclusiveStartStreamArn", 37, 1024, false));

  std::vector<std::shared_ptr<Stream>> streams;
  for (auto& s : svc.list(ctx.account, ctx.region)) {
    if (table && s->snapshot()->table_name != *table) continue;
    streams.push_back(std::move(s));
  }
  if (table && streams.empty() && !svc.tables().table_exists(ctx.account, ctx.region, *table))
    return ApiError::resource_not_found(fmt::format("Requested resource not found: Table: {} not found", *table));

  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("Streams");
  w.StartArray();
  int64_t count = 0;
  std::string last;
  bool more = false;
  for (const auto& s : streams) {  // ARN order: table name, then label
    if (start && s->arn() <= *start) continue;
    if (count == limit) {
      more = true;
      break;
    }
    auto meta = s->snapshot();
    w.StartObject();
    key_string(w, "StreamArn", s->arn());
    key_string(w, "TableName", meta->table_name);
    key_string(w, "StreamLabel", meta->label);
    w.EndObject();
    last = s->arn();
    ++count;
  }
  w.EndArray();
  if (more) key_string(w, "LastEvaluatedStreamArn", last);
  w.EndObject();
  return finish_json(sb);
}

Result<std::string> describe_stream(const Service& svc, const JsonValue& body) {
  RUNNEL_TRY(auto arn, bounded_string(body, "StreamArn", "streamArn", 37, 1024, true));
  RUNNEL_TRY(int64_t limit, limit_param(body, 100, 100));
  RUNNEL_TRY(auto start, bounded_string(body, "ExclusiveStartShardId", "exclusiveStartShardId", 28, 65, false));
  std::optional<std::string> children_of;
  if (const JsonValue* filter = member(body, "ShardFilter")) {
    if (!filter->IsObject()) return ApiError::serialization("Unexpected type for ShardFilter: expected an object");
    RUNNEL_TRY(std::string type, protocol::enum_param(*filter, "Type", "shardFilter.type", {"CHILD_SHARDS"}, ""));
    RUNNEL_TRY(auto shard, bounded_string(*filter, "ShardId", "shardFilter.shardId", 28, 65, false));
    if (type.empty()) return constraint_error("null", "shardFilter.type", "Member must not be null");
    if (!shard) return ApiError::validation("ShardFilter of type CHILD_SHARDS requires a ShardId");
    children_of = *shard;
  }
  auto stream = svc.find(*arn);
  if (!stream) return stream_not_found(*arn);
  auto meta = stream->snapshot();

  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("StreamDescription");
  w.StartObject();
  key_string(w, "StreamArn", stream->arn());
  key_string(w, "StreamLabel", meta->label);
  key_string(w, "StreamStatus", meta->enabled ? "ENABLED" : "DISABLED");
  key_string(w, "StreamViewType", meta->view_type);
  w.Key("CreationRequestDateTime");
  w.Double(static_cast<double>(meta->created_ms) / 1000.0);
  key_string(w, "TableName", meta->table_name);
  write_key_schema(w, meta->keys);
  w.Key("Shards");
  w.StartArray();
  bool started = !start;
  int64_t count = 0;
  std::string last;
  bool more = false;
  for (const auto& s : meta->shards) {
    if (!started) {
      started = s.id == *start;
      continue;
    }
    if (children_of && s.parent_id != *children_of) continue;
    if (count == limit) {
      more = true;
      break;
    }
    write_shard(w, s);
    last = s.id;
    ++count;
  }
  w.EndArray();
  if (more) key_string(w, "LastEvaluatedShardId", last);
  w.EndObject();
  w.EndObject();
  return finish_json(sb);
}

Result<std::string> get_shard_iterator(const Service& svc, const JsonValue& body) {
  RUNNEL_TRY(auto arn, bounded_string(body, "StreamArn", "streamArn", 37, 1024, true));
  RUNNEL_TRY(auto shard_id, bounded_string(body, "ShardId", "shardId", 28, 65, true));
  if (!member(body, "ShardIteratorType")) return constraint_error("null", "shardIteratorType", "Member must not be null");
  RUNNEL_TRY(std::string type, protocol::enum_param(body, "ShardIteratorType", "shardIteratorType",
                                                    {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"}, ""));
  RUNNEL_TRY(auto sequence, bounded_string(body, "SequenceNumber", "sequenceNumber", 21, 40, false));

  auto stream = svc.find(*arn);
  if (!stream) return stream_not_found(*arn);
  uint64_t committed = stream->committed_seq();
  auto meta = stream->snapshot();
  const ShardInfo* shard = meta->find_shard(*shard_id);
  if (!shard) return shard_not_found(*shard_id, *arn);

  IteratorPosition p{stream->id(), shard->start_seq, 0, wall_ms()};
  if (type == "TRIM_HORIZON") {
    p.next_seq = std::max(shard->start_seq, meta->trim_seq);
  } else if (type == "LATEST") {
    p.next_seq = shard->end_seq ? *shard->end_seq + 1 : std::max(shard->start_seq, committed + 1);
  } else {
    if (!sequence)
      return ApiError::validation(fmt::format("SequenceNumber must be provided for ShardIteratorType {}", type));
    auto seq = parse_sequence_number(*sequence);
    if (!seq || *seq < shard->start_seq || (shard->end_seq && *seq > *shard->end_seq))
      return ApiError::validation(
          fmt::format("Invalid SequenceNumber {} for ShardId {}: it is not within the shard's range", *sequence, shard->id));
    if (*seq < meta->trim_seq)
      return ApiError{"TrimmedDataAccessException",
                      fmt::format("Sequence number {} has been trimmed from shard {}", *sequence, shard->id), 400, true,
                      "com.amazonaws.dynamodb.v20120810", {}};
    p.next_seq = type == "AT_SEQUENCE_NUMBER" ? *seq : *seq + 1;
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "ShardIterator", encode_iterator(stream->arn(), p));
  w.EndObject();
  return finish_json(sb);
}

Result<std::string> get_records(const Service& svc, const JsonValue& body) {
  RUNNEL_TRY(auto text, bounded_string(body, "ShardIterator", "shardIterator", 1, 2048, true));
  RUNNEL_TRY(int64_t limit, limit_param(body, 1000, 1000));
  std::string arn;
  auto position = decode_iterator(*text, &arn);
  if (!position) return ApiError::validation("Invalid ShardIterator");
  auto stream = svc.find(arn);
  if (!stream || stream->id() != position->stream_id) return stream_not_found(arn);
  int64_t now = wall_ms();
  if (now - position->issued_ms > svc.options().iterator_ttl_ms)
    return ApiError{"ExpiredIteratorException",
                    fmt::format("Shard iterator has expired: it was issued {} ms ago, and iterators are valid for {} ms",
                                now - position->issued_ms, svc.options().iterator_ttl_ms),
                    400, true, "com.amazonaws.dynamodb.v20120810", {}};
  RUNNEL_TRY(ShardRead read, svc.read(*stream, position->shard_start, position->next_seq, static_cast<size_t>(limit),
                                      kMaxRecordsBytes));
  // The reply is assembled from the stored record bytes.
  std::string out;
  size_t bytes = 64;
  for (const auto& r : read.records) bytes += r.json.size() + 1;
  out.reserve(bytes + arn.size() + 80);
  out += R"({"Records":[)";
  for (size_t i = 0; i < read.records.size(); ++i) {
    if (i) out += ',';
    out += read.records[i].json;
  }
  out += ']';
  if (!read.shard_end) {
    // A closed shard read to its end has no next iterator: the consumer moves on to its children.
    IteratorPosition next = *position;
    next.next_seq = read.next_seq;
    next.issued_ms = now;
    out += R"(,"NextShardIterator":)";
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    std::string it = encode_iterator(arn, next);
    w.String(it.data(), static_cast<rapidjson::SizeType>(it.size()));
    out.append(sb.GetString(), sb.GetSize());
  }
  out += '}';
  return out;
}

// The cross-account rule, for every operation that names a stream: by StreamArn, or by the ARN a
// ShardIterator starts with ("<stream ARN>|1|..."). A stream is its table's account's
// (arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>); another account is refused
// with DynamoDB's AccessDeniedException before the stream is looked up.
Status authorize_stream(const protocol::RequestContext& ctx, const JsonValue& body) {
  std::string_view arn;
  if (const JsonValue* v = member(body, "StreamArn"); v && v->IsString()) {
    arn = std::string_view(v->GetString(), v->GetStringLength());
  } else if (const JsonValue* it = member(body, "ShardIterator"); it && it->IsString()) {
    arn = std::string_view(it->GetString(), it->GetStringLength());
    arn = arn.substr(0, arn.find('|'));
  }
  if (!arn.starts_with("arn:aws:dynamodb:")) return ok_status();  // malformed: the operation says so
  size_t at = arn.find(':', 17);
  size_t end = at == std::string_view::npos ? at : arn.find(':', at + 1);
  if (end == std::string_view::npos) return ok_status();
  std::string_view account = arn.substr(at + 1, end - at - 1);
  if (account == ctx.account) return ok_status();
  return auth::authorize_coral(ctx.account, arn, account, "dynamodb:" + ctx.operation);
}

}  // namespace

void Service::register_operations(protocol::JsonService& json) {
  json.add("ListStreams", protocol::kReads, [this](const protocol::RequestContext& ctx, const rapidjson::Document& body, protocol::JsonReply reply) {
    reply(list_streams(*this, ctx, body));
  });
  json.add("DescribeStream", protocol::kReads, [this](const protocol::RequestContext& ctx, const rapidjson::Document& body, protocol::JsonReply reply) {
    if (auto s = authorize_stream(ctx, body); !s.ok()) return reply(s.error());
    reply(describe_stream(*this, body));
  });
  json.add("GetShardIterator", protocol::kReads, [this](const protocol::RequestContext& ctx, const rapidjson::Document& body, protocol::JsonReply reply) {
    if (auto s = authorize_stream(ctx, body); !s.ok()) return reply(s.error());
    reply(get_shard_iterator(*this, body));
  });
  json.add("GetRecords", protocol::kReads, [this](const protocol::RequestContext& ctx, const rapidjson::Document& body, protocol::JsonReply reply) {
    if (auto s = authorize_stream(ctx, body); !s.ok()) return reply(s.error());
    reply(get_records(*this, body));
  });
}

}  // namespace runnel::streams
