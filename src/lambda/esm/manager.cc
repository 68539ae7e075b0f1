// The event source mapping API and the mappings' lifecycle. The pollers are in stream_poller.cc
// and queue_poller.cc.
#include "lambda/esm/manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/json_parse.h"
#include "common/json_write.h"
#include "common/uuid.h"
#include "lambda/esm/batch.h"
#include "lambda/esm/runner.h"
#include "lambda/function.h"
#include "protocol/rest.h"
#include "protocol/query_codec.h"

namespace runnel::lambda::esm {

namespace {

ApiError mapping_not_found() { return not_found("The resource you requested does not exist."); }

std::string query_value(std::string_view query, std::string_view name) {
  auto params = protocol::parse_form(query);
  const std::string* v = protocol::find_param(params, name);
  return v ? *v : std::string();
}

std::vector<pattern::FilterPolicy> compile_filters(const Mapping& m) {
  std::vector<pattern::FilterPolicy> out;
  for (const auto& f : m.filters)
    if (auto p = pattern::FilterPolicy::parse(f, pattern::FilterScope::kMessageBody, pattern::Limits::kNone); p.ok())
      out.push_back(std::move(*p));
  return out;
}

}  // namespace

Manager::Manager(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler,
                 ports::StreamSource& streams, ports::QueueSource* queues, const ports::Deliverer& deliverer, Hooks hooks)
    : engine_(engine), writer_(writer), scheduler_(scheduler), streams_(streams), queues_(queues), deliverer_(deliverer),
      hooks_(std::move(hooks)) {}

Manager::~Manager() { stop(); }

Status Manager::start() {
  std::map<std::string, std::map<uint64_t, std::string>> checkpoints;  // uuid -> shard start -> value
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kCheckpointPrefix); it.valid(); it.next()) {
    std::string key(it.key().substr(kCheckpointPrefix.size()));
    size_t slash = key.find('/');
    if (slash == std::string::npos) continue;
    checkpoints[key.substr(0, slash)][std::stoull(key.substr(slash + 1))] = std::string(it.value());
  }
  // uuid -> shard start -> lane -> {"start", "state"}
  std::map<std::string, std::map<uint64_t, std::map<size_t, std::string>>> windows;
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kWindowPrefix); it.valid(); it.next()) {
    std::string key(it.key().substr(kWindowPrefix.size()));
    size_t a = key.find('/'), b = key.rfind('/');
    if (a == std::string::npos || b == a) continue;
    windows[key.substr(0, a)][std::stoull(key.substr(a + 1, b - a - 1))][std::stoul(key.substr(b + 1))] = std::string(it.value());
  }
  size_t loaded = 0;
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kMappingPrefix); it.valid(); it.next()) {
    auto m = decode_mapping(it.value());
    if (!m.ok()) return std::move(m).error();
    auto runner = std::make_shared<Runner>();
    runner->filters = compile_filters(*m);
    runner->mapping = std::move(*m);
    for (const auto& [start, value] : checkpoints[runner->mapping.uuid]) {
      Shard& s = runner->shards[start];
      s.span.start_seq = start;
      s.next_seq = std::stoull(value);
      s.done = value.ends_with(":end");
    }
    // Open tumbling windows come back with their lanes (a changed factor starts them anew).
    size_t factor = static_cast<size_t>(std::max(1, runner->mapping.parallelization));
    for (const auto& [start, lanes] : windows[runner->mapping.uuid]) {
      Shard& s = runner->shards[start];
      s.span.start_seq = start;
      s.lanes.resize(factor);
      for (const auto& [lane, text] : lanes) {
        rapidjson::Document d;
        if (lane >= factor || !json::parse(d, text) || !d.IsObject() || !d.HasMember("start") || !d["start"].IsInt64() ||
            !d.HasMember("state") || !d["state"].IsObject())
          continue;
        s.lanes[lane].window_start_ms = d["start"].GetInt64();
        rapidjson::StringBuffer sb;
        JsonWriter w(sb);
        d["state"].Accept(w);
        s.lanes[lane].window_state = finish_json(sb);
      }
    }
    runners_[runner->mapping.uuid] = std::move(runner);
    ++loaded;
  }
  spdlog::info(R"("event":"lambda.esm_loaded","mappings":{})", loaded);
  return ok_status();
}

