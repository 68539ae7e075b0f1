#include "logs/service.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/json_parse.h"
#include "common/thread_name.h"
#include "logs/ops.h"
#include "protocol/json_params.h"

namespace runnel::logs {

namespace {

// A line longer than one event may be (256 KB less the 26 bytes AWS counts per event) is cut.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
constexpr size_t kMaxEventBytes = 262144 - 26;
// One shipper step writes at most this many lines; the rest wait for the next.
constexpr size_t kMaxLinesPerStep = 10000;

}  // namespace

ApiError invalid_parameter(std::string message) {
  return {"InvalidParameterException", std::move(message), 400, true, "", {}};
}
ApiError group_not_found() {
  return {"ResourceNotFoundException", "The specified log group does not exist.", 400, true, "", {}};
}
ApiError stream_not_found() {
  return {"ResourceNotFoundException", "The specified log stream does not exist.", 400, true, "", {}};
}

std::string digits(uint64_t a, uint64_t b, uint64_t c) { return fmt::format("{:020}{:020}{:016}", a, b, c % 10000000000000000ULL); }

namespace {

// The Coral message for a constraint, as InvalidParameterException.
ApiError constraint(std::string_view value, std::string_view member, std::string_view rule) {
  ApiError e = protocol::constraint_error(value, member, rule);
  e.code = "InvalidParameterException";
  e.json_namespace.clear();
  return e;
}

bool group_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
         c == '/' || c == '#';
}

Result<std::optional<std::string>> string_member(const Body& body, std::string_view member) {
  auto v = protocol::optional_string(body, member);
  if (!v.ok()) return v.error();
  return std::move(v).value();
}

Status check_group_name(const std::string& name, std::string_view member) {
  if (name.empty()) return constraint("''", member, "Member must have length greater than or equal to 1");
  if (name.size() > 512)
    return constraint(fmt::format("'{}'", name), member, "Member must have length less than or equal to 512");
  if (!std::all_of(name.begin(), name.end(), group_name_char))
    return constraint(fmt::format("'{}'", name), member,
                      "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
  return ok_status();
}

Status check_stream_name(const std::string& name, std::string_view member) {
  if (name.empty()) return constraint("''", member, "Member must have length greater than or equal to 1");
  if (name.size() > 512)
    return constraint(fmt::format("'{}'", name), member, "Member must have length less than or equal to 512");
  if (name.find_first_of(":*") != std::string::npos)
    return constraint(fmt::format("'{}'", name), member, "Member must satisfy regular expression pattern: [^:*]*");
  return ok_status();
}

}  // namespace

Result<std::string> required_group_name(const Body& body, std::string_view member) {
  auto v = string_member(body, member);
  if (!v.ok()) return v.error();
  if (!*v) return constraint("null", member, "Member must not be null");
  if (auto s = check_group_name(**v, member); !s.ok()) return s.error();
  return std::move(**v);
}

Result<std::optional<std::string>> optional_group_name(const Body& body, std::string_view member) {
  auto v = string_member(body, member);
  if (!v.ok()) return v.error();
  if (*v) {
    if (auto s = check_group_name(**v, member); !s.ok()) return s.error();
  }
  return std::move(v).value();
}

Result<std::string> required_member(const Body& body, std::string_view member) {
  auto v = string_member(body, member);
  if (!v.ok()) return v.error();
  if (!*v) return constraint("null", member, "Member must not be null");
  return std::move(**v);
}

Result<std::string> required_stream_name(const Body& body) {
  auto v = string_member(body, "logStreamName");
  if (!v.ok()) return v.error();
  if (!*v) return constraint("null", "logStreamName", "Member must not be null");
  if (auto s = check_stream_name(**v, "logStreamName"); !s.ok()) return s.error();
  return std::move(**v);
}

Result<std::optional<std::string>> optional_stream_prefix(const Body& body) {
  auto v = string_member(body, "logStreamNamePrefix");
  if (!v.ok()) return v.error();
  if (*v) {
    if (auto s = check_stream_name(**v, "logStreamNamePrefix"); !s.ok()) return s.error();
  }
  return std::move(v).value();
}

Result<std::optional<int64_t>> optional_integer(const Body& body, std::string_view member, int64_t lo, int64_t hi) {
  const rapidjson::Value* v = protocol::member(body, member);
  if (!v) return std::optional<int64_t>();
  if (!v->IsInt64()) return ApiError::serialization(fmt::format("Unexpected type for {}: expected a number", member));
  int64_t n = v->GetInt64();
  if (n < lo) return constraint(std::to_string(n), member, fmt::format("Member must have value greater than or equal to {}", lo));
  if (n > hi) return constraint(std::to_string(n), member, fmt::format("Member must have value less than or equal to {}", hi));
  return std::optional<int64_t>(n);
}

Result<LogGroup> resolve_group(Service& svc, const Ctx& ctx, const Body& body) {
  auto name = optional_group_name(body, "logGroupName");
  if (!name.ok()) return name.error();
  auto identifier = string_member(body, "logGroupIdentifier");
  if (!identifier.ok()) return identifier.error();
  if (*name && *identifier)
    return invalid_parameter("LogGroup name and LogGroup identifier are mutually exclusive parameters.");
  if (!*name && !*identifier) return invalid_parameter("Either logGroupName or logGroupIdentifier must be specified.");
  std::string account = ctx.account, region = ctx.region, group;
  if (*name) {
    group = **name;
  } else {
    std::string_view id = **identifier;
    if (id.empty() || id.size() > 2048) return constraint(fmt::format("'{}'", id), "logGroupIdentifier", "Member must have length between 1 and 2048");
    if (id.starts_with("arn:")) {
      // arn:aws:logs:<region>:<account>:log-group:<name>[:*]
      std::string_view rest = id;
      std::string_view parts[6];
      for (auto& part : parts) {
        size_t colon = rest.find(':');
        if (colon == std::string_view::npos) return invalid_parameter("Invalid log group identifier: " + std::string(id));
        part = rest.substr(0, colon);
        rest.remove_prefix(colon + 1);
      }
      if (parts[2] != "logs" || parts[5] != "log-group") return invalid_parameter("Invalid log group identifier: " + std::string(id));
      if (rest.ends_with(":*")) rest.remove_suffix(2);
      region = std::string(parts[3]);
      account = std::string(parts[4]);
      group = std::string(rest);
    } else {
      group = std::string(id);
    }
    if (auto s = check_group_name(group, "logGroupIdentifier"); !s.ok()) return s.error();
  }
  // Another account's group is not reached (and whether it exists is not told).
  if (account != ctx.account) return group_not_found();
  auto g = svc.find_group(account, region, group);
  if (!g) return group_not_found();
  return std::move(*g);
}

uint64_t allocate_id(storage::WriteTxn& txn) {
  uint64_t next = 1;
  if (auto stored = txn.get(storage::Family::kMeta, kNextIdKey)) next = std::stoull(*stored);
  txn.put(storage::Family::kMeta, kNextIdKey, std::to_string(next + 1));
  return next;
}

void append_events(storage::WriteTxn& txn, const LogGroup& group, LogStream& stream,
                   const std::vector<std::pair<int64_t, std::string_view>>& events, int64_t ingestion_ms) {
  for (const auto& [timestamp, message] : events) {
    uint64_t seq = stream.next_seq++;
    uint64_t ts = static_cast<uint64_t>(std::max<int64_t>(timestamp, 0));
    // No step reads events back: they skip the writer's read overlay.
    txn.put_unread(storage::Family::kLogs, event_key(group.id, ts, stream.id, seq), encode_event(ingestion_ms, message));
    txn.put_unread(storage::Family::kLogs, index_key(stream.id, ts, seq), "");
    stream.first_event = stream.first_event ? std::min(*stream.first_event, timestamp) : timestamp;
    stream.last_event = stream.last_event ? std::max(*stream.last_event, timestamp) : timestamp;
    stream.stored_bytes += message.size();
  }
  if (!events.empty()) stream.last_ingestion = ingestion_ms;
}

Service::Service(storage::Engine& engine, storage::Writer& writer) : engine_(engine), writer_(writer) {}

Service::~Service() { stop(); }

void Service::register_operations(protocol::JsonService& json) {
  using Fn = void (*)(Service&, const Ctx&, const Body&, Reply);
  auto add = [&](const char* name, protocol::OperationTraits traits, Fn fn) {
    json.add(name, traits, [this, fn](const Ctx& ctx, const Body& body, Reply reply) { fn(*this, ctx, body, std::move(reply)); });
  };
  add("CreateLogGroup", protocol::kWrites, create_log_group);
  add("DeleteLogGroup", protocol::kWrites, delete_log_group);
  add("DescribeLogGroups", protocol::kReads, describe_log_groups);
  add("PutRetentionPolicy", protocol::kWrites, put_retention_policy);
  add("DeleteRetentionPolicy", protocol::kWrites, delete_retention_policy);
  add("TagResource", protocol::kWrites, tag_resource);
  add("UntagResource", protocol::kWrites, untag_resource);
  add("ListTagsForResource", protocol::kReads, list_tags_for_resource);
  add("TagLogGroup", protocol::kWrites, tag_log_group);
  add("UntagLogGroup", protocol::kWrites, untag_log_group);
  add("ListTagsLogGroup", protocol::kReads, list_tags_log_group);
  add("CreateLogStream", protocol::kWrites, create_log_stream);
  add("DeleteLogStream", protocol::kWrites, delete_log_stream);
  add("DescribeLogStreams", protocol::kReads, describe_log_streams);
  add("PutLogEvents", protocol::kWrites, put_log_events);
  add("GetLogEvents", protocol::kReads, get_log_events);
  add("FilterLogEvents", protocol::kReads, filter_log_events);
}

std::optional<LogGroup> Service::find_group(std::string_view account, std::string_view region, std::string_view name) {
  auto stored = engine_.get(storage::Family::kMeta, group_key(account, region, name));
  if (!stored) return std::nullopt;
  return decode_group(*stored);
}

std::optional<LogStream> Service::find_stream(uint64_t group_id, std::string_view name) {
  auto stored = engine_.get(storage::Family::kMeta, stream_key(group_id, name));
  if (!stored) return std::nullopt;
  return decode_stream(*stored);
}

std::vector<LogStream> Service::streams_of(uint64_t group_id) {
  std::vector<LogStream> out;
  for (auto it = engine_.scan_prefix(storage::Family::kMeta, stream_prefix(group_id)); it.valid(); it.next()) {
    if (auto s = decode_stream(it.value())) out.push_back(std::move(*s));
  }
  return out;
}

// --- the shipper: function output into log events --------------------------------------------

void Service::start() {
  std::lock_guard lock(mu_);
  if (shipper_.joinable()) return;
  stopping_ = false;
  shipper_ = std::thread([this] {
    name_this_thread("rn-logs-ship");
    ship_loop();
  });
}

void Service::stop() {
  {
    std::lock_guard lock(mu_);
    if (!shipper_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  shipper_.join();
}

void Service::write(const ports::LogTarget& to, int64_t timestamp_ms, std::string_view message) {
  if (message.size() > kMaxEventBytes) message = message.substr(0, kMaxEventBytes);
  size_t bytes = to.group.size() + to.stream.size() + message.size() + 64;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (buffered_bytes_ + bytes > kMaxBufferedBytes || stopping_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (buffered_.empty()) oldest_ = std::chrono::steady_clock::now();
    buffered_.push_back({std::string(to.account), std::string(to.region), std::string(to.group), std::string(to.stream),
                         std::string(message), timestamp_ms});
    buffered_bytes_ += bytes;
    // The shipper waits for the first line (then for its window), or for a full buffer.
    wake = buffered_.size() == 1 || (buffered_bytes_ >= kShipBytes && buffered_bytes_ - bytes < kShipBytes);
  }
  if (wake) wake_.notify_one();
}

// One batch at a time, each once kShipBytes are buffered or the oldest line has waited
// kShipWindow; while a batch is in the writer the lines that come meanwhile gather, and the
// batch's commit wakes this loop for the next.
void Service::ship_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return (!buffered_.empty() && !shipping_) || (stopping_ && !shipping_); });
    if (buffered_.empty()) {
      if (stopping_) return;
      continue;
    }
    if (!stopping_ && buffered_bytes_ < kShipBytes) {
      const auto due = oldest_ + kShipWindow;
      wake_.wait_until(lock, due, [this] { return stopping_ || buffered_bytes_ >= kShipBytes; });
    }
    std::vector<Line> batch;
    if (buffered_.size() <= kMaxLinesPerStep) {
      batch.swap(buffered_);
      buffered_bytes_ = 0;
    } else {
      batch.assign(std::make_move_iterator(buffered_.begin()), std::make_move_iterator(buffered_.begin() + kMaxLinesPerStep));
      buffered_.erase(buffered_.begin(), buffered_.begin() + kMaxLinesPerStep);
      buffered_bytes_ = 0;
      for (const auto& l : buffered_) buffered_bytes_ += l.group.size() + l.stream.size() + l.message.size() + 64;
    }
    shipping_ = true;
    lock.unlock();
    ship(std::move(batch));
    lock.lock();
  }
}

