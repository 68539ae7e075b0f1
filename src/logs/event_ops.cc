// PutLogEvents, GetLogEvents, FilterLogEvents.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "logs/filter_pattern.h"
#include "logs/ops.h"
#include "protocol/json_params.h"

namespace runnel::logs {

namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
constexpr size_t kMaxBatchBytes = 1'048'576;  // the messages' UTF-8 bytes plus 26 per event
constexpr size_t kEventOverhead = 26;
constexpr size_t kMaxResponseBytes = 1'048'576;  // a Get/Filter page: at most 1 MB of events
// FilterLogEvents examines at most this many events per call and then answers with what it found
// and a nextToken (possibly with no events), as AWS's does when its search runs out of time.
constexpr size_t kMaxExaminedPerCall = 200'000;

// The oldest timestamp a group still holds (its retention), or 0.
uint64_t retention_floor(const LogGroup& g, int64_t now) {
  if (!g.retention_days) return 0;
  int64_t cutoff = now - static_cast<int64_t>(*g.retention_days) * kDay;
  return cutoff > 0 ? static_cast<uint64_t>(cutoff) : 0;
}

Result<std::optional<int64_t>> optional_long(const Body& body, const char* member) {
  return optional_integer(body, member, 0, std::numeric_limits<int64_t>::max());
}

// startTime, endTime and limit, as GetLogEvents and FilterLogEvents both take them.
struct Window {
  std::optional<int64_t> start, end, limit;
};
Result<Window> read_window(const Body& body) {
  auto start = optional_long(body, "startTime");
  if (!start.ok()) return start.error();
  auto end = optional_long(body, "endTime");
  if (!end.ok()) return end.error();
  auto limit = optional_integer(body, "limit", 1, 10000);
  if (!limit.ok()) return limit.error();
  return Window{*start, *end, *limit};
}

ApiError invalid_token() { return invalid_parameter("The specified nextToken is invalid."); }

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

struct Event {
  int64_t timestamp;
  std::string_view message;
};

}  // namespace

