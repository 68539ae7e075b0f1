// The TTL sweep: deletes items whose TTL attribute (epoch seconds, a Number) is in the past, each
// deletion a normal write with a stream REMOVE record marked as done by the TTL service.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
// Items expired more than five years ago are ignored, as DynamoDB ignores them. Each sweep reads at
// most `max_items` items, resuming where the last stopped, so a huge table costs a bounded slice of
// every tick rather than a full scan.
#include <map>

#include "common/decimal.h"
#include "dynamodb/item_keys.h"
#include "dynamodb/service.h"

namespace runnel::dynamodb {

namespace {

constexpr double kFiveYears = 5 * 365.25 * 24 * 3600;

bool expired(const TableInfo& t, const AttributeMap& item, double now) {
  if (!t.ttl_enabled) return false;
  auto it = item.find(t.ttl_attribute);
  if (it == item.end() || it->second.type != AttrType::N) return false;
  char* end = nullptr;
  double at = std::strtod(it->second.scalar.c_str(), &end);
  return at <= now && at >= now - kFiveYears;
}

struct Expired {
  std::shared_ptr<const TableInfo> table;
  std::string key;
};

}  // namespace

size_t Service::sweep_expired(double now, size_t max_items) {
  // Cursor per table id: where the previous sweep stopped. Only the sweeper thread calls this.
  static thread_local std::map<uint64_t, std::string> cursors;
  std::vector<Expired> found;
  size_t budget = max_items;
  for (const auto& table : catalog_.all()) {
    if (!table->ttl_enabled || budget == 0) continue;
    std::string prefix = table_prefix(table->id);
    std::string& cursor = cursors[table->id];
    storage::Cursor it = engine_.scan(storage::Family::kItems);
    it.seek(cursor.empty() ? prefix : cursor);
    if (!cursor.empty() && it.valid() && it.key() == cursor) it.next();
    for (; it.valid() && it.key().starts_with(prefix) && budget > 0; it.next(), --budget) {
      auto item = decode_stored_item(it.value());
      if (item && expired(*table, *item, now)) found.push_back({table, std::string(it.key())});
      cursor = it.key();
    }
    if (!it.valid() || !it.key().starts_with(prefix)) cursor.clear();  // wrapped: start over next time
  }
  if (found.empty()) return 0;
  auto work = std::make_shared<std::vector<Expired>>(std::move(found));
  size_t count = work->size();
  writer_.submit(
      [this, work, now](storage::WriteTxn& txn) {
        for (const auto& e : *work) {
          auto t = catalog_.find(e.table->account, e.table->region, e.table->name);
          if (!t || t->id != e.table->id) continue;
          // Re-check under the writer: the item may have been rewritten since it was read.
          auto item = read_item(txn, e.key);
          if (item && expired(*t, *item, now)) write_item(txn, *t, e.key, &*item, nullptr, /*by_ttl=*/true);
        }
        return true;
      },
      [](bool) {});
  return count;
}

}  // namespace runnel::dynamodb