void Service::ship(std::vector<Line> lines) {
  auto batch = std::make_shared<std::vector<Line>>(std::move(lines));
  const size_t count = batch->size();
  writer_.submit(
      [batch](storage::WriteTxn& txn) {
        const int64_t now = wall_ms();
        // Lines by their stream, in the order they came.
        std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<std::pair<int64_t, std::string_view>>>
            by_stream;
        for (const auto& l : *batch) by_stream[{l.account, l.region, l.group, l.stream}].emplace_back(l.timestamp_ms, l.message);
        for (const auto& [where, events] : by_stream) {
          const auto& [account, region, group_name, stream_name] = where;
          LogGroup group;
          std::string gkey = group_key(account, region, group_name);
          if (auto stored = txn.get(storage::Family::kMeta, gkey); stored && decode_group(*stored)) {
            group = *decode_group(*stored);
          } else {
            group.account = account;
            group.region = region;
            group.name = group_name;
            group.id = allocate_id(txn);
            group.creation_time = now;
            txn.put(storage::Family::kMeta, gkey, encode_group(group));
          }
          LogStream stream;
          std::string skey = stream_key(group.id, stream_name);
          if (auto stored = txn.get(storage::Family::kMeta, skey); stored && decode_stream(*stored)) {
            stream = *decode_stream(*stored);
          } else {
            stream.name = stream_name;
            stream.id = allocate_id(txn);
            stream.group_id = group.id;
            stream.creation_time = now;
          }
          append_events(txn, group, stream, events, now);
          txn.put(storage::Family::kMeta, skey, encode_stream(stream));
        }
        return true;
      },
      [this, count](bool committed) {
        if (committed) {
          shipped_.fetch_add(count, std::memory_order_relaxed);
        } else {
          dropped_.fetch_add(count, std::memory_order_relaxed);
          spdlog::warn(R"("event":"logs.ship_failed","lines":{})", count);
        }
        {
          std::lock_guard lock(mu_);
          shipping_ = false;
        }
        wake_.notify_one();
      });
}

// --- retention ---------------------------------------------------------------------------------

void Service::sweep_retention(int64_t now_ms) {
  std::vector<LogGroup> groups;
  for (auto it = engine_.scan_prefix(storage::Family::kMeta, "logs/g/"); it.valid(); it.next()) {
    if (auto g = decode_group(it.value()); g && g->retention_days) groups.push_back(std::move(*g));
  }
  for (const auto& g : groups) {
    int64_t cutoff = now_ms - static_cast<int64_t>(*g.retention_days) * 86'400'000;
    if (cutoff <= 0) continue;
    // The reads already skip what is older than the cutoff: these rows are unreachable.
    std::string lo = event_group_prefix(g.id), hi = lo;
    put_u64(hi, static_cast<uint64_t>(cutoff));
    (void)engine_.delete_range(storage::Family::kLogs, lo, hi);
    for (const auto& s : streams_of(g.id)) {
      std::string slo = index_stream_prefix(s.id), shi = slo;
      put_u64(shi, static_cast<uint64_t>(cutoff));
      (void)engine_.delete_range(storage::Family::kLogs, slo, shi);
    }
  }
}

}  // namespace runnel::logs
