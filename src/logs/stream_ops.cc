// CreateLogStream, DeleteLogStream, DescribeLogStreams.
#include <algorithm>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/json_write.h"
#include "logs/ops.h"
#include "protocol/json_params.h"

namespace runnel::logs {

void create_log_stream(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto group = required_group_name(body);
  if (!group.ok()) return reply(group.error());
  auto name = required_stream_name(body);
  if (!name.ok()) return reply(name.error());
  svc.writer().run<bool>(
      [gkey = group_key(ctx.account, ctx.region, *group), name = std::move(name).value()](storage::WriteTxn& txn) -> Result<bool> {
        auto stored = txn.get(storage::Family::kMeta, gkey);
        std::optional<LogGroup> g = stored ? decode_group(*stored) : std::nullopt;
        if (!g) return group_not_found();
        std::string key = stream_key(g->id, name);
        if (txn.get(storage::Family::kMeta, key))
          return ApiError{"ResourceAlreadyExistsException", "The specified log stream already exists", 400, true, "", {}};
        LogStream s;
        s.name = name;
        s.id = allocate_id(txn);
        s.group_id = g->id;
        s.creation_time = wall_ms();
        txn.put(storage::Family::kMeta, key, encode_stream(s));
        return true;
      },
      [reply = std::move(reply)](Result<bool> r) {
        if (!r.ok()) return reply(r.error());
        reply(std::string("{}"));
      });
}

void delete_log_stream(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto group = required_group_name(body);
  if (!group.ok()) return reply(group.error());
  auto name = required_stream_name(body);
  if (!name.ok()) return reply(name.error());
  storage::Engine* engine = &svc.engine();
  svc.writer().run<bool>(
      [engine, gkey = group_key(ctx.account, ctx.region, *group), name = std::move(name).value()](storage::WriteTxn& txn) -> Result<bool> {
        auto stored = txn.get(storage::Family::kMeta, gkey);
        std::optional<LogGroup> g = stored ? decode_group(*stored) : std::nullopt;
        if (!g) return group_not_found();
        std::string key = stream_key(g->id, name);
        auto stream_stored = txn.get(storage::Family::kMeta, key);
        std::optional<LogStream> s = stream_stored ? decode_stream(*stream_stored) : std::nullopt;
        if (!s) return stream_not_found();
        txn.del(storage::Family::kMeta, key);
        // Its index goes by range after the commit. Its events in the group's time order stay
        // until the group's retention or deletion removes them: no read returns them, as their
        // stream id names no stream any more.
        txn.on_commit([engine, id = s->id](bool ok) {
          if (ok) (void)engine->delete_range(storage::Family::kLogs, index_stream_prefix(id), index_stream_prefix(id + 1));
        });
        return true;
      },
      [reply = std::move(reply)](Result<bool> r) {
        if (!r.ok()) return reply(r.error());
        reply(std::string("{}"));
      });
}

void describe_log_streams(Service& svc, const Ctx& ctx, const Body& body, Reply reply) {
  auto prefix = optional_stream_prefix(body);
  if (!prefix.ok()) return reply(prefix.error());
  auto order = protocol::enum_param(body, "orderBy", "orderBy", {"LogStreamName", "LastEventTime"}, "LogStreamName");
  if (!order.ok()) {
    ApiError e = order.error();
    e.code = "InvalidParameterException";
    e.json_namespace.clear();
    return reply(e);
  }
  auto descending = protocol::optional_bool(body, "descending", false);
  if (!descending.ok()) return reply(descending.error());
  auto limit = optional_integer(body, "limit", 1, 50);
  if (!limit.ok()) return reply(limit.error());
  auto token = protocol::optional_string(body, "nextToken");
  if (!token.ok()) return reply(token.error());
  const bool by_time = *order == "LastEventTime";
  if (by_time && *prefix) return reply(invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix."));
  auto group = resolve_group(svc, ctx, body);
  if (!group.ok()) return reply(group.error());

  std::vector<LogStream> streams = svc.streams_of(group->id);
  if (*prefix) std::erase_if(streams, [&](const LogStream& s) { return !s.name.starts_with(**prefix); });
  if (by_time) {
    // A stream without events sorts as the oldest; equal times by name, so paging is stable.
    std::stable_sort(streams.begin(), streams.end(), [](const LogStream& a, const LogStream& b) {
      return a.last_event.value_or(-1) < b.last_event.value_or(-1);
    });
  }
  if (*descending) std::reverse(streams.begin(), streams.end());
  // The token is the offset of the next page, base64 (opaque to clients).
  size_t offset = 0;
  if (*token) {
    auto decoded = base64_decode(**token);
    if (!decoded || !decoded->starts_with("s/") || decoded->size() > 22 ||
        decoded->find_first_not_of("0123456789", 2) != std::string::npos || decoded->size() == 2)
      return reply(invalid_parameter("The specified nextToken is invalid."));
    offset = std::stoull(decoded->substr(2));
  }
  const size_t max = static_cast<size_t>(limit->value_or(50));
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("logStreams");
  w.StartArray();
  size_t i = offset;
  for (; i < streams.size() && i < offset + max; ++i) {
    const LogStream& s = streams[i];
    w.StartObject();
    key_string(w, "logStreamName", s.name);
    w.Key("creationTime");
    w.Int64(s.creation_time);
    if (s.first_event) {
      w.Key("firstEventTimestamp");
      w.Int64(*s.first_event);
    }
    if (s.last_event) {
      w.Key("lastEventTimestamp");
      w.Int64(*s.last_event);
    }
    if (s.last_ingestion) {
      w.Key("lastIngestionTime");
      w.Int64(*s.last_ingestion);
    }
    key_string(w, "uploadSequenceToken", digits(s.id, s.next_seq, 0));
    key_string(w, "arn", fmt::format("{}:log-stream:{}", group->arn_without_star(), s.name));
    // AWS stopped reporting a stream's stored bytes in 2019: always 0.
    w.Key("storedBytes");
    w.Uint64(0);
    w.EndObject();
  }
  w.EndArray();
  if (i < streams.size()) key_string(w, "nextToken", base64_encode(fmt::format("s/{}", i)));
  w.EndObject();
  reply(finish_json(sb));
}

}  // namespace runnel::logs
