#include "common/clock.h"
#include "streams/service.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "storage/key_codec.h"
#include "streams/record.h"

namespace runnel::streams {

namespace {

// shardId-<20 digits>-<8 hex>, as AWS prints them: the creation time in ms, then a hash that
// makes ids of different streams differ.
std::string new_shard_id(int64_t now_ms, uint64_t stream_id, uint64_t start_seq) {
  uint64_t h = (stream_id * 0x9E3779B97F4A7C15ull) ^ (start_seq * 0xC2B2AE3D27D4EB4Full);
  h ^= h >> 29;
  return fmt::format("shardId-{:020d}-{:08x}", now_ms, static_cast<uint32_t>(h));
}

std::string_view value_record(std::string_view value) { return value.size() >= 8 ? value.substr(8) : std::string_view(); }

int64_t value_time_ms(std::string_view value) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < value.size(); ++i) v = (v << 8) | static_cast<uint8_t>(value[i]);
  return static_cast<int64_t>(v);
}

ApiError trimmed() {
  return {"TrimmedDataAccessException",
          "The operation attempted to read past the oldest stream record in a shard. The data you are trying to access has been trimmed.",
          400, true, "com.amazonaws.dynamodb.v20120810", {}};
}

}  // namespace

Service::Service(storage::Engine& engine, storage::Writer& writer, const ports::TableDirectory& tables, Options options)
    : engine_(engine), writer_(writer), tables_(tables), options_(options) {}

Status Service::start() {
  if (auto next = engine_.get(storage::Family::kMeta, kNextIdKey)) next_stream_id_ = std::stoull(*next);
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kMetaPrefix); it.valid(); it.next()) {
    auto meta = decode_stream_meta(it.value());
    if (!meta.ok()) return meta.error();
    auto stream = std::make_shared<Stream>(std::move(meta).value());
    StreamMeta& m = stream->working;
    // The counter resumes after the last record written, and never inside a shard already opened
    // or closed (an empty shard has no record to find).
    uint64_t next = 1;
    storage::Cursor records = engine_.scan(storage::Family::kStreams);
    std::string last_key = record_key(m.id, std::numeric_limits<uint64_t>::max());
    records.seek_for_prev(last_key);
    if (records.valid() && records.key().starts_with(std::string_view(last_key).substr(0, 9)))
      next = record_key_seq(records.key()) + 1;
    for (const auto& s : m.shards) next = std::max(next, s.end_seq ? *s.end_seq + 1 : s.start_seq);
    stream->next_seq = next;
    stream->committed(next - 1);
    if (!m.shards.back().end_seq) stream->open_shard_records = next - m.shards.back().start_seq;
    next_stream_id_ = std::max(next_stream_id_, m.id + 1);
    // Records below the trim point may have outlived a crash between trim and delete.
    delete_records(m.id, 0, m.trim_seq);
    if (m.enabled) active_by_table_[m.table_id] = stream;
    all_[m.id] = stream;
    by_arn_[stream->arn()] = stream;
  }
  // Records of streams that were forgotten just before a crash.
  storage::Cursor records = engine_.scan(storage::Family::kStreams);
  for (records.seek("r"); records.valid(); ) {
    auto key = records.key();
    if (key.size() != 17 || key[0] != 'r') break;
    uint64_t id = 0;
    for (size_t i = 1; i < 9; ++i) id = (id << 8) | static_cast<uint8_t>(key[i]);
    if (!all_.count(id)) delete_records(id, 0, std::numeric_limits<uint64_t>::max());
    records.seek(record_key(id + 1, 0));
  }
  spdlog::info(R"("event":"streams.loaded","streams":{})", all_.size());
  return ok_status();
}

