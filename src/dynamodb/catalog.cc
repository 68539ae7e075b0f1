#include "dynamodb/catalog.h"

#include <mutex>

#include "storage/key_codec.h"

namespace runnel::dynamodb {

namespace {
// Meta-family key prefixes. Frozen on disk.
constexpr std::string_view kTablePrefix = "ddb/t/";
constexpr std::string_view kStatsPrefix = "ddb/s/";
constexpr std::string_view kNextIdKey = "ddb/next-id";

std::string stats_key(uint64_t id) {
  std::string k(kStatsPrefix);
  storage::append_u64(k, id);
  return k;
}
}  // namespace

std::string Catalog::table_key(std::string_view account, std::string_view region, std::string_view name) {
  std::string k(kTablePrefix);
  k.append(account).push_back('/');
  k.append(region).push_back('/');
  k.append(name);
  return k;
}

Status Catalog::load() {
  std::unique_lock lock(mu_);
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kTablePrefix); it.valid(); it.next()) {
    RUNNEL_TRY(TableInfo t, decode_table_info(it.value()));
    auto stats = std::make_shared<TableStats>();
    if (auto s = engine_.get(storage::Family::kMeta, stats_key(t.id)); s && s->size() == 16) {
      stats->item_count = static_cast<int64_t>(storage::read_u64(*s));
      stats->size_bytes = static_cast<int64_t>(storage::read_u64(std::string_view(*s).substr(8)));
    }
    stats_[t.id] = stats;
    std::string key = table_key(t.account, t.region, t.name);
    tables_[key] = std::make_shared<const TableInfo>(std::move(t));
  }
  if (auto n = engine_.get(storage::Family::kMeta, kNextIdKey)) next_id_ = storage::read_u64(*n);
  return ok_status();
}

std::shared_ptr<const TableInfo> Catalog::find(std::string_view account, std::string_view region,
                                               std::string_view name) const {
  std::string key = table_key(account, region, name);
  std::shared_lock lock(mu_);
  auto it = tables_.find(key);
  return it == tables_.end() ? nullptr : it->second;
}

std::vector<std::string> Catalog::list(std::string_view account, std::string_view region) const {
  std::string prefix = table_key(account, region, "");
  std::vector<std::string> names;
  std::shared_lock lock(mu_);
  for (auto it = tables_.lower_bound(prefix); it != tables_.end() && it->first.starts_with(prefix); ++it)
    names.push_back(it->second->name);
  return names;
}

std::vector<std::shared_ptr<const TableInfo>> Catalog::all() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<const TableInfo>> out;
  for (const auto& [k, t] : tables_) out.push_back(t);
  return out;
}

std::shared_ptr<TableStats> Catalog::stats(uint64_t table_id) const {
  std::shared_lock lock(mu_);
  auto it = stats_.find(table_id);
  return it == stats_.end() ? nullptr : it->second;
}

uint64_t Catalog::allocate_id(storage::WriteTxn& txn) {
  // Ids are never reused: a dropped table's leftover keys can never be mistaken for a new table's.
  uint64_t id = next_id_++;
  std::string v;
  storage::append_u64(v, next_id_);
  txn.put(storage::Family::kMeta, kNextIdKey, v);
  return id;
}

void Catalog::put(storage::WriteTxn& txn, std::shared_ptr<const TableInfo> table) {
  std::string key = table_key(table->account, table->region, table->name);
  txn.put(storage::Family::kMeta, key, encode_table_info(*table));
  std::unique_lock lock(mu_);
  stats_.try_emplace(table->id, std::make_shared<TableStats>());
  tables_[key] = std::move(table);
}

void Catalog::remove(storage::WriteTxn& txn, const TableInfo& table) {
  std::string key = table_key(table.account, table.region, table.name);
  txn.del(storage::Family::kMeta, key);
  txn.del(storage::Family::kMeta, stats_key(table.id));
  std::unique_lock lock(mu_);
  tables_.erase(key);
  stats_.erase(table.id);
}

void Catalog::add_stats(storage::WriteTxn& txn, uint64_t table_id, int64_t items, int64_t bytes) {
  auto s = stats(table_id);
  if (!s) return;
  int64_t count = s->item_count.fetch_add(items) + items;
  int64_t size = s->size_bytes.fetch_add(bytes) + bytes;
  std::string v;
  storage::append_u64(v, static_cast<uint64_t>(count));
  storage::append_u64(v, static_cast<uint64_t>(size));
  txn.put(storage::Family::kMeta, stats_key(table_id), v);
}

}  // namespace runnel::dynamodb
