// GET /_runnel/metrics' text: per-operation counters and cumulative histograms as the exposition
// format writes them (promtool checks the real server's output in tests/integration).
#include <gtest/gtest.h>

#include "admin/metrics.h"

#include <thread>
#include <vector>

namespace runnel::admin {
namespace {

bool has(const std::string& text, std::string_view line) { return text.find(line) != std::string::npos; }

TEST(Metrics, OperationsScalarsAndHistograms) {
  protocol::Operation put{"PutItem", protocol::kWrites};
  put.stats->record(200, std::chrono::microseconds(50));
  put.stats->record(200, std::chrono::milliseconds(3));
  put.stats->record(400, std::chrono::microseconds(80));
  put.stats->record(500, std::chrono::seconds(10));
  Metrics m;
  m.add_operation("dynamodb", put);
  m.add_counter("runnel_writer_groups_committed_total", "Groups written.", [] { return 7.0; });
  m.add_gauge("runnel_lambda_async_pending", "Invocations stored.", [] { return 2.0; });
  m.add_histogram("runnel_writer_group_size", "Requests per group.", [] {
    return Metrics::Histogram{{1, 2}, {3, 1, 0}, 5};
  });
  auto r = m.response();
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& t = r.body;
  EXPECT_TRUE(has(t, "# TYPE runnel_requests_total counter\n"));
  EXPECT_TRUE(has(t, "runnel_requests_total{service=\"dynamodb\",operation=\"PutItem\",class=\"2xx\"} 2\n")) << t;
  EXPECT_TRUE(has(t, "runnel_requests_total{service=\"dynamodb\",operation=\"PutItem\",class=\"4xx\"} 1\n"));
  EXPECT_TRUE(has(t, "runnel_requests_total{service=\"dynamodb\",operation=\"PutItem\",class=\"5xx\"} 1\n"));
  // Cumulative buckets: 50 µs and 80 µs fall in le=0.0001, 3 ms in le=0.005, 10 s only in +Inf.
  EXPECT_TRUE(has(t, "runnel_request_duration_seconds_bucket{service=\"dynamodb\",operation=\"PutItem\",le=\"0.0001\"} 2\n")) << t;
  EXPECT_TRUE(has(t, "runnel_request_duration_seconds_bucket{service=\"dynamodb\",operation=\"PutItem\",le=\"0.005\"} 3\n"));
  EXPECT_TRUE(has(t, "runnel_request_duration_seconds_bucket{service=\"dynamodb\",operation=\"PutItem\",le=\"5\"} 3\n"));
  EXPECT_TRUE(has(t, "runnel_request_duration_seconds_bucket{service=\"dynamodb\",operation=\"PutItem\",le=\"+Inf\"} 4\n"));
  EXPECT_TRUE(has(t, "runnel_request_duration_seconds_count{service=\"dynamodb\",operation=\"PutItem\"} 4\n"));
  EXPECT_TRUE(has(t, "runnel_request_duration_seconds_sum{service=\"dynamodb\",operation=\"PutItem\"} 10.00313\n")) << t;
  EXPECT_TRUE(has(t, "# TYPE runnel_writer_groups_committed_total counter\nrunnel_writer_groups_committed_total 7\n"));
  EXPECT_TRUE(has(t, "# TYPE runnel_lambda_async_pending gauge\nrunnel_lambda_async_pending 2\n"));
  EXPECT_TRUE(has(t, "runnel_writer_group_size_bucket{le=\"1\"} 3\nrunnel_writer_group_size_bucket{le=\"2\"} 4\n"
                     "runnel_writer_group_size_bucket{le=\"+Inf\"} 4\nrunnel_writer_group_size_sum 5\n"
                     "runnel_writer_group_size_count 4\n")) << t;
}

TEST(Metrics, CountsFromManyThreadsAddUp) {
  protocol::Operation op{"GetItem", protocol::kReads};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) op.stats->record(200, std::chrono::microseconds(10));
    });
  for (auto& t : threads) t.join();
  auto s = op.stats->snapshot();
  EXPECT_EQ(s.by_class[0], 12000u);
  EXPECT_EQ(s.count, 12000u);
}

}  // namespace
}  // namespace runnel::admin
