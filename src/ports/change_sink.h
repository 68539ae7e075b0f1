// The change port: how DynamoDB's write path hands every item change, and every table change, to
// DynamoDB Streams inside the writer step that makes it, so a stream record joins the item's own
// atomic batch. DynamoDB calls it; Streams implements it; main wires them. Streams also asks
// through it whether a table exists (ListStreams' TableName), and nothing else of DynamoDB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/attribute_value.h"
#include "common/key_schema.h"

namespace runnel::storage {
class WriteTxn;
}

namespace runnel::ports {

struct StreamSettings {
  bool enabled = false;
  std::string view_type;  // NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES | KEYS_ONLY
  std::string label;      // LatestStreamLabel, e.g. 2026-11-25T09:42:00.123
};

// What a table is to its stream. DynamoDB's own table definition (dynamodb::TableInfo) is one, so
// a change is handed over with no copy.
struct TableRef {
  std::string account;
  std::string region;
  std::string name;
  uint64_t id = 0;  // storage prefix of its items; never reused
  KeySchema keys;
  StreamSettings stream;
};

struct ItemChange {
  const TableRef& table;
  const AttributeMap* old_item;  // null: the item did not exist
  const AttributeMap* new_item;  // null: the item was deleted
  bool by_ttl = false;           // deleted by the TTL sweeper (stream userIdentity)
};

// Called on the writer's apply thread from a step that is about to return true (so nothing it
// stages is rolled back). Everything it writes joins the same atomic batch as the change.
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  // An item changed (never called for a write that changes nothing).
  virtual void item_changed(storage::WriteTxn& txn, const ItemChange& change) = 0;
  // A table was created (before null), updated, or deleted (after null).
  virtual void table_changed(storage::WriteTxn& txn, const TableRef* before, const TableRef* after) = 0;
};

// Which tables exist, for a caller of (account, region).
class TableDirectory {
 public:
  virtual ~TableDirectory() = default;
  virtual bool table_exists(std::string_view account, std::string_view region, std::string_view name) const = 0;
};

}  // namespace runnel::ports
