// The DynamoDB Streams service: captures every item change into its table's stream in the same
// storage batch as the change (as dynamodb's ChangeSink), serves the DynamoDBStreams_20120810 API
// (api.cc), wakes in-process consumers on commit, and keeps streams within their retention
// (sweep: shard rollover by age, trimming, forgetting old disabled streams).
//
// Threads: item_changed/table_changed run on the writer's apply thread and own each Stream's
// `working` state; the completion thread publishes what committed; API handlers and consumers read
// published snapshots and the committed records in the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ports/change_sink.h"
#include "ports/event_source.h"
#include "protocol/aws_json.h"
#include "storage/engine.h"
#include "storage/writer.h"
#include "streams/stream.h"

namespace runnel::streams {

struct Options {
  int64_t retention_ms = 24 * 3600 * 1000;      // records older than this are trimmed
  int64_t shard_max_age_ms = 4 * 3600 * 1000;   // an open shard this old is closed and replaced
  uint64_t shard_max_records = 0;               // 0: no limit on records per shard
  int64_t iterator_ttl_ms = 15 * 60 * 1000;     // shard iterators expire after this
};

// What one read of a shard returns.
using ShardRead = ports::ShardBatch;

class Service final : public ports::ChangeSink, public ports::StreamSource {
 public:
  Service(storage::Engine& engine, storage::Writer& writer, const ports::TableDirectory& tables, Options options);

  // Loads every stream and restores its sequence counter from the store.
  Status start();
  void register_operations(protocol::JsonService& json);

  // ports::ChangeSink (apply thread).
  void item_changed(storage::WriteTxn& txn, const ports::ItemChange& change) override;
  void table_changed(storage::WriteTxn& txn, const ports::TableRef* before, const ports::TableRef* after) override;

  // Background upkeep; blocks until its writes have committed.
  void sweep(int64_t now_ms);

  // --- for the API and in-process consumers ---
  std::shared_ptr<Stream> find(std::string_view stream_arn) const;
  std::vector<std::shared_ptr<Stream>> list(std::string_view account, std::string_view region) const;
  // Up to `limit` committed records of a shard from `from_seq` on, stopping once `max_bytes` is
  // reached (at least one record is returned). Errors: the shard is unknown (ResourceNotFound) or
  // `from_seq` was trimmed (TrimmedDataAccess).
  Result<ShardRead> read(const Stream& stream, uint64_t shard_start, uint64_t from_seq, size_t limit,
                         size_t max_bytes) const;

  // ports::StreamSource, for in-process consumers (Lambda's event source mappings).
  std::optional<ports::StreamView> describe(std::string_view stream_arn) const override;
  Result<ports::ShardBatch> read(std::string_view stream_arn, uint64_t shard_start, uint64_t from_seq, size_t limit,
                                 size_t max_bytes) const override;
  uint64_t subscribe(std::string_view stream_arn, std::function<void()> wake) override;
  void unsubscribe(std::string_view stream_arn, uint64_t token) override;

  const Options& options() const { return options_; }
  const ports::TableDirectory& tables() const { return tables_; }

 private:
  struct TrimPlan {
    std::shared_ptr<Stream> stream;
    uint64_t trim_seq = 0;
    std::vector<std::string> drop_shards;
    bool forget = false;
  };
  TrimPlan plan_trim(const std::shared_ptr<Stream>& stream, int64_t now_ms) const;
  // Apply thread.
  void create_stream(storage::WriteTxn& txn, const ports::TableRef& table, int64_t now_ms);
  void close_stream(storage::WriteTxn& txn, uint64_t table_id, int64_t now_ms);
  void maybe_rollover(storage::WriteTxn& txn, const std::shared_ptr<Stream>& stream, int64_t now_ms);
  void roll_over(storage::WriteTxn& txn, const std::shared_ptr<Stream>& stream, int64_t now_ms, bool open_child);
  void persist(storage::WriteTxn& txn, const std::shared_ptr<Stream>& stream);
  void delete_records(uint64_t stream_id, uint64_t from_seq, uint64_t to_seq);
  // Visits the committed records of [from_seq, to_seq) in order while visit returns true; returns
  // whether the range was exhausted.
  bool scan_records(uint64_t stream_id, uint64_t from_seq, uint64_t to_seq,
                    const std::function<bool(uint64_t seq, std::string_view value)>& visit) const;

  storage::Engine& engine_;
  storage::Writer& writer_;
  const ports::TableDirectory& tables_;
  Options options_;

  // Readers' view: streams by ARN (ARN order is table name, then label, i.e. creation order).
  mutable std::shared_mutex registry_mu_;
  std::map<std::string, std::shared_ptr<Stream>, std::less<>> by_arn_;

  // Apply thread only.
  std::unordered_map<uint64_t, std::shared_ptr<Stream>> active_by_table_;
  std::map<uint64_t, std::shared_ptr<Stream>> all_;
  uint64_t next_stream_id_ = 1;
};

}  // namespace runnel::streams
