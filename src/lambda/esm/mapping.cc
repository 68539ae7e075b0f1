#include "lambda/esm/mapping.h"

#include <fmt/format.h>

#include "common/json_parse.h"
#include "common/json_write.h"
#include "lambda/function.h"
#include "pattern/filter_policy.h"
#include "storage/record_codec.h"

namespace runnel::lambda::esm {

namespace {

using JsonValue = rapidjson::Value;

// Lambda's model constraint failures, worded as its front end words them.
ApiError constraint(std::string_view member, int64_t value, std::string_view rule) {
  return {"ValidationException",
          fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must have value {}",
                      value, member, rule),
          400, true, "com.amazonaws.lambda", {}};
}

// An optional integer member in [lo, hi]; `wire` is the member's camelCase name in messages.
Result<std::optional<int>> int_member(const JsonValue& body, const char* name, std::string_view wire, int lo, int hi) {
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull()) return std::optional<int>();
  if (!it->value.IsInt64()) return invalid_parameter(fmt::format("{} must be an integer", name));
  int64_t v = it->value.GetInt64();
  if (v < lo) return constraint(wire, v, fmt::format("greater than or equal to {}", lo));
  if (v > hi) return constraint(wire, v, fmt::format("less than or equal to {}", hi));
  return std::optional<int>(static_cast<int>(v));
}

Result<std::optional<bool>> bool_member(const JsonValue& body, const char* name) {
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull()) return std::optional<bool>();
  if (!it->value.IsBool()) return invalid_parameter(fmt::format("{} must be a boolean", name));
  return std::optional<bool>(it->value.GetBool());
}

std::string string_of(const JsonValue& body, const char* name) {
  auto it = body.FindMember(name);
  return it != body.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                        : std::string();
}

bool is_stream_arn(std::string_view arn) {
  return arn.starts_with("arn:aws:dynamodb:") && arn.find("/stream/") != std::string_view::npos;
}

bool present(const JsonValue& body, const char* name) {
  auto it = body.FindMember(name);
  return it != body.MemberEnd() && !it->value.IsNull();
}

ApiError unsupported(std::string_view member) {
  return invalid_parameter(fmt::format("Unsupported {} parameter for given event source mapping type.", member));
}

// SQS mappings take none of the stream's retry, order and destination settings: a failed message
// returns to its queue after the visibility timeout and the queue's own redrive policy decides.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
Status refuse_stream_members(const JsonValue& body) {
  for (const char* member : {"ParallelizationFactor", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                             "BisectBatchOnFunctionError", "TumblingWindowInSeconds", "StartingPositionTimestamp"})
    if (present(body, member)) return unsupported(member);
  if (auto it = body.FindMember("DestinationConfig"); it != body.MemberEnd() && it->value.IsObject())
    for (const char* side : {"OnFailure", "OnSuccess"})
      if (auto on = it->value.FindMember(side); on != it->value.MemberEnd() && on->value.IsObject() &&
                                                !string_of(on->value, "Destination").empty())
        return unsupported("DestinationConfig");
  return ok_status();
}