void Manager::serve() {
  thread_ = std::thread([this] { run_loop(); });
  serving_ = true;
  std::shared_lock lock(mu_);
  for (const auto& [uuid, runner] : runners_) activate(runner);
}

void Manager::stop() {
  {
    std::lock_guard lock(jobs_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  jobs_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // The esm thread is gone: its state is this thread's now. Parked receives end (their answers
  // find no thread to post to); messages already taken return after their visibility timeout.
  std::shared_lock lock(mu_);
  for (const auto& [uuid, runner] : runners_) {
    if (runner->subscription) streams_.unsubscribe(runner->mapping.source_arn, runner->subscription);
    end_queue_polls(runner);
  }
}

void Manager::activate(const std::shared_ptr<Runner>& runner) {
  std::weak_ptr<Runner> weak = runner;
  post([this, runner, weak] {
    std::string source;
    {
      std::lock_guard lock(runner->mu);
      source = runner->mapping.source_arn;
    }
    if (Mapping::is_queue_arn(source)) return pump(runner);  // a queue wakes its polls itself
    if (runner->subscription == 0)
      runner->subscription = streams_.subscribe(source, [this, weak] {
        if (auto r = weak.lock()) wake(r);
      });
    pump(runner);
    publish_health(runner);  // the stored positions, before the first batch moves one
  });
}

size_t Manager::size() const {
  std::shared_lock lock(mu_);
  return runners_.size();
}

Lookup Manager::lookup_for(const protocol::RequestContext& ctx) const {
  Lookup lookup;
  lookup.function_arn = [this, account = ctx.account, region = ctx.region](std::string_view given) {
    return hooks_.resolve_function(account, region, given);
  };
  lookup.stream_exists = [this](std::string_view arn) {
    auto view = streams_.describe(arn);
    return view && view->enabled;
  };
  lookup.queue_exists = [this, account = ctx.account, region = ctx.region](std::string_view arn) {
    auto info = queues_ ? queues_->describe_queue(arn) : std::nullopt;
    // Another account's queue is not reachable: runnel has no execution roles to allow it.
    return info && info->account == account && info->region == region;
  };
  return lookup;
}

std::shared_ptr<Manager::Runner> Manager::find(const protocol::RequestContext& ctx, std::string_view uuid) const {
  std::shared_lock lock(mu_);
  auto it = runners_.find(uuid);
  if (it == runners_.end() || it->second->deleted) return nullptr;
  // Another account's mapping does not exist for this caller.
  if (it->second->mapping.account != ctx.account || it->second->mapping.region != ctx.region) return nullptr;
  return it->second;
}

void Manager::handle(const protocol::RequestContext& ctx, protocol::RestRequest& request, std::string_view uuid,
                     protocol::Reply reply) {
  std::string_view method = request.method;
  if (uuid.empty()) {
    if (method == "POST") return create(ctx, request, std::move(reply));
    if (method == "GET") return list(ctx, request, std::move(reply));
  } else {
    if (method == "GET") return get(ctx, uuid, std::move(reply));
    if (method == "PUT") return update(ctx, request, uuid, std::move(reply));
    if (method == "DELETE") return remove(ctx, uuid, std::move(reply));
  }
  reply(protocol::rest_json_error({"UnknownOperationException", fmt::format("Unknown operation {} {}", method, request.path), 404, true,
                        "com.amazonaws.lambda", {}}));
}

void Manager::create(const protocol::RequestContext& ctx, protocol::RestRequest& request, protocol::Reply reply) {
  rapidjson::Document body;
  if (!json::parse(body, request.body.empty() ? std::string_view("{}") : std::string_view(request.body)) || !body.IsObject())
    return reply(protocol::rest_json_error({"InvalidRequestContentException", "Could not parse request body into json", 400, true,
                                 "com.amazonaws.lambda", {}}));
  auto parsed = parse_create(body, lookup_for(ctx));
  if (!parsed.ok()) return reply(protocol::rest_json_error(parsed.error()));
  Mapping m = std::move(*parsed);
  m.uuid = new_uuid();
  m.account = ctx.account;
  m.region = ctx.region;
  m.last_modified_ms = wall_ms();
  {
    std::shared_lock lock(mu_);
    for (const auto& [uuid, other] : runners_) {
      std::lock_guard other_lock(other->mu);
      if (other->deleted || other->mapping.source_arn != m.source_arn || other->mapping.function_arn != m.function_arn)
        continue;
      std::string function_name = m.function_arn.substr(m.function_arn.rfind(":function:") + 10);
      if (m.from_queue())
        return reply(protocol::rest_json_error(conflict(fmt::format(
            "An event source mapping with SQS arn (\" {} \") and function (\" {} \") already exists. Please update or delete the existing mapping with UUID {}",
            m.source_arn, function_name, uuid))));
      return reply(protocol::rest_json_error(conflict(fmt::format(
          "The event source arn (\" {} \") and function (\" {} \") provided mapping already exists. Please update or delete the existing mapping with UUID {}",
          m.source_arn, function_name, uuid))));
    }
  }
  auto runner = std::make_shared<Runner>();
  runner->filters = compile_filters(m);
  runner->mapping = m;
  runner->created = true;
  // LATEST: every record committed so far is behind the mapping. The positions are stored with it.
  std::map<uint64_t, std::string> initial;
  if (!m.from_queue() && m.starting_position == "LATEST") {
    if (auto view = streams_.describe(m.source_arn)) {
      for (const auto& span : view->shards) {
        Shard& s = runner->shards[span.start_seq];
        s.span = span;
        if (span.end_seq) {
          s.next_seq = *span.end_seq + 1;
          s.done = true;
          initial[span.start_seq] = fmt::format("{}:end", s.next_seq);
        } else {
          s.next_seq = std::max(view->committed_seq + 1, span.start_seq);
          initial[span.start_seq] = std::to_string(s.next_seq);
        }
      }
    }
  }
  std::string rendered = render_mapping(m, "Creating", "No records processed");
  writer_.submit(
      [record = encode_mapping(m), uuid = m.uuid, initial](storage::WriteTxn& txn) {
        txn.put(storage::Family::kMeta, mapping_key(uuid), record);
        for (const auto& [start, value] : initial) txn.put(storage::Family::kMeta, checkpoint_key(uuid, start), value);
        return true;
      },
      [this, runner, rendered = std::move(rendered), reply = std::move(reply)](bool committed) {
        if (!committed) return reply(protocol::rest_json_error({"ServiceException", "The mapping could not be stored", 500, false, "com.amazonaws.lambda", {}}));
        {
          std::unique_lock lock(mu_);
          runners_[runner->mapping.uuid] = runner;
        }
        if (serving_) activate(runner);
        reply(protocol::rest_json_response(202, rendered));
      });
}

void Manager::get(const protocol::RequestContext& ctx, std::string_view uuid, protocol::Reply reply) {
  auto runner = find(ctx, uuid);
  if (!runner) return reply(protocol::rest_json_error(mapping_not_found()));
  std::lock_guard lock(runner->mu);
  const char* state = runner->mapping.enabled ? "Enabled" : "Disabled";
  reply(protocol::rest_json_response(200, render_mapping(runner->mapping, state, runner->last_result)));
}

void Manager::update(const protocol::RequestContext& ctx, protocol::RestRequest& request, std::string_view uuid,
                     protocol::Reply reply) {
  auto runner = find(ctx, uuid);
  if (!runner) return reply(protocol::rest_json_error(mapping_not_found()));
  rapidjson::Document body;
  if (!json::parse(body, request.body.empty() ? std::string_view("{}") : std::string_view(request.body)) || !body.IsObject())
    return reply(protocol::rest_json_error({"InvalidRequestContentException", "Could not parse request body into json", 400, true,
                                 "com.amazonaws.lambda", {}}));
  Mapping next;
  {
    std::lock_guard lock(runner->mu);
    next = runner->mapping;
  }
  bool was_enabled = next.enabled;
  if (auto s = apply_update(next, body, lookup_for(ctx)); !s.ok()) return reply(protocol::rest_json_error(s.error()));
  next.last_modified_ms = wall_ms();
  std::string state = next.enabled == was_enabled ? "Updating" : next.enabled ? "Enabling" : "Disabling";
  writer_.submit(
      [record = encode_mapping(next), uuid = next.uuid](storage::WriteTxn& txn) {
        txn.put(storage::Family::kMeta, mapping_key(uuid), record);
        return true;
      },
      [this, runner, next, state, reply = std::move(reply)](bool committed) {
        if (!committed) return reply(protocol::rest_json_error({"ServiceException", "The mapping could not be stored", 500, false, "com.amazonaws.lambda", {}}));
        std::string rendered;
        {
          std::lock_guard lock(runner->mu);
          runner->mapping = next;
          runner->filters = compile_filters(next);
          rendered = render_mapping(next, state, runner->last_result);
        }
        if (next.from_queue()) {
          // The polls running end; new ones start with the new settings.
          post([this, runner] {
            end_queue_polls(runner);
            pump(runner);
          });
        } else {
          wake(runner);
        }
        reply(protocol::rest_json_response(202, rendered));
      });
}

void Manager::remove(const protocol::RequestContext& ctx, std::string_view uuid, protocol::Reply reply) {
  auto runner = find(ctx, uuid);
  if (!runner) return reply(protocol::rest_json_error(mapping_not_found()));
  std::string rendered;
  std::string id(uuid);
  {
    std::lock_guard lock(runner->mu);
    rendered = render_mapping(runner->mapping, "Deleting", runner->last_result);
  }
  runner->deleted = true;
  writer_.submit(
      [id](storage::WriteTxn& txn) {
        txn.del(storage::Family::kMeta, mapping_key(id));
        std::vector<std::string> keys;
        for (std::string_view prefix : {kCheckpointPrefix, kWindowPrefix})
          txn.scan_prefix(storage::Family::kMeta, std::string(prefix) + id + "/",
                          [&](std::string_view key, std::string_view) { keys.emplace_back(key); });
        for (const auto& k : keys) txn.del(storage::Family::kMeta, k);
        return true;
      },
      [this, runner, id, rendered = std::move(rendered), reply = std::move(reply)](bool committed) {
        if (!committed) {
          runner->deleted = false;
          return reply(protocol::rest_json_error({"ServiceException", "The mapping could not be deleted", 500, false, "com.amazonaws.lambda", {}}));
        }
        {
          std::unique_lock lock(mu_);
          runners_.erase(id);
        }
        post([this, runner] {
          if (runner->subscription) streams_.unsubscribe(runner->mapping.source_arn, runner->subscription);
          runner->subscription = 0;
          end_queue_polls(runner);
        });
        reply(protocol::rest_json_response(202, rendered));
      });
}

void Manager::list(const protocol::RequestContext& ctx, protocol::RestRequest& request, protocol::Reply reply) {
  std::string function = query_value(request.query_string, "FunctionName");
  std::string source = query_value(request.query_string, "EventSourceArn");
  std::string marker = query_value(request.query_string, "Marker");
  std::string max_text = query_value(request.query_string, "MaxItems");
  int max_items = 100;
  if (!max_text.empty()) {
    max_items = std::atoi(max_text.c_str());
    if (max_items < 1 || max_items > 10000)
      return reply(protocol::rest_json_error({"ValidationException",
                                   fmt::format("1 validation error detected: Value '{}' at 'maxItems' failed to satisfy constraint: Member must have value {} {}",
                                               max_text, max_items < 1 ? "greater than or equal to" : "less than or equal to",
                                               max_items < 1 ? 1 : 10000),
                                   400, true, "com.amazonaws.lambda", {}}));
  }
  std::string function_arn;
  if (!function.empty()) {
    function_arn = hooks_.resolve_function(ctx.account, ctx.region, function);
    if (function_arn.empty()) return reply(protocol::rest_json_error(not_found("Function does not exist")));
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("EventSourceMappings");
  w.StartArray();
  std::string next_marker;
  int count = 0;
  {
    std::shared_lock lock(mu_);
    for (auto it = marker.empty() ? runners_.begin() : runners_.upper_bound(marker); it != runners_.end(); ++it) {
      const auto& runner = it->second;
      std::lock_guard runner_lock(runner->mu);
      const Mapping& m = runner->mapping;
      if (runner->deleted || m.account != ctx.account || m.region != ctx.region) continue;
      if (!function_arn.empty() && m.function_arn != function_arn) continue;
      if (!source.empty() && m.source_arn != source) continue;
      if (count == max_items) {
        next_marker = std::prev(it)->first;
        break;
      }
      std::string one = render_mapping(m, m.enabled ? "Enabled" : "Disabled", runner->last_result);
      w.RawValue(one.data(), one.size(), rapidjson::kObjectType);
      ++count;
    }
  }
  w.EndArray();
  if (!next_marker.empty()) key_string(w, "NextMarker", next_marker);
  w.EndObject();
  reply(protocol::rest_json_response(200, finish_json(sb)));
}

void Manager::write_health(JsonWriter& w) const {
  w.StartArray();
  std::shared_lock lock(mu_);
  for (const auto& [uuid, runner] : runners_) {
    w.StartObject();
    key_string(w, "uuid", uuid);
    {
      std::lock_guard runner_lock(runner->mu);
      key_string(w, "function", runner->mapping.function_arn);
      key_string(w, "source", runner->mapping.source_arn);
      key_string(w, "state", runner->mapping.enabled ? "Enabled" : "Disabled");
      key_string(w, "last_processing_result", runner->last_result);
      if (!runner->mapping.from_queue()) {
        // Each shard's checkpoint (the next sequence number to deliver) and what is read ahead.
        w.Key("shards");
        w.StartArray();
        for (const auto& shard : runner->shard_health) {
          w.StartObject();
          key_string(w, "shard_id", shard.id);
          key_string(w, "checkpoint", format_sequence(shard.checkpoint));
          w.Key("finished");
          w.Bool(shard.done);
          w.Key("buffered");
          w.Uint64(shard.buffered);
          w.Key("batches_in_flight");
          w.Uint64(shard.in_flight);
          w.EndObject();
        }
        w.EndArray();
      }
    }
    auto counter = [&](const char* name, const std::atomic<uint64_t>& v) {
      w.Key(name);
      w.Uint64(v.load());
    };
    counter("polled", runner->polled);
    counter("filtered_out", runner->filtered_out);
    counter("invoked", runner->invoked);
    counter("failed", runner->failed);
    counter("dropped", runner->dropped);
    counter("on_failure_delivered", runner->on_failure_sent);
    counter("throttled", runner->throttled);
    counter("batches", runner->batches);
    counter("largest_batch", runner->largest_batch);
    w.Key("average_batch");
    w.Double(runner->batches ? static_cast<double>(runner->batch_records) / static_cast<double>(runner->batches) : 0.0);
    w.Key("iterator_age_ms");
    w.Int64(runner->iterator_age_ms.load());
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace runnel::lambda::esm
