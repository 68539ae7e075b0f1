// Per-operation request counters, kept in the operation's table entry (protocol/operation.h),
// recorded by the router for every answered request and read by GET /_runnel/metrics.
//
// Counting costs the request no lock and no allocation: each thread adds to a shard of its own
// (relaxed atomics on cache lines no other thread writes, so no line bounces between cores), and a
// scrape folds the shards. With a fold per scrape — a few hundred operations times eight shards —
// no background task is needed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace runnel::protocol {

class OperationStats {
 public:
  // Request latency buckets' upper bounds, in seconds (Prometheus's `le`), from 100 µs to 5 s.
  static constexpr std::array<double, 15> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0};

  void record(int status, std::chrono::nanoseconds elapsed) {
    Shard& s = shards_[shard_index()];
    s.by_class[status >= 500 ? 2 : status >= 400 ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
    const double seconds = std::chrono::duration<double>(elapsed).count();
    size_t b = 0;
    while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
    s.sum_ns.fetch_add(static_cast<uint64_t>(elapsed.count() > 0 ? elapsed.count() : 0), std::memory_order_relaxed);
  }

  struct Snapshot {
    std::array<uint64_t, 3> by_class{};                    // 2xx (and other successes), 4xx, 5xx
    std::array<uint64_t, kBuckets.size() + 1> buckets{};  // per bucket (not cumulative); the last: +Inf
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot snapshot() const {
    Snapshot out;
    uint64_t sum_ns = 0;
    for (const Shard& s : shards_) {
      for (size_t i = 0; i < 3; ++i) out.by_class[i] += s.by_class[i].load(std::memory_order_relaxed);
      for (size_t i = 0; i < out.buckets.size(); ++i) out.buckets[i] += s.buckets[i].load(std::memory_order_relaxed);
      sum_ns += s.sum_ns.load(std::memory_order_relaxed);
    }
    for (uint64_t n : out.buckets) out.count += n;
    out.sum_seconds = static_cast<double>(sum_ns) / 1e9;
    return out;
  }

 private:
  static constexpr size_t kShards = 8;
  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, 3> by_class{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  // Each thread's shard, given out in turn the first time a thread records.
  static size_t shard_index() {
    static std::atomic<size_t> next{0};
    thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return mine;
  }
  std::array<Shard, kShards> shards_{};
};

}  // namespace runnel::protocol
