#include "dynamodb/service.h"

#include <chrono>

#include "common/json_parse.h"
#include "dynamodb/idempotency.h"
#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"

namespace runnel::dynamodb {

namespace {
constexpr auto kIdempotencyWindow = std::chrono::minutes(10);
}

IdempotencyCache::Outcome IdempotencyCache::check(const std::string& token, const std::string& fingerprint) {
  std::lock_guard lock(mu_);
  expire(std::chrono::steady_clock::now());
  auto it = entries_.find(token);
  if (it == entries_.end()) return Outcome::kNew;
  return it->second.fingerprint == fingerprint ? Outcome::kReplay : Outcome::kMismatch;
}

void IdempotencyCache::remember(const std::string& token, const std::string& fingerprint) {
  std::lock_guard lock(mu_);
  entries_[token] = {fingerprint, std::chrono::steady_clock::now()};
}

void IdempotencyCache::expire(std::chrono::steady_clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.at > kIdempotencyWindow) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<AttributeMap> decode_stored_item(std::string_view stored) {
  if (stored.empty() || stored[0] != kItemFormatJson) return std::nullopt;
  rapidjson::Document d;
  json::parse(d, std::string_view(stored.data() + 1, stored.size() - 1));
  if (d.HasParseError()) return std::nullopt;
  auto m = decode_attribute_map(d);
  if (!m.ok()) return std::nullopt;
  return std::move(m).value();
}

std::string encode_stored_item(const AttributeMap& item) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  sb.Put(kItemFormatJson);
  write_attribute_map(w, item);
  return std::string(sb.GetString(), sb.GetSize());
}

Service::Service(storage::Engine& engine, storage::Writer& writer)
    : engine_(engine),
      writer_(writer),
      catalog_(engine),
      env_{engine, writer, catalog_, *this},
      idempotency_(std::make_unique<IdempotencyCache>()) {}

Service::~Service() = default;

IdempotencyCache& Service::idempotency() { return *idempotency_; }

Status Service::start() { return catalog_.load(); }

void Service::register_operations(protocol::JsonService& json) {
  auto add = [&](const char* name, protocol::OperationTraits traits, OperationFn fn) {
    json.add(name, traits, [this, fn](const protocol::RequestContext& ctx, const rapidjson::Document& body,
                              protocol::JsonReply reply) { fn(env_, ctx, body, std::move(reply)); });
  };
  add("CreateTable", protocol::kWrites, create_table);
  add("DescribeTable", protocol::kReads, describe_table);
  add("ListTables", protocol::kReads, list_tables);
  add("UpdateTable", protocol::kWrites, update_table);
  add("DeleteTable", protocol::kWrites, delete_table);
  add("UpdateTimeToLive", protocol::kWrites, update_time_to_live);
  add("DescribeTimeToLive", protocol::kReads, describe_time_to_live);
  add("TagResource", protocol::kWrites, tag_resource);
  add("UntagResource", protocol::kWrites, untag_resource);
  add("ListTagsOfResource", protocol::kReads, list_tags_of_resource);
  add("DescribeEndpoints", protocol::kReads, describe_endpoints);
  add("DescribeLimits", protocol::kReads, describe_limits);
  add("PutItem", protocol::kWrites, put_item);
  add("UpdateItem", protocol::kWrites, update_item);
  add("DeleteItem", protocol::kWrites, delete_item);
  add("GetItem", protocol::kReads, get_item);
  add("BatchGetItem", protocol::kReads, batch_get_item);
  add("BatchWriteItem", protocol::kWrites, batch_write_item);
  add("TransactGetItems", protocol::kReads, transact_get_items);
  add("TransactWriteItems", protocol::kWrites, transact_write_items);
  add("Query", protocol::kReads, query);
  add("Scan", protocol::kReads, scan);
}

std::optional<AttributeMap> Service::read_item(storage::WriteTxn& txn, const std::string& key) {
  auto stored = txn.get(storage::Family::kItems, key);
  if (!stored) return std::nullopt;
  return decode_stored_item(*stored);
}

void Service::write_item(storage::WriteTxn& txn, const TableInfo& t, const std::string& key,
                         const AttributeMap* old_item, const AttributeMap* new_item, bool by_ttl) {
  // A write that changes nothing leaves no trace: no index churn, no stream record.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
  if (!old_item && !new_item) return;
  if (old_item && new_item && *old_item == *new_item) return;

  int64_t old_size = old_item ? static_cast<int64_t>(item_size(*old_item)) : 0;
  int64_t new_size = new_item ? static_cast<int64_t>(item_size(*new_item)) : 0;
  if (new_item) {
    txn.put(storage::Family::kItems, key, encode_stored_item(*new_item));
  } else {
    txn.del(storage::Family::kItems, key);
  }
  auto maintain = [&](const IndexInfo& index) {
    std::string old_key = old_item ? index_entry_key(t, index, *old_item) : std::string();
    std::string new_key = new_item ? index_entry_key(t, index, *new_item) : std::string();
    if (!old_key.empty() && old_key != new_key) txn.del(storage::Family::kIndexes, old_key);
    if (!new_key.empty()) {
      AttributeMap projected = project_for_index(t, index, *new_item);
      if (old_key == new_key && project_for_index(t, index, *old_item) == projected) return;
      txn.put(storage::Family::kIndexes, new_key, encode_stored_item(projected));
    }
  };
  for (const auto& index : t.global_indexes) maintain(index);
  for (const auto& index : t.local_indexes) maintain(index);
  catalog_.add_stats(txn, t.id, (new_item ? 1 : 0) - (old_item ? 1 : 0), new_size - old_size);
  if (sink_) sink_->item_changed(txn, ItemChange{t, old_item, new_item, by_ttl});
}

}  // namespace runnel::dynamodb