void put_log_events(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto group = required_group_name(body);
  if (!group.ok()) return reply(group.error());
  auto stream = required_stream_name(body);
  if (!stream.ok()) return reply(stream.error());
  const rapidjson::Value* list = protocol::member(body, "logEvents");
  auto constraint = [](std::string_view value, std::string_view at, std::string_view rule) {
    return invalid_parameter(fmt::format("1 validation error detected: Value {} at '{}' failed to satisfy constraint: {}", value, at, rule));
  };
  if (!list) return reply(constraint("null", "logEvents", "Member must not be null"));
  if (!list->IsArray()) return reply(ApiError::serialization("Unexpected type for logEvents: expected a list"));
  if (list->Size() < 1) return reply(constraint("'[]'", "logEvents", "Member must have length greater than or equal to 1"));
  if (list->Size() > 10000)
    return reply(invalid_parameter("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000"));
  // The events, validated as the model and AWS's rules ask; copied, as the step runs later.
  auto events = std::make_shared<std::vector<std::pair<int64_t, std::string>>>();
  events->reserve(list->Size());
  size_t batch_bytes = 0;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const rapidjson::Value& e = (*list)[i];
    std::string at = fmt::format("logEvents.{}.member", i + 1);
    if (!e.IsObject()) return reply(ApiError::serialization("Unexpected type for a log event: expected an object"));
    const rapidjson::Value* ts = protocol::member(e, "timestamp");
    const rapidjson::Value* message = protocol::member(e, "message");
    if (!ts) return reply(constraint("null", at + ".timestamp", "Member must not be null"));
    if (!ts->IsInt64()) return reply(ApiError::serialization("Unexpected type for timestamp: expected a number"));
    if (!message) return reply(constraint("null", at + ".message", "Member must not be null"));
    if (!message->IsString()) return reply(ApiError::serialization("Unexpected type for message: expected a string"));
    if (message->GetStringLength() < 1)
      return reply(constraint("''", at + ".message", "Member must have length greater than or equal to 1"));
    events->emplace_back(ts->GetInt64(), std::string(message->GetString(), message->GetStringLength()));
    batch_bytes += message->GetStringLength() + kEventOverhead;
  }
  if (batch_bytes > kMaxBatchBytes)
    return reply(invalid_parameter(fmt::format("Upload too large: {} bytes exceeds limit of {}", batch_bytes, kMaxBatchBytes)));
  for (size_t i = 1; i < events->size(); ++i) {
    if ((*events)[i].first < (*events)[i - 1].first)
      return reply(invalid_parameter("Log events in a single PutLogEvents request must be in chronological order."));
  }
  if (events->back().first - events->front().first > kDay)
    return reply(invalid_parameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours."));

  struct Outcome {
    std::string next_token;
    std::optional<size_t> too_new_start, too_old_end, expired_end;
  };
  svc.writer().run<Outcome>(
      [gkey = group_key(ctx.account, ctx.region, *group), name = std::move(stream).value(),
       events](storage::WriteTxn& txn) -> Result<Outcome> {
        auto stored = txn.get(storage::Family::kMeta, gkey);
        std::optional<LogGroup> g = stored ? decode_group(*stored) : std::nullopt;
        if (!g) return group_not_found();
        std::string skey = stream_key(g->id, name);
        auto stream_stored = txn.get(storage::Family::kMeta, skey);
        std::optional<LogStream> s = stream_stored ? decode_stream(*stream_stored) : std::nullopt;
        if (!s) return stream_not_found();
        // Events more than 2 hours ahead, 14 days behind, or behind the group's retention are
        // not stored; the answer says which (the batch is in time order, so each is a run).
        const int64_t now = wall_ms();
        const int64_t floor = static_cast<int64_t>(retention_floor(*g, now));
        Outcome out;
        std::vector<std::pair<int64_t, std::string_view>> accepted;
        for (size_t i = 0; i < events->size(); ++i) {
          int64_t ts = (*events)[i].first;
          if (ts > now + 2 * kHour) {
            if (!out.too_new_start) out.too_new_start = i;
          } else if (ts < now - 14 * kDay) {
            out.too_old_end = i;
          } else if (floor > 0 && ts < floor) {
            out.expired_end = i;
          } else {
            accepted.emplace_back(ts, (*events)[i].second);
          }
        }
        append_events(txn, *g, *s, accepted, now);
        txn.put(storage::Family::kMeta, skey, encode_stream(*s));
        out.next_token = digits(s->id, s->next_seq, 0);
        return out;
      },
      [reply = std::move(reply)](Result<Outcome> r) {
        if (!r.ok()) return reply(r.error());
        rapidjson::StringBuffer sb;
        JsonWriter w(sb);
        w.StartObject();
        key_string(w, "nextSequenceToken", r->next_token);
        if (r->too_new_start || r->too_old_end || r->expired_end) {
          w.Key("rejectedLogEventsInfo");
          w.StartObject();
          if (r->too_new_start) {
            w.Key("tooNewLogEventStartIndex");
            w.Uint64(*r->too_new_start);
          }
          if (r->too_old_end) {
            w.Key("tooOldLogEventEndIndex");
            w.Uint64(*r->too_old_end);
          }
          if (r->expired_end) {
            w.Key("expiredLogEventEndIndex");
            w.Uint64(*r->expired_end);
          }
          w.EndObject();
        }
        w.EndObject();
        reply(finish_json(sb));
      });
}

// GetLogEvents' tokens: "f/" or "b/" and 56 digits (a position: timestamp, sequence number, and
// 16 zeros), as AWS's look. A forward token reads the events at or after its position, a
// backward one those before it.
namespace {

struct Position {
  uint64_t timestamp = 0;
  uint64_t seq = 0;
};

std::string token(char direction, Position p) { return fmt::format("{}/{}", direction, digits(p.timestamp, p.seq, 0)); }

std::optional<std::pair<char, Position>> parse_token(std::string_view t) {
  if (t.size() != 58 || (t[0] != 'f' && t[0] != 'b') || t[1] != '/') return std::nullopt;
  auto ts = parse_u64(t.substr(2, 20));
  auto seq = parse_u64(t.substr(22, 20));
  if (!ts || !seq || t.substr(42).find_first_not_of('0') != std::string_view::npos) return std::nullopt;
  return std::pair{t[0], Position{*ts, *seq}};
}

}  // namespace

