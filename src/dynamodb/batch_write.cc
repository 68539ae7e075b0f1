// BatchWriteItem: up to 25 puts and deletes across tables, no conditions. All of a batch is
// applied in one storage batch, so UnprocessedItems is always empty (AWS may return some under
// throttling; a local server never needs to).
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
#include <set>

#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"
#include "dynamodb/request_util.h"

namespace runnel::dynamodb {

namespace {

struct BatchEntry {
  std::shared_ptr<const TableInfo> table;
  std::string storage_key;
  std::optional<AttributeMap> item;  // null: delete
  size_t bytes = 0;
};

constexpr size_t kMaxBatchWrite = 25;

}  // namespace

RUNNEL_DDB_OP(batch_write_item) {
  auto capacity = capacity_mode(body);
  if (!capacity.ok()) return reply(capacity.error());
  auto decoded = [&]() -> Result<std::vector<BatchEntry>> {
    const JsonValue* request_items = member(body, "RequestItems");
    if (!request_items) return constraint_error("null", "requestItems", "Member must not be null");
    if (!request_items->IsObject()) return ApiError::serialization("RequestItems must be a map");
    if (request_items->MemberCount() == 0)
      return constraint_error("{}", "requestItems", "Member must have length greater than or equal to 1");
    size_t total = 0;
    for (const auto& table_entry : request_items->GetObject()) {
      if (!table_entry.value.IsArray()) return ApiError::serialization("RequestItems values must be lists");
      total += table_entry.value.Size();
      if (table_entry.value.Empty())
        return constraint_error("[]", "requestItems." + std::string(table_entry.name.GetString()) + ".member",
                                "Member must have length greater than or equal to 1");
    }
    if (total > kMaxBatchWrite)
      return constraint_error("{...}", "requestItems",
                              "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                              "Member must have length greater than or equal to 1]");
    std::vector<BatchEntry> entries;
    for (const auto& table_entry : request_items->GetObject()) {
      rapidjson::Document lookup;
      lookup.SetObject();
      lookup.AddMember("TableName", rapidjson::Value(table_entry.name, lookup.GetAllocator()), lookup.GetAllocator());
      RUNNEL_TRY(auto table, resolve_table(env, ctx, lookup));
      std::set<std::string> seen;
      for (const auto& request : table_entry.value.GetArray()) {
        const JsonValue* put = member(request, "PutRequest");
        const JsonValue* del = member(request, "DeleteRequest");
        if ((put != nullptr) == (del != nullptr))
          return ApiError::validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
        BatchEntry e;
        e.table = table;
        if (put) {
          const JsonValue* item_json = member(*put, "Item");
          if (!item_json) return constraint_error("null", "requestItems.member.putRequest.item", "Member must not be null");
          RUNNEL_TRY(AttributeMap item, decode_attribute_map(*item_json));
          RUNNEL_CHECK(validate_item(*table, item));
          e.storage_key = item_key(*table, item);
          e.bytes = item_size(item);
          e.item = std::move(item);
        } else {
          const JsonValue* key_json = member(*del, "Key");
          if (!key_json) return constraint_error("null", "requestItems.member.deleteRequest.key", "Member must not be null");
          RUNNEL_TRY(AttributeMap key, decode_attribute_map(*key_json));
          RUNNEL_CHECK(validate_key(*table, key));
          e.storage_key = item_key(*table, key);
        }
        if (!seen.insert(e.storage_key).second)
          return ApiError::validation("Provided list of item keys contains duplicates");
        entries.push_back(std::move(e));
      }
    }
    return entries;
  }();
  if (!decoded.ok()) return reply(decoded.error());
  auto entries = std::make_shared<std::vector<BatchEntry>>(std::move(decoded).value());
  env.writer.run<Ok>(
      [&env, entries](storage::WriteTxn& txn) -> Status {
        for (auto& e : *entries) {
          auto t = env.catalog.find(e.table->account, e.table->region, e.table->name);
          if (!t || t->id != e.table->id) return ApiError::resource_not_found("Requested resource not found");
          e.table = t;
        }
        for (auto& e : *entries) {
          auto old_item = env.service.read_item(txn, e.storage_key);
          env.service.write_item(txn, *e.table, e.storage_key, old_item ? &*old_item : nullptr, e.item ? &*e.item : nullptr);
        }
        return ok_status();
      },
      [entries, capacity = *capacity, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        rapidjson::StringBuffer sb;
        Writer w(sb);
        w.StartObject();
        w.Key("UnprocessedItems");
        w.StartObject();
        w.EndObject();
        if (capacity != CapacityMode::kNone) {
          std::map<std::string, std::pair<const TableInfo*, double>> per_table;
          for (const auto& e : *entries) {
            auto& slot = per_table[e.table->name];
            slot.first = e.table.get();
            slot.second += write_units(e.bytes);
          }
          w.Key("ConsumedCapacity");
          w.StartArray();
          for (const auto& [name, tu] : per_table) {
            write_capacity_object(w, capacity, *tu.first, tu.second);
          }
          w.EndArray();
        }
        w.EndObject();
        reply(finish(sb));
      });
}

}  // namespace runnel::dynamodb
