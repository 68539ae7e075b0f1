// GET /_runnel/metrics: runnel's own metrics in the Prometheus text exposition format (0.0.4),
// for an operator's scraper. https://prometheus.io/docs/instrumenting/exposition_formats/
//
// What is here is runnel's, aggregated: requests and their latency per service and operation
// (from the operation tables' counters), the writer's commits (group sizes, time to write and
// sync), and each component's own counters and gauges. No resource of any account is named (no
// queue, table or function names): those are the accounts' own, in CloudWatch. So it is answered
// without auth, as health is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message.h"
#include "protocol/operation.h"

namespace runnel::admin {

class Metrics {
 public:
  // Requests of one operation, as runnel_requests_total and runnel_request_duration_seconds with
  // its service and operation as labels. An operation served by two protocols (SQS's Query and
  // JSON) shares one entry; add it once.
  void add_operation(std::string_view service, const protocol::Operation& operation);
  // A counter or gauge with no labels, read when scraped.
  void add_counter(std::string name, std::string help, std::function<double()> read);
  void add_gauge(std::string name, std::string help, std::function<double()> read);
  // A histogram with no labels: upper bounds, per-bucket counts (the last: +Inf), and the sum.
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
    double sum = 0;
  };
  void add_histogram(std::string name, std::string help, std::function<Histogram()> read);

  std::string render() const;
  protocol::Response response() const;

 private:
  struct OperationEntry {
    std::string service;
    std::string name;
    std::shared_ptr<protocol::OperationStats> stats;
  };
  struct Scalar {
    std::string name, help, type;
    std::function<double()> read;
  };
  struct HistogramFamily {
    std::string name, help;
    std::function<Histogram()> read;
  };
  std::vector<OperationEntry> operations_;
  std::vector<Scalar> scalars_;
  std::vector<HistogramFamily> histograms_;
};

}  // namespace runnel::admin