std::shared_ptr<Stream> Service::find(std::string_view stream_arn) const {
  std::shared_lock lock(registry_mu_);
  auto it = by_arn_.find(stream_arn);
  return it == by_arn_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Stream>> Service::list(std::string_view account, std::string_view region) const {
  std::string prefix = fmt::format("arn:aws:dynamodb:{}:{}:table/", region, account);
  std::vector<std::shared_ptr<Stream>> out;
  std::shared_lock lock(registry_mu_);
  for (auto it = by_arn_.lower_bound(prefix); it != by_arn_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

// --- the write path (apply thread) ------------------------------------------------------------

void Service::item_changed(storage::WriteTxn& txn, const ports::ItemChange& change) {
  auto found = active_by_table_.find(change.table.id);
  if (found == active_by_table_.end()) return;
  const std::shared_ptr<Stream>& stream = found->second;
  int64_t now = wall_ms();
  maybe_rollover(txn, stream, now);
  uint64_t seq = stream->next_seq++;
  std::string json = render_record(change, stream->working.view_type, seq, now);
  std::string value;
  value.reserve(8 + json.size());
  storage::append_u64(value, static_cast<uint64_t>(now));
  value += json;
  txn.put(storage::Family::kStreams, record_key(stream->id(), seq), value);
  ++stream->open_shard_records;
  std::optional<ports::StreamRecord> kept;
  if (stream->keeps_tail()) kept = ports::StreamRecord{seq, now, std::move(json)};
  txn.on_commit([stream, seq, kept = std::move(kept)](bool ok) mutable {
    if (ok) stream->committed(seq, std::move(kept));
  });
}

void Service::table_changed(storage::WriteTxn& txn, const ports::TableRef* before, const ports::TableRef* after) {
  bool had = before && before->stream.enabled;
  bool has = after && after->stream.enabled;
  bool replaced = had && has && before->stream.label != after->stream.label;
  int64_t now = wall_ms();
  if (had && (!has || replaced)) close_stream(txn, before->id, now);
  if (has && (!had || replaced)) create_stream(txn, *after, now);
}

void Service::create_stream(storage::WriteTxn& txn, const ports::TableRef& table, int64_t now_ms) {
  StreamMeta m;
  m.id = next_stream_id_++;
  txn.put(storage::Family::kMeta, kNextIdKey, std::to_string(next_stream_id_));
  m.table_id = table.id;
  m.account = table.account;
  m.region = table.region;
  m.table_name = table.name;
  m.label = table.stream.label;
  m.view_type = table.stream.view_type;
  m.keys = table.keys;
  m.created_ms = now_ms;
  m.shards.push_back({new_shard_id(now_ms, m.id, 1), "", 1, std::nullopt, now_ms});
  auto stream = std::make_shared<Stream>(std::move(m));
  stream->next_seq = 1;
  active_by_table_[table.id] = stream;
  all_[stream->id()] = stream;
  persist(txn, stream);
  txn.on_commit([this, stream](bool ok) {
    if (!ok) return;
    std::unique_lock lock(registry_mu_);
    by_arn_[stream->arn()] = stream;
  });
}

void Service::close_stream(storage::WriteTxn& txn, uint64_t table_id, int64_t now_ms) {
  auto found = active_by_table_.find(table_id);
  if (found == active_by_table_.end()) return;
  auto stream = found->second;
  active_by_table_.erase(found);
  stream->working.enabled = false;
  stream->working.disabled_ms = now_ms;
  roll_over(txn, stream, now_ms, /*open_child=*/false);
}

void Service::maybe_rollover(storage::WriteTxn& txn, const std::shared_ptr<Stream>& stream, int64_t now_ms) {
  const ShardInfo& open = stream->working.shards.back();
  bool full = options_.shard_max_records > 0 && stream->open_shard_records >= options_.shard_max_records;
  bool old = now_ms - open.created_ms >= options_.shard_max_age_ms;
  if (full || old) roll_over(txn, stream, now_ms, /*open_child=*/true);
}

void Service::roll_over(storage::WriteTxn& txn, const std::shared_ptr<Stream>& stream, int64_t now_ms, bool open_child) {
  StreamMeta& m = stream->working;
  ShardInfo& open = m.shards.back();
  // The shard ends at its last record (an empty shard at its start), and the child's range begins
  // right after, so sequence numbers stay increasing across the lineage.
  uint64_t end = std::max(open.start_seq, stream->next_seq - 1);
  open.end_seq = end;
  stream->next_seq = end + 1;
  if (open_child) {
    std::string parent = open.id;
    m.shards.push_back({new_shard_id(now_ms, m.id, end + 1), parent, end + 1, std::nullopt, now_ms});
    stream->open_shard_records = 0;
  }
  persist(txn, stream);
}

void Service::persist(storage::WriteTxn& txn, const std::shared_ptr<Stream>& stream) {
  txn.put(storage::Family::kMeta, meta_key(stream->id()), encode_stream_meta(stream->working));
  auto snapshot = std::make_shared<const StreamMeta>(stream->working);
  txn.on_commit([stream, snapshot](bool ok) {
    if (ok) stream->publish(snapshot);
  });
}

// --- reads ------------------------------------------------------------------------------------

Result<ShardRead> Service::read(const Stream& stream, uint64_t shard_start, uint64_t from_seq, size_t limit,
                                size_t max_bytes) const {
  // committed_seq first: a rollover is published before the first record of its child commits,
  // so a snapshot taken after it shows every shard the records up to `committed` belong to.
  uint64_t committed = stream.committed_seq();
  auto meta = stream.snapshot();
  if (from_seq < meta->trim_seq) return trimmed();
  const ShardInfo* shard = meta->shard_at(shard_start);
  if (!shard) return ApiError::resource_not_found("Requested resource not found: Shard does not exist");
  uint64_t upper = shard->end_seq ? *shard->end_seq + 1 : committed + 1;  // exclusive
  ShardRead out;
  out.next_seq = std::max(from_seq, shard->start_seq);
  size_t bytes = 0;
  auto take = [&](uint64_t seq, int64_t written_ms, std::string_view record) {
    if (out.records.size() >= limit || (bytes + record.size() > max_bytes && !out.records.empty())) return false;
    bytes += record.size();
    out.records.push_back({seq, written_ms, std::string(record)});
    out.next_seq = seq + 1;
    return true;
  };
  // What the latest commits added comes from memory; older records from the store.
  std::optional<bool> from_tail = stream.tail().visit(out.next_seq, upper, take);
  bool exhausted = from_tail ? *from_tail : scan_records(stream.id(), out.next_seq, upper, [&](uint64_t seq, std::string_view value) {
    return take(seq, value_time_ms(value), value_record(value));
  });
  if (exhausted) out.next_seq = std::max(out.next_seq, upper);
  out.shard_end = shard->end_seq && out.next_seq > *shard->end_seq;
  return out;
}

std::optional<ports::StreamView> Service::describe(std::string_view stream_arn) const {
  auto stream = find(stream_arn);
  if (!stream) return std::nullopt;
  ports::StreamView view;
  view.committed_seq = stream->committed_seq();  // before the snapshot, as in read()
  auto meta = stream->snapshot();
  view.arn = stream->arn();
  view.account = meta->account;
  view.region = meta->region;
  view.table_name = meta->table_name;
  view.view_type = meta->view_type;
  view.enabled = meta->enabled;
  view.trim_seq = meta->trim_seq;
  for (const auto& shard : meta->shards) view.shards.push_back({shard.id, shard.parent_id, shard.start_seq, shard.end_seq});
  return view;
}

Result<ports::ShardBatch> Service::read(std::string_view stream_arn, uint64_t shard_start, uint64_t from_seq,
                                        size_t limit, size_t max_bytes) const {
  auto stream = find(stream_arn);
  if (!stream) return ApiError::resource_not_found("Requested resource not found: Stream does not exist");
  return read(*stream, shard_start, from_seq, limit, max_bytes);
}

uint64_t Service::subscribe(std::string_view stream_arn, std::function<void()> wake) {
  auto stream = find(stream_arn);
  return stream ? stream->subscribe(std::move(wake)) : 0;
}

void Service::unsubscribe(std::string_view stream_arn, uint64_t token) {
  if (auto stream = find(stream_arn)) stream->unsubscribe(token);
}

bool Service::scan_records(uint64_t stream_id, uint64_t from_seq, uint64_t to_seq,
                           const std::function<bool(uint64_t seq, std::string_view value)>& visit) const {
  if (from_seq >= to_seq) return true;
  std::string lo = record_key(stream_id, from_seq);
  std::string hi = record_key(stream_id, to_seq);
  storage::ScanOptions options;
  options.upper = hi;
  // Stream reads are one pass over records most consumers read once: they must not evict the
  // items' hot blocks from the shared block cache, and a drain of a large shard stays flat in memory.
  options.fill_cache = false;
  storage::Cursor it = engine_.scan(storage::Family::kStreams, options);
  for (it.seek(lo); it.valid(); it.next())
    if (!visit(record_key_seq(it.key()), it.value())) return false;
  return true;
}

// --- upkeep -----------------------------------------------------------------------------------

Service::TrimPlan Service::plan_trim(const std::shared_ptr<Stream>& stream, int64_t now_ms) const {
  TrimPlan plan;
  plan.stream = stream;
  int64_t cutoff = now_ms - options_.retention_ms;
  uint64_t committed = stream->committed_seq();
  auto meta = stream->snapshot();
  plan.trim_seq = meta->trim_seq;
  if (!meta->enabled && meta->disabled_ms <= cutoff) {
    plan.forget = true;
    return plan;
  }
  // Records are in time order, so the trim point is the first record young enough to keep.
  constexpr size_t kMaxScan = 200000;
  size_t scanned = 0;
  bool exhausted = scan_records(stream->id(), meta->trim_seq, committed + 1, [&](uint64_t seq, std::string_view value) {
    if (value_time_ms(value) > cutoff || ++scanned > kMaxScan) return false;
    plan.trim_seq = seq + 1;
    return true;
  });
  if (exhausted) plan.trim_seq = std::max(plan.trim_seq, committed + 1);
  // A closed shard whose child was opened before the cutoff holds nothing younger: drop it.
  // (The last shard is never dropped: a disabled stream stays describable until it is forgotten.)
  for (size_t i = 0; i + 1 < meta->shards.size(); ++i) {
    const ShardInfo& s = meta->shards[i];
    if (meta->shards[i + 1].created_ms <= cutoff || (s.end_seq && *s.end_seq < plan.trim_seq)) {
      plan.drop_shards.push_back(s.id);
      plan.trim_seq = std::max(plan.trim_seq, *s.end_seq + 1);
    }
  }
  return plan;
}

void Service::sweep(int64_t now_ms) {
  std::vector<TrimPlan> plans;
  bool rollover_due = false;
  {
    std::vector<std::shared_ptr<Stream>> streams;
    {
      std::shared_lock lock(registry_mu_);
      for (const auto& [arn, s] : by_arn_) streams.push_back(s);
    }
    for (const auto& s : streams) {
      auto meta = s->snapshot();
      const ShardInfo& last = meta->shards.back();
      if (meta->enabled && last.open() && now_ms - last.created_ms >= options_.shard_max_age_ms) rollover_due = true;
      TrimPlan plan = plan_trim(s, now_ms);
      if (plan.forget || !plan.drop_shards.empty() || plan.trim_seq > meta->trim_seq) plans.push_back(std::move(plan));
    }
  }
  if (plans.empty() && !rollover_due) return;
  auto done = std::make_shared<std::promise<bool>>();
  auto finished = done->get_future();
  // Old records go in two steps: the new trim point commits first, then the records are deleted
  // outside the writer (a crash in between leaves records that start() deletes).
  auto deletions = std::make_shared<std::vector<std::tuple<uint64_t, uint64_t, uint64_t>>>();
  writer_.submit(
      [this, now_ms, plans, deletions](storage::WriteTxn& txn) {
        for (auto& [table_id, stream] : active_by_table_) maybe_rollover(txn, stream, now_ms);
        for (const auto& plan : plans) {
          auto& stream = plan.stream;
          StreamMeta& m = stream->working;
          if (plan.forget) {
            if (m.enabled) continue;  // cannot happen: a forgotten stream is disabled
            txn.del(storage::Family::kMeta, meta_key(stream->id()));
            all_.erase(stream->id());
            deletions->emplace_back(stream->id(), 0, std::numeric_limits<uint64_t>::max());
            txn.on_commit([this, stream](bool ok) {
              if (!ok) return;
              std::unique_lock lock(registry_mu_);
              by_arn_.erase(stream->arn());
            });
            continue;
          }
          uint64_t old_trim = m.trim_seq;
          m.trim_seq = std::max(m.trim_seq, plan.trim_seq);
          std::erase_if(m.shards, [&](const ShardInfo& s) {
            return s.end_seq && std::find(plan.drop_shards.begin(), plan.drop_shards.end(), s.id) != plan.drop_shards.end();
          });
          deletions->emplace_back(stream->id(), old_trim, m.trim_seq);
          persist(txn, stream);
        }
        return true;
      },
      [done](bool committed) { done->set_value(committed); });
  if (!finished.get()) return;
  for (const auto& [id, from, to] : *deletions)
    if (to > from) delete_records(id, from, to);
}

void Service::delete_records(uint64_t stream_id, uint64_t from_seq, uint64_t to_seq) {
  if (to_seq <= from_seq) return;
  std::string lo = record_key(stream_id, from_seq);
  std::string hi = to_seq == std::numeric_limits<uint64_t>::max() ? record_key(stream_id + 1, 0) : record_key(stream_id, to_seq);
  // Outside the writer, after the commit that stored the new trim point or forgot the stream (and at
  // start-up, for deletes a crash lost): the records are unreachable from that commit on, so the
  // delete needs no place in the writer's batch (storage::Engine::delete_range).
  (void)engine_.delete_range(storage::Family::kStreams, lo, hi);  // as before: a failure only leaves garbage
}

}  // namespace runnel::streams
