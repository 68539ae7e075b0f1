// CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable (+ DescribeEndpoints/Limits).
// Table changes go through the storage writer like item writes, so they are ordered with them and
// committed atomically with their catalog entry. Tables are ACTIVE as soon as they are committed.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html
#include <atomic>
#include <chrono>
#include <random>
#include <set>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"
#include "dynamodb/request_util.h"
#include "dynamodb/table_defs.h"
#include "storage/key_codec.h"

namespace runnel::dynamodb {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48,
                     b & 0xffffffffffffULL);
}

std::string describe(Env& env, const TableInfo& t, std::string_view status, const char* wrapper) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key(wrapper);
  auto stats = env.catalog.stats(t.id);
  write_table_description(w, t, status, stats ? stats->item_count.load() : 0, stats ? stats->size_bytes.load() : 0);
  w.EndObject();
  return finish(sb);
}

// Removes the stored rows of dropped tables/indexes once their catalog change has committed (called
// from the writer's done callback, after the reply). Ids are never reused, so from that commit on
// the rows are unreachable: the range delete needs no place in the writer's batch, and one a crash
// loses leaves only unreachable rows (storage::Engine::delete_range).
void drop_ranges(Env& env, std::vector<std::pair<storage::Family, uint64_t>> ranges) {
  for (auto [family, id] : ranges) {
    std::string begin = table_prefix(id);
    std::string end = storage::prefix_successor(begin);
    (void)env.engine.delete_range(family, begin, end);  // as before: a failure only leaves garbage
  }
}

}  // namespace

// The label is the stream's creation time (UTC, milliseconds). Labels never repeat in this process,
// so a stream re-enabled within one millisecond still gets a new ARN.
std::string new_stream_label() {
  static std::atomic<int64_t> last_ms{0};
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t prev = last_ms.load();
  int64_t ms = 0;
  do {
    ms = std::max(now, prev + 1);
  } while (!last_ms.compare_exchange_weak(prev, ms));
  auto seconds = std::chrono::system_clock::time_point(std::chrono::seconds(ms / 1000));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)), ms % 1000);
}

RUNNEL_DDB_OP(create_table) {
  auto decoded = [&]() -> Result<std::shared_ptr<TableInfo>> {
    auto t = std::make_shared<TableInfo>();
    RUNNEL_TRY(t->name, required_string(body, "TableName", "tableName"));
    RUNNEL_CHECK(validate_name(t->name, "tableName"));
    t->account = ctx.account;
    t->region = ctx.region;
    RUNNEL_CHECK(decode_table_definition(body, *t));
    return t;
  }();
  if (!decoded.ok()) return reply(decoded.error());
  auto table = std::move(decoded).value();
  table->table_uuid = new_uuid();
  table->creation_time = now_seconds();
  if (table->stream.enabled) table->stream.label = new_stream_label();

  env.writer.run<Ok>(
      [&env, table](storage::WriteTxn& txn) -> Status {
        if (env.catalog.find(table->account, table->region, table->name))
          return ApiError::resource_in_use("Table already exists: " + table->name);
        table->id = env.catalog.allocate_id(txn);
        for (auto& i : table->global_indexes) i.id = env.catalog.allocate_id(txn);
        for (auto& i : table->local_indexes) i.id = env.catalog.allocate_id(txn);
        env.catalog.put(txn, table);
        env.service.table_changed(txn, nullptr, table.get());
        return ok_status();
      },
      [&env, table, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        // Real DynamoDB answers CREATING; the table is ACTIVE by the first DescribeTable.
        reply(describe(env, *table, "CREATING", "TableDescription"));
      });
}

RUNNEL_DDB_OP(describe_table) {
  auto name = required_string(body, "TableName", "tableName");
  if (!name.ok()) return reply(name.error());
  auto t = resolve_table(env, ctx, body);
  if (!t.ok() && t.error().code == "AccessDeniedException") return reply(t.error());  // another account's
  if (!t.ok()) return reply(ApiError::resource_not_found("Requested resource not found: Table: " + *name + " not found"));
  reply(describe(env, **t, "ACTIVE", "Table"));
}

RUNNEL_DDB_OP(list_tables) {
  int64_t limit = 100;
  if (const JsonValue* l = member(body, "Limit")) {
    if (!l->IsInt64()) return reply(ApiError::serialization("Unexpected type for Limit"));
    limit = l->GetInt64();
    if (limit < 1 || limit > 100)
      return reply(constraint_error(std::to_string(limit), "limit",
                                    limit < 1 ? "Member must have value greater than or equal to 1"
                                              : "Member must have value less than or equal to 100"));
  }
  auto start = optional_string(body, "ExclusiveStartTableName");
  if (!start.ok()) return reply(start.error());
  auto names = env.catalog.list(ctx.account, ctx.region);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("TableNames");
  w.StartArray();
  int64_t n = 0;
  std::string last;
  bool more = false;
  for (const auto& name : names) {
    if (*start && name <= **start) continue;
    if (n == limit) {
      more = true;
      break;
    }
    w.String(name.c_str());
    last = name;
    ++n;
  }
  w.EndArray();
  if (more) {
    w.Key("LastEvaluatedTableName");
    w.String(last.c_str());
  }
  w.EndObject();
  reply(finish(sb));
}

