#include "lambda/esm/batch.h"

#include <functional>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/clock.h"
#include "common/json_parse.h"
#include "common/json_write.h"
#include "common/log.h"
#include "common/uuid.h"

namespace runnel::lambda::esm {

namespace {

// 2019-11-14T00:13:19Z: DDBStreamBatchInfo's arrival times have whole seconds.
std::string iso_seconds(int64_t ms) { return iso8601_ms(ms).substr(0, 19) + "Z"; }

}  // namespace

std::optional<uint64_t> parse_sequence(std::string_view text) {
  if (text.size() != 21 || text[0] != '1') return std::nullopt;
  uint64_t v = 0;
  for (char c : text.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string format_sequence(uint64_t seq) { return fmt::format("1{:020}", seq); }

std::string event_for(const std::vector<ports::StreamRecord>& records, std::string_view stream_arn) {
  std::string quoted = json_quote(stream_arn);
  size_t bytes = 16;
  for (const auto& r : records) bytes += r.json.size() + quoted.size() + 20;
  std::string out;
  out.reserve(bytes);
  out += R"({"Records":[)";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) out += ',';
    std::string_view json = records[i].json;
    out.append(json.substr(0, json.size() - 1));  // without its closing brace
    out += R"(,"eventSourceARN":)";
    out += quoted;
    out += '}';
  }
  out += "]}";
  return out;
}

size_t lane_of(const ports::StreamRecord& record, size_t lanes) {
  if (lanes <= 1) return 0;
  // The record's "Keys" object, as GetRecords renders it (the same key: the same text).
  std::string_view json = record.json;
  size_t at = json.find(R"("Keys":)");
  if (at == std::string_view::npos) return 0;
  size_t depth = 0, end = at + 7;
  bool in_string = false;
  for (; end < json.size(); ++end) {
    char c = json[end];
    if (in_string) {
      if (c == '\\') ++end;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      break;
    }
  }
  return std::hash<std::string_view>{}(json.substr(at, end - at)) % lanes;
}

int64_t window_of(int64_t written_ms, int window_s) {
  int64_t w = static_cast<int64_t>(window_s) * 1000;
  return w > 0 ? written_ms - written_ms % w : 0;
}

std::string window_event_for(const std::vector<ports::StreamRecord>& records, std::string_view stream_arn,
                             const WindowContext& window) {
  std::string out = event_for(records, stream_arn);
  out.pop_back();  // the closing brace: the window's members follow the records
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("window");
  w.StartObject();
  key_string(w, "start", iso_seconds(window.start_ms));
  key_string(w, "end", iso_seconds(window.end_ms));
  w.EndObject();
  w.Key("state");
  w.RawValue(window.state.data(), window.state.size(), rapidjson::kObjectType);
  key_string(w, "shardId", window.shard_id);
  key_string(w, "eventSourceARN", stream_arn);
  w.Key("isFinalInvokeForWindow");
  w.Bool(window.final_invoke);
  w.Key("isWindowTerminatedEarly");
  w.Bool(window.terminated_early);
  w.EndObject();
  std::string members = finish_json(sb);
  out += ',';
  out.append(members, 1, std::string::npos);  // without its opening brace
  return out;
}

std::optional<std::string> window_state(std::string_view payload) {
  rapidjson::Document d;
  if (!json::parse(d, payload) || !d.IsObject()) return std::nullopt;
  auto it = d.FindMember("state");
  if (it == d.MemberEnd() || !it->value.IsObject()) return std::nullopt;
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  it->value.Accept(w);
  return finish_json(sb);
}

Outcome read_item_failures(std::string_view payload, const std::function<bool(std::string_view id)>& accept) {
  size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Outcome::kSuccess;  // an empty response
  rapidjson::Document d;
  if (!json::parse(d, payload)) return Outcome::kFailure;
  if (!d.IsObject()) return Outcome::kSuccess;  // null, or nothing the reporting understands
  auto it = d.FindMember("batchItemFailures");
  if (it == d.MemberEnd() || it->value.IsNull()) return Outcome::kSuccess;
  if (!it->value.IsArray()) return Outcome::kFailure;
  if (it->value.Empty()) return Outcome::kSuccess;
  for (const auto& item : it->value.GetArray()) {
    if (!item.IsObject()) return Outcome::kFailure;
    auto id = item.FindMember("itemIdentifier");
    if (id == item.MemberEnd() || !id->value.IsString()) return Outcome::kFailure;
    if (!accept(std::string_view(id->value.GetString(), id->value.GetStringLength()))) return Outcome::kFailure;
  }
  return Outcome::kPartial;
}

Outcome item_failures(std::string_view payload, uint64_t& lowest) {
  lowest = UINT64_MAX;
  return read_item_failures(payload, [&](std::string_view id) {
    auto seq = parse_sequence(id);
    if (seq) lowest = std::min(lowest, *seq);
    return seq.has_value();
  });
}

Outcome within_batch(Outcome outcome, uint64_t lowest, const std::vector<ports::StreamRecord>& records) {
  if (outcome != Outcome::kPartial || records.empty()) return outcome;
  if (lowest <= records.front().seq || lowest > records.back().seq) return Outcome::kFailure;
  return Outcome::kPartial;
}

std::string failure_record(const FailureContext& why, const std::vector<ports::StreamRecord>& records) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("requestContext");
  w.StartObject();
  key_string(w, "requestId", new_uuid());
  key_string(w, "functionArn", why.function_arn);
  key_string(w, "condition", why.condition);
  w.Key("approximateInvokeCount");
  w.Int(why.invoke_count);
  w.EndObject();
  w.Key("responseContext");
  w.StartObject();
  w.Key("statusCode");
  w.Int(200);
  key_string(w, "executedVersion", "$LATEST");
  key_string(w, "functionError", why.function_error);
  w.EndObject();
  key_string(w, "version", "1.0");
  key_string(w, "timestamp", iso8601_ms(why.now_ms));
  w.Key("DDBStreamBatchInfo");
  w.StartObject();
  key_string(w, "shardId", why.shard_id);
  key_string(w, "startSequenceNumber", format_sequence(records.front().seq));
  key_string(w, "endSequenceNumber", format_sequence(records.back().seq));
  key_string(w, "approximateArrivalOfFirstRecord", iso_seconds(records.front().written_ms));
  key_string(w, "approximateArrivalOfLastRecord", iso_seconds(records.back().written_ms));
  w.Key("batchSize");
  w.Uint64(records.size());
  key_string(w, "streamArn", why.stream_arn);
  w.EndObject();
  w.EndObject();
  return finish_json(sb);
}

}  // namespace runnel::lambda::esm