// The batch rules that depend on the queue's type, after every member is applied.
Status check_queue_batching(const Mapping& m) {
  if (m.from_fifo_queue()) {
    if (m.batch_size > 10) return invalid_parameter("Maximum batch size must be between 1 and 10 inclusive");
    if (m.batching_window_s > 0) return invalid_parameter("Batching window is not supported for FIFO queues");
    return ok_status();
  }
  if (m.batch_size > 10 && m.batching_window_s == 0)
    return invalid_parameter("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
  return ok_status();
}

// The members Create and Update share, applied on top of `m` (Create: on the defaults).
Status apply_common(Mapping& m, const JsonValue& body, const Lookup& lookup) {
  if (m.from_queue()) RUNNEL_CHECK(refuse_stream_members(body));
  RUNNEL_TRY(auto batch, int_member(body, "BatchSize", "batchSize", 1, 10000));
  if (batch) m.batch_size = *batch;
  RUNNEL_TRY(auto window, int_member(body, "MaximumBatchingWindowInSeconds", "maximumBatchingWindowInSeconds", 0, 300));
  if (window) m.batching_window_s = *window;
  RUNNEL_TRY(auto parallel, int_member(body, "ParallelizationFactor", "parallelizationFactor", 1, 10));
  if (parallel) m.parallelization = *parallel;
  RUNNEL_TRY(auto retries, int_member(body, "MaximumRetryAttempts", "maximumRetryAttempts", -1, 10000));
  if (retries) m.max_retry_attempts = *retries;
  RUNNEL_TRY(auto age, int_member(body, "MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds", -1, 604800));
  if (age) {
    // AWS: -1 (infinite) or 60 seconds and more.
    if (*age != -1 && *age < 60)
      return invalid_parameter("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800");
    m.max_record_age_s = *age;
  }
  RUNNEL_TRY(auto tumbling, int_member(body, "TumblingWindowInSeconds", "tumblingWindowInSeconds", 0, 900));
  if (tumbling) m.tumbling_window_s = *tumbling;  // 0 turns windows off
  RUNNEL_TRY(auto enabled, bool_member(body, "Enabled"));
  if (enabled) m.enabled = *enabled;
  RUNNEL_TRY(auto bisect, bool_member(body, "BisectBatchOnFunctionError"));
  if (bisect) m.bisect = *bisect;
  if (auto it = body.FindMember("FunctionName"); it != body.MemberEnd() && it->value.IsString()) {
    std::string arn = lookup.function_arn(std::string_view(it->value.GetString(), it->value.GetStringLength()));
    if (arn.empty()) return not_found("Function does not exist");
    m.function_arn = arn;
  }
  if (auto it = body.FindMember("DestinationConfig"); it != body.MemberEnd() && it->value.IsObject()) {
    if (auto on = it->value.FindMember("OnFailure"); on != it->value.MemberEnd() && on->value.IsObject()) {
      std::string target = string_of(on->value, "Destination");
      if (!target.empty() && !target.starts_with("arn:aws:sqs:") && !target.starts_with("arn:aws:sns:"))
        return invalid_parameter("The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=" +
                                 target + ")) is invalid.");
      m.on_failure = target;
    }
    if (auto on = it->value.FindMember("OnSuccess"); on != it->value.MemberEnd() && on->value.IsObject() &&
                                                    !string_of(on->value, "Destination").empty())
      return invalid_parameter("Unsupported DestinationConfig parameter for given event source mapping type.");
  }
  if (auto it = body.FindMember("FunctionResponseTypes"); it != body.MemberEnd() && it->value.IsArray()) {
    if (it->value.Size() > 1)
      return ApiError{"ValidationException",
                      "1 validation error detected: Value at 'functionResponseTypes' failed to satisfy constraint: Member must have length less than or equal to 1",
                      400, true, "com.amazonaws.lambda", {}};
    m.report_batch_item_failures = false;
    for (const auto& t : it->value.GetArray()) {
      if (!t.IsString() || std::string_view(t.GetString()) != "ReportBatchItemFailures")
        return ApiError{"ValidationException",
                        "1 validation error detected: Value at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]",
                        400, true, "com.amazonaws.lambda", {}};
      m.report_batch_item_failures = true;
    }
  }
  if (auto it = body.FindMember("FilterCriteria"); it != body.MemberEnd() && it->value.IsObject()) {
    m.filters.clear();
    if (auto f = it->value.FindMember("Filters"); f != it->value.MemberEnd() && f->value.IsArray()) {
      // AWS's default quota is 5 filters per mapping (raisable to 10).
      if (f->value.Size() > 5) return invalid_parameter("The number of filters exceeds the limit of 5.");
      for (const auto& filter : f->value.GetArray()) {
        std::string pattern = filter.IsObject() ? string_of(filter, "Pattern") : std::string();
        if (pattern.size() > 4096)
          return ApiError{"ValidationException",
                          "1 validation error detected: Value at 'filterCriteria.filters.member.pattern' failed to satisfy constraint: Member must have length less than or equal to 4096",
                          400, true, "com.amazonaws.lambda", {}};
        if (!pattern::FilterPolicy::parse(pattern, pattern::FilterScope::kMessageBody, pattern::Limits::kNone).ok())
          return invalid_parameter("Invalid filter pattern definition.");
        m.filters.push_back(std::move(pattern));
      }
    }
  }
  if (auto it = body.FindMember("MetricsConfig"); it != body.MemberEnd() && it->value.IsObject()) {
    m.metrics_event_count = false;
    if (auto list = it->value.FindMember("Metrics"); list != it->value.MemberEnd() && list->value.IsArray())
      for (const auto& v : list->value.GetArray()) {
        if (!v.IsString() || std::string_view(v.GetString()) != "EventCount")
          return ApiError{"ValidationException",
                          "1 validation error detected: Value at 'metricsConfig.metrics' failed to satisfy constraint: Member must satisfy enum value set: [EventCount]",
                          400, true, "com.amazonaws.lambda", {}};
        m.metrics_event_count = true;
      }
  }
  if (auto it = body.FindMember("ScalingConfig"); it != body.MemberEnd() && !it->value.IsNull()) {
    if (!m.from_queue()) return unsupported("ScalingConfig");
    if (!it->value.IsObject()) return invalid_parameter("ScalingConfig must be an object");
    // An empty ScalingConfig takes the limit away.
    RUNNEL_TRY(auto most, int_member(it->value, "MaximumConcurrency", "scalingConfig.maximumConcurrency", 2, 1000));
    m.max_concurrency = most;
  }
  if (m.batching_window_s == 0 && m.batch_size > 10000) return invalid_parameter("BatchSize out of range");
  return ok_status();
}

void write_metrics_config(JsonWriter& w, const Mapping& m) {
  if (!m.metrics_event_count) return;
  w.Key("MetricsConfig");
  w.StartObject();
  w.Key("Metrics");
  w.StartArray();
  w.String("EventCount");
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string Mapping::arn() const { return fmt::format("arn:aws:lambda:{}:{}:event-source-mapping:{}", region, account, uuid); }

Result<Mapping> parse_create(const JsonValue& body, const Lookup& lookup) {
  Mapping m;
  std::string source = string_of(body, "EventSourceArn");
  if (string_of(body, "FunctionName").empty())
    return ApiError{"ValidationException",
                    "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null",
                    400, true, "com.amazonaws.lambda", {}};
  if (source.empty()) return invalid_parameter("Unrecognized event source, must be kinesis, dynamodb stream or sqs.");
  if (Mapping::is_queue_arn(source)) {
    m.source_arn = source;
    m.batch_size = 10;  // SQS's default
    if (present(body, "StartingPosition")) return invalid_parameter("StartingPosition is not valid for SQS event sources.");
    RUNNEL_CHECK(apply_common(m, body, lookup));
    // AWS checks the queue by calling it, and reports SQS's own error.
    if (!lookup.queue_exists(source))
      return invalid_parameter(
          "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.");
    RUNNEL_CHECK(check_queue_batching(m));
    return m;
  }
  if (!is_stream_arn(source)) return invalid_parameter("Unrecognized event source, must be kinesis, dynamodb stream or sqs.");
  m.source_arn = source;
  m.starting_position = string_of(body, "StartingPosition");
  if (m.starting_position.empty()) return invalid_parameter("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null");
  if (m.starting_position == "AT_TIMESTAMP")
    return invalid_parameter("Unsupported starting position for DynamoDB stream event sources: AT_TIMESTAMP");
  if (m.starting_position != "TRIM_HORIZON" && m.starting_position != "LATEST")
    return ApiError{"ValidationException",
                    fmt::format("1 validation error detected: Value '{}' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]",
                                m.starting_position),
                    400, true, "com.amazonaws.lambda", {}};
  RUNNEL_CHECK(apply_common(m, body, lookup));
  if (!lookup.stream_exists(source)) return invalid_parameter("Stream not found: " + source);
  return m;
}

Status apply_update(Mapping& m, const JsonValue& body, const Lookup& lookup) {
  if (body.HasMember("StartingPosition") || body.HasMember("EventSourceArn"))
    return invalid_parameter("StartingPosition and EventSourceArn cannot be updated");
  Mapping next = m;
  RUNNEL_CHECK(apply_common(next, body, lookup));
  if (next.from_queue()) RUNNEL_CHECK(check_queue_batching(next));
  m = std::move(next);
  return ok_status();
}

std::string render_mapping(const Mapping& m, std::string_view state, std::string_view last_result) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  // An SQS mapping shows only what applies to queues (no position, retries, destination or
  // processing result), as Lambda's answer for a queue does.
  bool stream = !m.from_queue();
  w.StartObject();
  key_string(w, "UUID", m.uuid);
  key_string(w, "EventSourceMappingArn", m.arn());
  if (stream) key_string(w, "StartingPosition", m.starting_position);
  w.Key("BatchSize");
  w.Int(m.batch_size);
  w.Key("MaximumBatchingWindowInSeconds");
  w.Int(m.batching_window_s);
  if (stream) {
    w.Key("ParallelizationFactor");
    w.Int(m.parallelization);
  }
  key_string(w, "EventSourceArn", m.source_arn);
  if (!m.filters.empty()) {
    w.Key("FilterCriteria");
    w.StartObject();
    w.Key("Filters");
    w.StartArray();
    for (const auto& f : m.filters) {
      w.StartObject();
      key_string(w, "Pattern", f);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  key_string(w, "FunctionArn", m.function_arn);
  w.Key("LastModified");
  w.Double(static_cast<double>(m.last_modified_ms) / 1000.0);
  if (stream) key_string(w, "LastProcessingResult", last_result);
  key_string(w, "State", state);
  key_string(w, "StateTransitionReason", "User action");
  if (!stream) {
    w.Key("FunctionResponseTypes");
    w.StartArray();
    if (m.report_batch_item_failures) w.String("ReportBatchItemFailures");
    w.EndArray();
    if (m.max_concurrency) {
      w.Key("ScalingConfig");
      w.StartObject();
      w.Key("MaximumConcurrency");
      w.Int(*m.max_concurrency);
      w.EndObject();
    }
    write_metrics_config(w, m);
    w.EndObject();
    return finish_json(sb);
  }
  w.Key("DestinationConfig");
  w.StartObject();
  w.Key("OnFailure");
  w.StartObject();
  if (!m.on_failure.empty()) key_string(w, "Destination", m.on_failure);
  w.EndObject();
  w.EndObject();
  w.Key("MaximumRecordAgeInSeconds");
  w.Int(m.max_record_age_s);
  w.Key("BisectBatchOnFunctionError");
  w.Bool(m.bisect);
  w.Key("MaximumRetryAttempts");
  w.Int(m.max_retry_attempts);
  if (m.tumbling_window_s) {
    w.Key("TumblingWindowInSeconds");
    w.Int(*m.tumbling_window_s);
  }
  w.Key("FunctionResponseTypes");
  w.StartArray();
  if (m.report_batch_item_failures) w.String("ReportBatchItemFailures");
  w.EndArray();
  write_metrics_config(w, m);
  w.EndObject();
  return finish_json(sb);
}

namespace {

const storage::RecordCodec<Mapping>& mapping_codec() {
  static const auto codec =
      storage::RecordCodec<Mapping>()
          .field("uuid", &Mapping::uuid)
          .field("account", &Mapping::account)
          .field("region", &Mapping::region)
          .field("function", &Mapping::function_arn)
          .field("source", &Mapping::source_arn)
          .field("start", &Mapping::starting_position)
          .field("batch", &Mapping::batch_size, 100)
          .field("window", &Mapping::batching_window_s)
          .field("enabled", &Mapping::enabled)
          .field("parallel", &Mapping::parallelization, 1)
          .field("retries", &Mapping::max_retry_attempts, -1)
          .field("age", &Mapping::max_record_age_s, -1)
          .field("bisect", &Mapping::bisect)
          .field("on_failure", &Mapping::on_failure)
          .field("item_failures", &Mapping::report_batch_item_failures)
          .field("filters", &Mapping::filters)
          // -1 when there is no tumbling window (stored so since the first version).
          .custom(
              [](storage::RecordCodec<Mapping>::Writer& w, const Mapping& m) {
                w.Key("tumbling");
                w.Int(m.tumbling_window_s.value_or(-1));
              },
              [](const rapidjson::Value& d, Mapping& m) {
                auto it = d.FindMember("tumbling");
                if (it != d.MemberEnd() && it->value.IsInt() && it->value.GetInt() >= 0) m.tumbling_window_s = it->value.GetInt();
              })
          .field("event_count", &Mapping::metrics_event_count)
          .field("concurrency", &Mapping::max_concurrency)  // only when set: a stream mapping's bytes stay as they were
          .field("modified", &Mapping::last_modified_ms);
  return codec;
}

}  // namespace

std::string encode_mapping(const Mapping& m) { return mapping_codec().encode(m); }

Result<Mapping> decode_mapping(std::string_view json) {
  auto m = mapping_codec().decode(json);
  if (!m || m->uuid.empty() || m->source_arn.empty()) return ApiError::internal("corrupt event source mapping record");
  return std::move(*m);
}

std::string mapping_key(std::string_view uuid) { return fmt::format("{}{}", kMappingPrefix, uuid); }
std::string checkpoint_key(std::string_view uuid, uint64_t shard_start) {
  return fmt::format("{}{}/{:020}", kCheckpointPrefix, uuid, shard_start);
}
std::string window_key(std::string_view uuid, uint64_t shard_start, size_t lane) {
  return fmt::format("{}{}/{:020}/{}", kWindowPrefix, uuid, shard_start, lane);
}

}  // namespace runnel::lambda::esm
