// Write-acknowledged -> record visible to a waiting consumer, in process.
//
// Runs the real dynamodb and streams services on an on-disk store with strict durability (every
// acknowledgement follows an fdatasync). Producers send PutItem through the same JSON dispatch the
// HTTP layer uses; the time a producer's reply callback runs is the acknowledgement. One consumer
// subscribes to the stream (the API the Lambda event source mappings use), sleeps on a condition
// variable, and on every wake reads the new records through Service::read — no polling, no timer.
// For each record we take (time the consumer holds it) - (time its write was acknowledged).
// Negative values mean the consumer had the record before the producer had its answer: the wake
// fires on commit, the acknowledgement right after.
//
//   build/bench/stream_wake_bench [--writes N] [--in-flight K] [--rate W/s] [--dir PATH]
//
// Prints one JSON line with p50/p90/p99/max in microseconds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "dynamodb/service.h"
#include "protocol/aws_json.h"
#include "storage/engine.h"
#include "storage/writer.h"
#include "streams/service.h"

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

struct Args {
  int writes = 20000;
  int in_flight = 16;
  int rate = 0;  // writes per second; 0: as fast as the in-flight window allows
  std::string dir = "/tmp/runnel-stream-wake-bench";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--writes") a.writes = std::stoi(argv[i + 1]);
    else if (k == "--in-flight") a.in_flight = std::stoi(argv[i + 1]);
    else if (k == "--rate") a.rate = std::stoi(argv[i + 1]);
    else if (k == "--dir") a.dir = argv[i + 1];
  }
  return a;
}

void call(const runnel::protocol::JsonService& json, const char* op, std::string body, runnel::protocol::Reply reply) {
  runnel::protocol::RequestContext ctx;
  ctx.request_id = "bench";
  ctx.account = "000000000000";
  ctx.region = "us-east-1";
  ctx.access_key = "test";
  ctx.operation = op;
  json.dispatch(ctx, op, body, std::move(reply));
}

void call_sync(const runnel::protocol::JsonService& json, const char* op, std::string body) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int status = 0;
  call(json, op, std::move(body), [&](runnel::protocol::Response r) {
    std::lock_guard lock(mu);
    status = r.status;
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  if (status != 200) {
    std::fprintf(stderr, "%s failed with %d\n", op, status);
    std::exit(1);
  }
}

double percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return static_cast<double>(v[i]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  std::filesystem::remove_all(args.dir);
  runnel::storage::EngineOptions eo;
  eo.path = args.dir;
  eo.durability = runnel::storage::Durability::kStrict;
  auto engine = std::move(runnel::storage::Engine::open(eo)).value();
  runnel::storage::Writer writer(*engine);
  runnel::dynamodb::Service dynamodb(*engine, writer);
  if (!dynamodb.start().ok()) return 1;
  runnel::protocol::JsonService json({"DynamoDB_20120810", "application/x-amz-json-1.0", true});
  dynamodb.register_operations(json);
  runnel::streams::Service streams(*engine, writer, dynamodb.env().catalog, {});
  if (!streams.start().ok()) return 1;
  dynamodb.set_change_sink(&streams);

  call_sync(json, "CreateTable",
            R"({"TableName":"wake","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
            R"("AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST",)"
            R"("StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}})");
  auto stream = streams.list("000000000000", "us-east-1").at(0);
  uint64_t shard_start = stream->snapshot()->shards.back().start_seq;

  std::vector<std::atomic<int64_t>> acked(args.writes);
  std::vector<int64_t> seen(args.writes, 0);
  for (auto& a : acked) a.store(0);

  // The consumer: sleeps until a commit wakes it, then reads everything new.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t wakes = 0;
  stream->subscribe([&] {
    std::lock_guard lock(mu);
    ++wakes;
    cv.notify_one();
  });
  std::thread consumer([&] {
    uint64_t next = shard_start;
    int got = 0;
    uint64_t handled = 0;
    while (got < args.writes) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return wakes != handled; });
        handled = wakes;
      }
      for (;;) {
        auto r = streams.read(*stream, shard_start, next, 1000, 1 << 20);
        if (!r.ok() || r->records.empty()) break;
        int64_t t = now_ns();
        for (const auto& rec : r->records) {
          // The item key is "k<index>"; find it without a full parse.
          auto at = rec.json.find(R"("Keys":{"pk":{"S":"k)");
          int index = std::atoi(rec.json.c_str() + at + std::strlen(R"("Keys":{"pk":{"S":"k)"));
          seen[index] = t;
          ++got;
        }
        next = r->next_seq;
      }
    }
  });

  // Producers: a window of in-flight PutItems, optionally paced.
  std::atomic<int> in_flight{0};
  std::mutex window_mu;
  std::condition_variable window_cv;
  int64_t start = now_ns();
  for (int i = 0; i < args.writes; ++i) {
    if (args.rate > 0) {
      int64_t due = start + static_cast<int64_t>(i) * 1000000000LL / args.rate;
      while (now_ns() < due) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    {
      std::unique_lock lock(window_mu);
      window_cv.wait(lock, [&] { return in_flight.load() < args.in_flight; });
      ++in_flight;
    }
    std::string body = fmt::format(R"({{"TableName":"wake","Item":{{"pk":{{"S":"k{}"}},"payload":{{"S":"{}"}}}}}})", i,
                                   std::string(100, 'x'));
    call(json, "PutItem", std::move(body), [&, i](runnel::protocol::Response r) {
      acked[i].store(now_ns());
      if (r.status != 200) std::fprintf(stderr, "PutItem %d failed: %s\n", i, r.body.c_str());
      std::lock_guard lock(window_mu);
      --in_flight;
      window_cv.notify_one();
    });
  }
  consumer.join();
  {
    std::unique_lock lock(window_mu);
    window_cv.wait(lock, [&] { return in_flight.load() == 0; });
  }
  double seconds = static_cast<double>(now_ns() - start) / 1e9;
  writer.stop();

  std::vector<int64_t> latency;
  int before_ack = 0;
  for (int i = 0; i < args.writes; ++i) {
    int64_t d = seen[i] - acked[i].load();
    if (d < 0) ++before_ack;
    latency.push_back(d);
  }
  std::printf(
      R"({"writes":%d,"in_flight":%d,"rate":%d,"writes_per_s":%.0f,"wakes":%llu,)"
      R"("ack_to_visible_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f},"visible_before_ack":%d})"
      "\n",
      args.writes, args.in_flight, args.rate, args.writes / seconds, static_cast<unsigned long long>(wakes),
      percentile(latency, 0.5), percentile(latency, 0.9), percentile(latency, 0.99), percentile(latency, 1.0),
      before_ack);
  std::filesystem::remove_all(args.dir);
  return 0;
}