void get_log_events(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto name = required_stream_name(body);
  if (!name.ok()) return reply(name.error());
  auto window = read_window(body);
  if (!window.ok()) return reply(window.error());
  const auto& [start, end, limit] = *window;
  auto from_head = protocol::optional_bool(body, "startFromHead", false);
  if (!from_head.ok()) return reply(from_head.error());
  auto token_text = protocol::optional_string(body, "nextToken");
  if (!token_text.ok()) return reply(token_text.error());
  std::optional<std::pair<char, Position>> given;
  if (*token_text) {
    given = parse_token(**token_text);
    if (!given) return reply(invalid_token());
  }
  auto group = resolve_group(svc, ctx, body);
  if (!group.ok()) return reply(group.error());
  auto stream = svc.find_stream(group->id, *name);
  if (!stream) return reply(stream_not_found());

  const uint64_t lower = std::max<uint64_t>(static_cast<uint64_t>(start.value_or(0)), retention_floor(*group, wall_ms()));
  const uint64_t upper = end.has_value() ? static_cast<uint64_t>(*end) : std::numeric_limits<uint64_t>::max();
  const bool forward = given ? given->first == 'f' : *from_head;
  const size_t max = static_cast<size_t>(limit.value_or(10000));

  // The stream's index within [lower, upper), the token's position narrowing it.
  std::string lo = index_key(stream->id, lower, 0);
  std::string hi = upper == std::numeric_limits<uint64_t>::max() ? index_stream_prefix(stream->id + 1)
                                                                 : index_key(stream->id, upper, 0);
  if (given) {
    std::string at = index_key(stream->id, given->second.timestamp, given->second.seq);
    if (forward) lo = std::max(lo, at);
    else hi = std::min(hi, at);
  }
  std::vector<std::pair<IndexKey, std::string>> found;  // (position, stored event)
  size_t bytes = 0;
  if (lo < hi) {
    storage::ScanOptions options;
    options.lower = lo;
    options.upper = hi;
    options.fill_cache = false;
    storage::Cursor it = svc.engine().scan(storage::Family::kLogs, options);
    forward ? it.seek_to_first() : it.seek_to_last();
    for (; it.valid() && found.size() < max; forward ? it.next() : it.prev()) {
      auto k = parse_index_key(it.key());
      if (!k) continue;
      auto value = svc.engine().get(storage::Family::kLogs, event_key(group->id, k->timestamp, k->stream_id, k->seq));
      if (!value) continue;
      bytes += value->size() - 9 + kEventOverhead;
      if (bytes > kMaxResponseBytes && !found.empty()) break;
      found.emplace_back(*k, std::move(*value));
    }
  }
  if (!forward) std::reverse(found.begin(), found.end());

  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("events");
  w.StartArray();
  for (const auto& [k, stored] : found) {
    auto e = decode_event(stored);
    if (!e) continue;
    w.StartObject();
    w.Key("timestamp");
    w.Int64(static_cast<int64_t>(k.timestamp));
    key_string(w, "message", e->message);
    w.Key("ingestionTime");
    w.Int64(e->ingestion_time);
    w.EndObject();
  }
  w.EndArray();
  // With events: forward from just after the newest, backward from the oldest. Without: where
  // this read stood, so that a reader following the forward token sees what comes later.
  Position next_forward, next_backward;
  if (!found.empty()) {
    next_forward = {found.back().first.timestamp, found.back().first.seq + 1};
    next_backward = {found.front().first.timestamp, found.front().first.seq};
  } else if (given) {
    next_forward = next_backward = given->second;
  } else {
    next_forward = next_backward = {lower, 0};
  }
  key_string(w, "nextForwardToken", token('f', next_forward));
  key_string(w, "nextBackwardToken", token('b', next_backward));
  w.EndObject();
  reply(finish_json(sb));
}

