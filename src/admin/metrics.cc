#include "admin/metrics.h"

#include <fmt/format.h>

namespace runnel::admin {

namespace {

// A label value as the exposition format escapes it: backslash, double quote and newline.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Prometheus's float form: integers without a fraction, the rest as %g would, +Inf spelled out.
std::string number(double v) { return fmt::format("{}", v); }

void write_histogram(std::string& out, const std::string& name, const std::string& labels, const std::vector<double>& bounds,
                     const std::vector<uint64_t>& counts, double sum) {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
  }
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces, number(sum));
  out += fmt::format("{}_count{} {}\n", name, braces, cumulative);
}

}  // namespace

void Metrics::add_operation(std::string_view service, const protocol::Operation& operation) {
  operations_.push_back({std::string(service), operation.name, operation.stats});
}

void Metrics::add_counter(std::string name, std::string help, std::function<double()> read) {
  scalars_.push_back({std::move(name), std::move(help), "counter", std::move(read)});
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  scalars_.push_back({std::move(name), std::move(help), "gauge", std::move(read)});
}

void Metrics::add_histogram(std::string name, std::string help, std::function<Histogram()> read) {
  histograms_.push_back({std::move(name), std::move(help), std::move(read)});
}

std::string Metrics::render() const {
  std::string out;
  std::vector<protocol::OperationStats::Snapshot> snapshots;
  snapshots.reserve(operations_.size());
  for (const auto& op : operations_) snapshots.push_back(op.stats->snapshot());

  out += "# HELP runnel_requests_total Requests answered, by service, operation and status class.\n";
  out += "# TYPE runnel_requests_total counter\n";
  static constexpr const char* kClasses[] = {"2xx", "4xx", "5xx"};
  for (size_t i = 0; i < operations_.size(); ++i) {
    for (size_t c = 0; c < 3; ++c) {
      out += fmt::format("runnel_requests_total{{service=\"{}\",operation=\"{}\",class=\"{}\"}} {}\n",
                         label(operations_[i].service), label(operations_[i].name), kClasses[c], snapshots[i].by_class[c]);
    }
  }
  out += "# HELP runnel_request_duration_seconds Time from a request's arrival to its answer, by service and operation.\n";
  out += "# TYPE runnel_request_duration_seconds histogram\n";
  const std::vector<double> bounds(protocol::OperationStats::kBuckets.begin(), protocol::OperationStats::kBuckets.end());
  for (size_t i = 0; i < operations_.size(); ++i) {
    std::string labels = fmt::format("service=\"{}\",operation=\"{}\"", label(operations_[i].service), label(operations_[i].name));
    std::vector<uint64_t> counts(snapshots[i].buckets.begin(), snapshots[i].buckets.end());
    write_histogram(out, "runnel_request_duration_seconds", labels, bounds, counts, snapshots[i].sum_seconds);
  }
  for (const auto& s : scalars_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", s.name, s.help, s.name, s.type, s.name, number(s.read()));
  }
  for (const auto& h : histograms_) {
    Histogram v = h.read();
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", h.name, h.help, h.name);
    write_histogram(out, h.name, "", v.bounds, v.counts, v.sum);
  }
  return out;
}

protocol::Response Metrics::response() const {
  protocol::Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = render();
  return r;
}

}  // namespace runnel::admin
