// GetItem, BatchGetItem, TransactGetItems.
// Reads run inline on the I/O thread against committed storage (never through the writer), and an
// item without a projection is spliced into the reply as the canonical JSON it is stored as: no
// decode, no re-encode (GetItem is the hot path of the notification pipeline).
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html
#include <map>
#include <set>

#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"
#include "dynamodb/read_common.h"

namespace runnel::dynamodb {

namespace {

constexpr size_t kMaxBatchGetKeys = 100;
constexpr size_t kMaxTransactGetItems = 100;

// Writes "Item": the stored item, projected when asked; adds its size to *size when given.
Status write_item_member(Writer& w, const storage::PinnedValue& stored,
                         const std::optional<expr::Projection>& projection, size_t* size) {
  RUNNEL_TRY(std::string_view json, stored_json(stored.view()));
  w.Key("Item");
  return write_stored_item(w, json, projection ? &*projection : nullptr, size);
}

// --- GetItem ---------------------------------------------------------------------------------

struct GetRequest {
  std::shared_ptr<const TableInfo> table;
  std::unique_ptr<Placeholders> placeholders;
  std::optional<expr::Projection> projection;
  std::string storage_key;
  bool consistent = false;
  CapacityMode capacity = CapacityMode::kNone;
};

// Static checks (parameters, expressions, placeholders) come before the table lookup, as DynamoDB
// orders them; the key is checked against the schema once the table is known.
Result<GetRequest> decode_get(Env& env, const protocol::RequestContext& ctx, const JsonValue& body) {
  RUNNEL_CHECK(expr::check_expression_mix(body, {"ProjectionExpression"}, {"AttributesToGet"}));
  GetRequest g;
  const JsonValue* key_json = member(body, "Key");
  if (!key_json) return constraint_error("null", "key", "Member must not be null");
  RUNNEL_TRY(AttributeMap key, decode_attribute_map(*key_json));
  RUNNEL_TRY(g.consistent, optional_bool(body, "ConsistentRead", false));
  RUNNEL_TRY(g.capacity, capacity_mode(body));
  RUNNEL_TRY(g.placeholders, decode_placeholders(body));
  RUNNEL_TRY(g.projection, decode_read_projection(body, *g.placeholders));
  RUNNEL_CHECK(g.placeholders->subs->check_all_used());
  RUNNEL_TRY(g.table, resolve_table(env, ctx, body));
  RUNNEL_CHECK(validate_key(*g.table, key));
  if (g.projection) RUNNEL_CHECK(check_key_paths(*g.table, path_pointers(g.projection->paths)));
  g.storage_key = item_key(*g.table, key);
  return g;
}

Result<std::string> run_get(Env& env, const GetRequest& g) {
  storage::PinnedValue stored;
  RUNNEL_TRY(bool found, read_stored(env, storage::Family::kItems, g.storage_key, nullptr, stored));
  rapidjson::StringBuffer sb;
  sb.Reserve(stored.size() + 128);
  Writer w(sb);
  w.StartObject();
  size_t size = 0;
  if (found) {
    RUNNEL_CHECK(write_item_member(w, stored, g.projection, g.capacity != CapacityMode::kNone ? &size : nullptr));
  }
  // A miss still costs a read: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
  if (g.capacity != CapacityMode::kNone)
    write_consumed_capacity(w, g.capacity, *g.table, read_units(size, g.consistent));
  w.EndObject();
  return finish(sb);
}

// --- BatchGetItem ----------------------------------------------------------------------------

struct BatchTable {
  std::string name;          // as the request spells it: Responses and UnprocessedKeys echo it
  const JsonValue* request;  // its KeysAndAttributes, echoed into UnprocessedKeys
  std::shared_ptr<const TableInfo> table;
  std::unique_ptr<Placeholders> placeholders;
  std::optional<expr::Projection> projection;
  bool consistent = false;
  std::vector<std::pair<std::string, const JsonValue*>> keys;  // storage key, key as sent
};

// Shape checks over the whole map first, so "Too many items" wins over per-table errors.
Status check_request_items(const JsonValue* items) {
  if (!items) return constraint_error("null", "requestItems", "Member must not be null");
  if (!items->IsObject()) return ApiError::serialization("RequestItems must be a map");
  if (items->MemberCount() == 0)
    return constraint_error("{}", "requestItems", "Member must have length greater than or equal to 1");
  size_t total = 0;
  for (const auto& entry : items->GetObject()) {
    std::string path = "requestItems." + std::string(entry.name.GetString(), entry.name.GetStringLength()) + ".member.keys";
    if (!entry.value.IsObject()) return ApiError::serialization("RequestItems values must be structures");
    const JsonValue* keys = member(entry.value, "Keys");
    if (!keys) return constraint_error("null", path, "Member must not be null");
    if (!keys->IsArray()) return ApiError::serialization("Keys must be a list");
    if (keys->Empty()) return constraint_error("[]", path, "Member must have length greater than or equal to 1");
    total += keys->Size();
  }
  if (total > kMaxBatchGetKeys) return ApiError::validation("Too many items requested for the BatchGetItem call");
  return ok_status();
}

Result<BatchTable> decode_batch_table(Env& env, const protocol::RequestContext& ctx, std::string name,
                                      const JsonValue& request) {
  RUNNEL_CHECK(expr::check_expression_mix(request, {"ProjectionExpression"}, {"AttributesToGet"}));
  BatchTable bt;
  bt.name = std::move(name);
  bt.request = &request;
  RUNNEL_TRY(bt.consistent, optional_bool(request, "ConsistentRead", false));
  RUNNEL_TRY(bt.placeholders, decode_placeholders(request));
  RUNNEL_TRY(bt.projection, decode_read_projection(request, *bt.placeholders));
  RUNNEL_CHECK(bt.placeholders->subs->check_all_used());
  RUNNEL_TRY(bt.table, resolve_table_named(env, ctx, bt.name));
  if (bt.projection) RUNNEL_CHECK(check_key_paths(*bt.table, path_pointers(bt.projection->paths)));
  std::set<std::string> seen;
  for (const auto& key_json : member(request, "Keys")->GetArray()) {
    RUNNEL_TRY(AttributeMap key, decode_attribute_map(key_json));
    RUNNEL_CHECK(validate_key(*bt.table, key));
    std::string storage_key = item_key(*bt.table, key);
    if (!seen.insert(storage_key).second) return ApiError::validation("Provided list of item keys contains duplicates");
    bt.keys.emplace_back(std::move(storage_key), &key_json);
  }
  return bt;
}

Result<std::vector<BatchTable>> decode_batch_get(Env& env, const protocol::RequestContext& ctx, const JsonValue& body) {
  const JsonValue* items = member(body, "RequestItems");
  RUNNEL_CHECK(check_request_items(items));
  std::vector<BatchTable> tables;
  for (const auto& entry : items->GetObject()) {
    RUNNEL_TRY(BatchTable bt, decode_batch_table(env, ctx, std::string(entry.name.GetString(), entry.name.GetStringLength()),
                                                 entry.value));
    tables.push_back(std::move(bt));
  }
  return tables;
}

// UnprocessedKeys entry: the keys not read, with the table's read parameters as they were sent.
void write_unprocessed(Writer& w, const BatchTable& bt, size_t first) {
  w.Key(bt.name.data(), static_cast<rapidjson::SizeType>(bt.name.size()));
  w.StartObject();
  w.Key("Keys");
  w.StartArray();
  for (size_t i = first; i < bt.keys.size(); ++i) bt.keys[i].second->Accept(w);
  w.EndArray();
  for (const char* name : {"ProjectionExpression", "ExpressionAttributeNames", "AttributesToGet", "ConsistentRead"}) {
    if (const JsonValue* v = member(*bt.request, name)) {
      w.Key(name);
      v->Accept(w);
    }
  }
  w.EndObject();
}

Result<std::string> run_batch_get(Env& env, const std::vector<BatchTable>& tables, CapacityMode capacity) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("Responses");
  w.StartObject();
  size_t response_bytes = 0;
  bool full = false;
  std::vector<size_t> done(tables.size(), 0);  // keys read per table; the rest are unprocessed
  std::vector<double> units(tables.size(), 0);
  storage::PinnedValue stored;
  for (size_t t = 0; t < tables.size(); ++t) {
    const BatchTable& bt = tables[t];
    w.Key(bt.name.data(), static_cast<rapidjson::SizeType>(bt.name.size()));
    w.StartArray();
    for (; !full && done[t] < bt.keys.size(); ++done[t]) {
      RUNNEL_TRY(bool found, read_stored(env, storage::Family::kItems, bt.keys[done[t]].first, nullptr, stored));
      size_t size = 0;
      if (found) {
        if (response_bytes + stored.size() > kMaxBatchGetResponseBytes) {
          full = true;
          break;
        }
        response_bytes += stored.size();
        RUNNEL_TRY(std::string_view json, stored_json(stored.view()));
        RUNNEL_CHECK(write_stored_item(w, json, bt.projection ? &*bt.projection : nullptr,
                                       capacity != CapacityMode::kNone ? &size : nullptr));
      }
      units[t] += read_units(size, bt.consistent);
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("UnprocessedKeys");
  w.StartObject();
  for (size_t t = 0; t < tables.size(); ++t)
    if (done[t] < tables[t].keys.size()) write_unprocessed(w, tables[t], done[t]);
  w.EndObject();
  if (capacity != CapacityMode::kNone) {
    w.Key("ConsumedCapacity");
    w.StartArray();
    for (size_t t = 0; t < tables.size(); ++t) write_read_capacity(w, capacity, *tables[t].table, nullptr, units[t]);
    w.EndArray();
  }
  w.EndObject();
  return finish(sb);
}

// --- TransactGetItems ------------------------------------------------------------------------

struct TransactGet {
  std::shared_ptr<const TableInfo> table;
  std::unique_ptr<Placeholders> placeholders;
  std::optional<expr::Projection> projection;
  std::string storage_key;
};

Result<TransactGet> decode_transact_get(Env& env, const protocol::RequestContext& ctx, const JsonValue& entry,
                                        size_t position) {
  std::string path = "transactItems." + std::to_string(position + 1) + ".member.get";
  const JsonValue* get = member(entry, "Get");
  if (!get) return constraint_error("null", path, "Member must not be null");
  if (!get->IsObject()) return ApiError::serialization("Get must be a structure");
  RUNNEL_CHECK(expr::check_expression_mix(*get, {"ProjectionExpression"}, {}));
  const JsonValue* key_json = member(*get, "Key");
  if (!key_json) return constraint_error("null", path + ".key", "Member must not be null");
  RUNNEL_TRY(AttributeMap key, decode_attribute_map(*key_json));
  TransactGet g;
  RUNNEL_TRY(g.placeholders, decode_placeholders(*get));
  RUNNEL_TRY(auto text, optional_string(*get, "ProjectionExpression"));
  if (text) {
    RUNNEL_TRY(expr::Projection p, expr::parse_projection(*text, *g.placeholders->subs));
    g.projection = std::move(p);
  }
  RUNNEL_CHECK(g.placeholders->subs->check_all_used());
  RUNNEL_TRY(g.table, resolve_table(env, ctx, *get, path + ".tableName", "dynamodb:GetItem"));  // as IAM authorizes it
  RUNNEL_CHECK(validate_key(*g.table, key));
  if (g.projection) RUNNEL_CHECK(check_key_paths(*g.table, path_pointers(g.projection->paths)));
  g.storage_key = item_key(*g.table, key);
  return g;
}

Result<std::vector<TransactGet>> decode_transact_gets(Env& env, const protocol::RequestContext& ctx,
                                                      const JsonValue& body) {
  const JsonValue* items = member(body, "TransactItems");
  if (!items) return constraint_error("null", "transactItems", "Member must not be null");
  if (!items->IsArray()) return ApiError::serialization("TransactItems must be a list");
  if (items->Empty()) return constraint_error("[]", "transactItems", "Member must have length greater than or equal to 1");
  if (items->Size() > kMaxTransactGetItems)
    return constraint_error("[...]", "transactItems", "Member must have length less than or equal to 100");
  std::vector<TransactGet> gets;
  std::set<std::pair<uint64_t, std::string>> seen;
  for (size_t i = 0; i < items->Size(); ++i) {
    RUNNEL_TRY(TransactGet g, decode_transact_get(env, ctx, (*items)[static_cast<rapidjson::SizeType>(i)], i));
    if (!seen.emplace(g.table->id, g.storage_key).second)
      return ApiError::validation("Transaction request cannot include multiple operations on one item");
    gets.push_back(std::move(g));
  }
  return gets;
}

// All reads come from one snapshot, so the items are as of one moment: a TransactWriteItems is
// either wholly visible or not at all (it commits as one batch).
Result<std::string> run_transact_get(Env& env, const std::vector<TransactGet>& gets, CapacityMode capacity) {
  storage::Snapshot snapshot(env.engine);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("Responses");
  w.StartArray();
  // Transactional reads cost double: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
  std::map<std::string, std::pair<const TableInfo*, double>> per_table;
  storage::PinnedValue stored;
  for (const TransactGet& g : gets) {
    RUNNEL_TRY(bool found, read_stored(env, storage::Family::kItems, g.storage_key, &snapshot, stored));
    w.StartObject();
    size_t size = 0;
    if (found) {
      RUNNEL_CHECK(write_item_member(w, stored, g.projection, capacity != CapacityMode::kNone ? &size : nullptr));
    }
    w.EndObject();
    auto& slot = per_table[g.table->name];
    slot.first = g.table.get();
    slot.second += 2 * read_units(size, true);
  }
  w.EndArray();
  if (capacity != CapacityMode::kNone) {
    w.Key("ConsumedCapacity");
    w.StartArray();
    for (const auto& [name, tu] : per_table) write_read_capacity(w, capacity, *tu.first, nullptr, tu.second);
    w.EndArray();
  }
  w.EndObject();
  return finish(sb);
}

}  // namespace

RUNNEL_DDB_OP(get_item) {
  auto decoded = decode_get(env, ctx, body);
  if (!decoded.ok()) return reply(std::move(decoded).error());
  reply(run_get(env, *decoded));
}

RUNNEL_DDB_OP(batch_get_item) {
  auto capacity = capacity_mode(body);
  if (!capacity.ok()) return reply(capacity.error());
  auto decoded = decode_batch_get(env, ctx, body);
  if (!decoded.ok()) return reply(std::move(decoded).error());
  reply(run_batch_get(env, *decoded, *capacity));
}

RUNNEL_DDB_OP(transact_get_items) {
  auto capacity = capacity_mode(body);
  if (!capacity.ok()) return reply(capacity.error());
  auto decoded = decode_transact_gets(env, ctx, body);
  if (!decoded.ok()) return reply(std::move(decoded).error());
  reply(run_transact_get(env, *decoded, *capacity));
}

}  // namespace runnel::dynamodb