RUNNEL_DDB_OP(delete_table) {
  auto name = required_string(body, "TableName", "tableName");
  if (!name.ok()) return reply(name.error());
  auto found = resolve_table(env, ctx, body);
  if (!found.ok() && found.error().code == "AccessDeniedException") return reply(found.error());  // another account's
  if (!found.ok()) return reply(ApiError::resource_not_found("Requested resource not found: Table: " + *name + " not found"));
  auto table = *found;
  if (table->deletion_protection)
    return reply(ApiError::validation(
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."));
  env.writer.run<Ok>(
      [&env, table](storage::WriteTxn& txn) -> Status {
        auto current = env.catalog.find(table->account, table->region, table->name);
        if (!current || current->id != table->id)
          return ApiError::resource_not_found("Requested resource not found: Table: " + table->name + " not found");
        env.service.table_changed(txn, current.get(), nullptr);
        env.catalog.remove(txn, *current);
        return ok_status();
      },
      [&env, table, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        std::vector<std::pair<storage::Family, uint64_t>> ranges{{storage::Family::kItems, table->id}};
        for (const auto& i : table->global_indexes) ranges.emplace_back(storage::Family::kIndexes, i.id);
        for (const auto& i : table->local_indexes) ranges.emplace_back(storage::Family::kIndexes, i.id);
        reply(describe(env, *table, "DELETING", "TableDescription"));
        drop_ranges(env, std::move(ranges));
      });
}

RUNNEL_DDB_OP(update_table) {
  auto name = required_string(body, "TableName", "tableName");
  if (!name.ok()) return reply(name.error());
  auto found = resolve_table(env, ctx, body);
  if (!found.ok() && found.error().code == "AccessDeniedException") return reply(found.error());  // another account's
  if (!found.ok()) return reply(ApiError::resource_not_found("Requested resource not found: Table: " + *name + " not found"));

  // Decode the change against the current definition to report input errors early; the writer
  // re-applies it to the definition current at commit time.
  auto change = decode_table_update(body, **found);
  if (!change.ok()) return reply(change.error());
  auto update = std::make_shared<TableUpdate>(std::move(change).value());

  // The step's value: the new definition and the ids of the indexes it dropped.
  struct Updated {
    std::shared_ptr<const TableInfo> table;
    std::vector<uint64_t> dropped;
  };
  auto table = *found;
  env.writer.run<Updated>(
      [&env, table, update](storage::WriteTxn& txn) -> Result<Updated> {
        auto current = env.catalog.find(table->account, table->region, table->name);
        if (!current || current->id != table->id)
          return ApiError::resource_not_found("Requested resource not found: Table: " + table->name + " not found");
        auto next = apply_table_update(*current, *update);
        if (!next.ok()) return next.error();
        auto t = std::make_shared<TableInfo>(std::move(next).value());
        Updated out;
        if (update->create_index) {
          IndexInfo& created = t->global_indexes.back();
          created.id = env.catalog.allocate_id(txn);
          // Backfill: every existing item that carries the new index's key gets its entry now, in
          // this same batch, so the index is complete the moment it is visible.
          txn.scan_prefix(storage::Family::kItems, table_prefix(t->id), [&](std::string_view, std::string_view value) {
            auto item = decode_stored_item(value);
            if (!item) return;
            std::string entry = index_entry_key(*t, created, *item);
            if (!entry.empty())
              txn.put(storage::Family::kIndexes, entry, encode_stored_item(project_for_index(*t, created, *item)));
          });
        }
        if (update->delete_index) {
          for (const auto& i : current->global_indexes)
            if (i.name == *update->delete_index) out.dropped.push_back(i.id);
        }
        if (update->stream && update->stream->enabled) t->stream.label = new_stream_label();
        env.catalog.put(txn, t);
        env.service.table_changed(txn, current.get(), t.get());
        out.table = t;
        return out;
      },
      [&env, reply = std::move(reply)](Result<Updated> updated) {
        if (!updated.ok()) return reply(updated.error());
        reply(describe(env, *updated->table, "UPDATING", "TableDescription"));
        std::vector<std::pair<storage::Family, uint64_t>> ranges;
        for (auto id : updated->dropped) ranges.emplace_back(storage::Family::kIndexes, id);
        drop_ranges(env, std::move(ranges));
      });
}

// The endpoint the client reached, port included, so an SDK with endpoint discovery keeps
// talking to this server (AWS names its regional host: dynamodb.<region>.amazonaws.com).
RUNNEL_DDB_OP(describe_endpoints) {
  (void)env;
  (void)body;
  std::string address = ctx.host.empty() ? std::string("localhost") : std::string(ctx.host);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("Endpoints");
  w.StartArray();
  w.StartObject();
  w.Key("Address");
  w.String(address.c_str(), static_cast<rapidjson::SizeType>(address.size()));
  w.Key("CachePeriodInMinutes");
  w.Int(1440);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  reply(finish(sb));
}

RUNNEL_DDB_OP(describe_limits) {
  (void)env;
  (void)ctx;
  (void)body;
  reply(std::string(
      R"({"AccountMaxReadCapacityUnits":80000,"AccountMaxWriteCapacityUnits":80000,"TableMaxReadCapacityUnits":40000,"TableMaxWriteCapacityUnits":40000})"));
}

}  // namespace runnel::dynamodb
