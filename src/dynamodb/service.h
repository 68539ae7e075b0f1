// The DynamoDB service: registers its operations on a JSON 1.0 codec and owns its state (catalog,
// items, indexes) in storage. Operation groups live in their own files:
//   table_ops.cc (Create/Describe/List/Update/DeleteTable, TTL, tags), item_write_ops.cc (Put/Update/
//   DeleteItem), item_read_ops.cc (GetItem, BatchGetItem, TransactGetItems), query_scan.cc,
//   batch_write.cc (BatchWriteItem), transact_write.cc (TransactWriteItems), ttl_sweeper.cc.
#pragma once

#include <memory>

#include "dynamodb/catalog.h"
#include "ports/change_sink.h"
#include "protocol/aws_json.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::dynamodb {

// Item and table changes go to the change sink (the Streams service, through ports/change_sink.h)
// inside the writer's batch, so their stream records commit atomically with the change.
using ports::ChangeSink;
using ports::ItemChange;

class Service;

// Everything an operation needs; passed to every handler instead of long parameter lists.
struct Env {
  storage::Engine& engine;
  storage::Writer& writer;
  Catalog& catalog;
  Service& service;
};

class Service {
 public:
  Service(storage::Engine& engine, storage::Writer& writer);
  ~Service();

  Status start();
  void register_operations(protocol::JsonService& json);
  void set_change_sink(ChangeSink* sink) { sink_ = sink; }
  // Writer thread only: tells the change sink about a table definition change (same batch).
  void table_changed(storage::WriteTxn& txn, const TableInfo* before, const TableInfo* after) {
    if (sink_) sink_->table_changed(txn, before, after);
  }

  // Writer thread only: writes (or deletes, when new_item is null) one item with its index entries,
  // counters and observer records, all in the caller's batch.
  void write_item(storage::WriteTxn& txn, const TableInfo& t, const std::string& key,
                  const AttributeMap* old_item, const AttributeMap* new_item, bool by_ttl = false);
  // Writer thread only: the current item under key, including writes pending in this group.
  std::optional<AttributeMap> read_item(storage::WriteTxn& txn, const std::string& key);

  // Deletes items whose TTL attribute is in the past (called by the sweeper; returns how many).
  size_t sweep_expired(double now_epoch_seconds, size_t max_items);

  Env& env() { return env_; }
  class IdempotencyCache& idempotency();

 private:
  storage::Engine& engine_;
  storage::Writer& writer_;
  Catalog catalog_;
  Env env_;
  ChangeSink* sink_ = nullptr;
  std::unique_ptr<class IdempotencyCache> idempotency_;
};

// Parses a stored item value (format byte + JSON).
std::optional<AttributeMap> decode_stored_item(std::string_view stored);
std::string encode_stored_item(const AttributeMap& item);

}  // namespace runnel::dynamodb