void filter_log_events(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto window = read_window(body);
  if (!window.ok()) return reply(window.error());
  const auto& [start, end, limit] = *window;
  auto prefix = optional_stream_prefix(body);
  if (!prefix.ok()) return reply(prefix.error());
  auto pattern_text = protocol::optional_string(body, "filterPattern");
  if (!pattern_text.ok()) return reply(pattern_text.error());
  if (*pattern_text && (*pattern_text)->size() > 1024)
    return reply(invalid_parameter("1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024"));
  auto pattern = FilterPattern::parse(pattern_text->value_or(""));
  if (!pattern.ok()) return reply(pattern.error());
  auto interleaved = protocol::optional_bool(body, "interleaved", true);  // always interleaved since 2019
  if (!interleaved.ok()) return reply(interleaved.error());
  auto token_text = protocol::optional_string(body, "nextToken");
  if (!token_text.ok()) return reply(token_text.error());
  std::optional<std::vector<std::string>> names;
  if (const rapidjson::Value* list = protocol::member(body, "logStreamNames")) {
    if (!list->IsArray()) return reply(ApiError::serialization("Unexpected type for logStreamNames: expected a list"));
    if (list->Size() < 1 || list->Size() > 100)
      return reply(invalid_parameter("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100"));
    names.emplace();
    for (const auto& n : list->GetArray()) {
      if (!n.IsString()) return reply(ApiError::serialization("Unexpected type in logStreamNames"));
      names->emplace_back(n.GetString(), n.GetStringLength());
    }
  }
  if (names && *prefix)
    return reply(invalid_parameter("Parameters logStreamNames and logStreamNamePrefix are mutually exclusive."));
  auto group = resolve_group(svc, ctx, body);
  if (!group.ok()) return reply(group.error());

  // The streams searched: id -> name.
  std::map<uint64_t, std::string> streams;
  for (auto& s : svc.streams_of(group->id)) {
    if (*prefix && !s.name.starts_with(**prefix)) continue;
    if (names && std::find(names->begin(), names->end(), s.name) == names->end()) continue;
    streams.emplace(s.id, std::move(s.name));
  }
  const uint64_t lower = std::max<uint64_t>(static_cast<uint64_t>(start.value_or(0)), retention_floor(*group, wall_ms()));
  const uint64_t upper = end.has_value() ? static_cast<uint64_t>(*end) : std::numeric_limits<uint64_t>::max();
  std::string lo = event_key(group->id, lower, 0, 0);
  std::string hi = upper == std::numeric_limits<uint64_t>::max() ? event_group_prefix(group->id + 1)
                                                                 : event_key(group->id, upper, 0, 0);
  // The token (base64, opaque): the group and the position of the next event to examine.
  if (*token_text) {
    auto decoded = base64_decode(**token_text);
    std::optional<EventKey> at;
    if (decoded && decoded->size() == 35 && decoded->starts_with("v1")) at = parse_event_key(decoded->substr(2));
    if (!at || at->group_id != group->id) return reply(invalid_token());
    lo = std::max(lo, decoded->substr(2));
  }
  const size_t max = static_cast<size_t>(limit.value_or(10000));

  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("events");
  w.StartArray();
  std::optional<std::string> next;  // the position to resume at, when this page stopped early
  if (lo < hi && !streams.empty()) {
    storage::ScanOptions options;
    options.lower = lo;
    options.upper = hi;
    options.fill_cache = false;
    storage::Cursor it = svc.engine().scan(storage::Family::kLogs, options);
    size_t count = 0, examined = 0, bytes = 0;
    for (it.seek_to_first(); it.valid(); it.next()) {
      if (count == max || examined == kMaxExaminedPerCall || bytes >= kMaxResponseBytes) {
        next = std::string(it.key());
        break;
      }
      ++examined;
      auto k = parse_event_key(it.key());
      if (!k) continue;
      auto stream = streams.find(k->stream_id);
      if (stream == streams.end()) continue;
      auto e = decode_event(it.value());
      if (!e || !pattern->matches(e->message)) continue;
      w.StartObject();
      key_string(w, "logStreamName", stream->second);
      w.Key("timestamp");
      w.Int64(static_cast<int64_t>(k->timestamp));
      key_string(w, "message", e->message);
      w.Key("ingestionTime");
      w.Int64(e->ingestion_time);
      key_string(w, "eventId", digits(k->timestamp, k->stream_id, k->seq));
      w.EndObject();
      ++count;
      bytes += e->message.size() + kEventOverhead;
    }
  }
  w.EndArray();
  // AWS answers an empty list here since 2020 (the member is deprecated).
  w.Key("searchedLogStreams");
  w.StartArray();
  w.EndArray();
  if (next) key_string(w, "nextToken", base64_encode("v1" + *next));
  w.EndObject();
  reply(finish_json(sb));
}

}  // namespace runnel::logs
