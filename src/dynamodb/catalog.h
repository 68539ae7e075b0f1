// Catalog: every table's definition and live counters, in memory for lock-light lookups, persisted
// in the storage meta family. Mutations happen only on the storage writer thread (inside an apply),
// so they are ordered with the item writes around them and committed in the same batch.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "dynamodb/table_schema.h"
#include "ports/change_sink.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::dynamodb {

struct TableStats {
  std::atomic<int64_t> item_count{0};
  std::atomic<int64_t> size_bytes{0};
};

// Also the TableDirectory Streams asks whether a table exists (ports/change_sink.h).
class Catalog final : public ports::TableDirectory {
 public:
  explicit Catalog(storage::Engine& engine) : engine_(engine) {}

  bool table_exists(std::string_view account, std::string_view region, std::string_view name) const override {
    return find(account, region, name) != nullptr;
  }

  Status load();

  std::shared_ptr<const TableInfo> find(std::string_view account, std::string_view region,
                                        std::string_view name) const;
  // Table names of one account and region, sorted (ListTables order).
  std::vector<std::string> list(std::string_view account, std::string_view region) const;
  // Every table (for background sweeps).
  std::vector<std::shared_ptr<const TableInfo>> all() const;
  std::shared_ptr<TableStats> stats(uint64_t table_id) const;

  // --- writer thread only ---
  uint64_t allocate_id(storage::WriteTxn& txn);
  void put(storage::WriteTxn& txn, std::shared_ptr<const TableInfo> table);
  void remove(storage::WriteTxn& txn, const TableInfo& table);
  // Adjusts the counters and stages their persisted copy in the same batch.
  void add_stats(storage::WriteTxn& txn, uint64_t table_id, int64_t items, int64_t bytes);

 private:
  static std::string table_key(std::string_view account, std::string_view region, std::string_view name);
  storage::Engine& engine_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const TableInfo>, std::less<>> tables_;
  std::map<uint64_t, std::shared_ptr<TableStats>> stats_;
  uint64_t next_id_ = 1;
};

}  // namespace runnel::dynamodb
