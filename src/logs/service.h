// CloudWatch Logs (JSON 1.1, target prefix Logs_20140328): log groups, log streams, their events,
// retention; and the log sink a function's output reaches it through (ports/log_sink.h).
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/Welcome.html
//
// Every write goes through the writer: a group, a stream, and a PutLogEvents batch with its
// stream's counters, each in one atomic step. Reads (Describe*, GetLogEvents, FilterLogEvents) run
// on the I/O thread against committed data, each bounded in what it reads (logs/events.cc).
// Stored layout: logs/records.h.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "logs/records.h"
#include "ports/log_sink.h"
#include "protocol/aws_json.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::logs {

class Service final : public ports::LogSink {
 public:
  Service(storage::Engine& engine, storage::Writer& writer);
  ~Service() override;

  void register_operations(protocol::JsonService& json);
  // Starts the shipper that writes function output (write() below) in batches.
  void start();
  // Writes what the shipper still holds and stops it.
  void stop();

  // ports::LogSink: buffered (bounded: beyond kMaxBufferedBytes a line is dropped and counted) and
  // written by the shipper in one writer step per batch, the group and stream created on first
  // use. Never blocks the caller on the writer.
  void write(const ports::LogTarget& to, int64_t timestamp_ms, std::string_view message) override;
  static constexpr size_t kMaxBufferedBytes = 8u << 20;
  // The shipper writes what it holds once this much is buffered or its oldest line has waited
  // kShipWindow, whichever comes first: function output is acknowledged to no one, and a window
  // turns a flood of lines into a few writer steps (measured: three lines per Invoke, each written
  // at once, cost a busy function half its Invoke rate in commits). AWS's own ingestion takes
  // seconds; `aws logs tail --follow` asks every 5 s.
  static constexpr size_t kShipBytes = 256u << 10;
  static constexpr std::chrono::milliseconds kShipWindow{200};

  uint64_t lines_shipped() const { return shipped_.load(std::memory_order_relaxed); }
  uint64_t lines_dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Removes the events older than each group's retention (the reads already skip them).
  void sweep_retention(int64_t now_ms);

  storage::Engine& engine() { return engine_; }
  storage::Writer& writer() { return writer_; }

  // Reads of committed records (I/O threads).
  std::optional<LogGroup> find_group(std::string_view account, std::string_view region, std::string_view name);
  std::optional<LogStream> find_stream(uint64_t group_id, std::string_view name);
  // A group's streams, in name order.
  std::vector<LogStream> streams_of(uint64_t group_id);

 private:
  struct Line {
    std::string account, region, group, stream, message;
    int64_t timestamp_ms;
  };
  void ship_loop();
  // Writer step: appends `lines`, creating their groups and streams as needed.
  void ship(std::vector<Line> lines);

  storage::Engine& engine_;
  storage::Writer& writer_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Line> buffered_;
  size_t buffered_bytes_ = 0;
  std::chrono::steady_clock::time_point oldest_;  // when the first line now buffered came
  bool shipping_ = false;  // a batch is in the writer
  bool stopping_ = false;
  std::thread shipper_;
  std::atomic<uint64_t> shipped_{0};
  std::atomic<uint64_t> dropped_{0};
};

// Writer-step helpers shared by the operations and the shipper.
// The next group or stream id (kNextIdKey), advanced in `txn`.
uint64_t allocate_id(storage::WriteTxn& txn);
// Appends events to `stream` (timestamps and messages as accepted), updating its counters;
// the caller writes the stream record back.
void append_events(storage::WriteTxn& txn, const LogGroup& group, LogStream& stream,
                   const std::vector<std::pair<int64_t, std::string_view>>& events, int64_t ingestion_ms);

}  // namespace runnel::logs
