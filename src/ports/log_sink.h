// The log-sink port: where a service writes the log lines it produces on a user's behalf — today
// a function's stdout and stderr, each line an event of its sandbox's log stream in the function's
// log group, as Lambda writes them to CloudWatch Logs.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
//
// main wires the sink: CloudWatch Logs (src/logs), whose log events `aws logs tail` follows.
#pragma once

#include <cstdint>
#include <string_view>

namespace runnel::ports {

// Where an event goes: a log stream of a log group of an account, in a region.
struct LogTarget {
  std::string_view account;
  std::string_view region;
  std::string_view group;
  std::string_view stream;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One event: `message` (one line, without its newline) at `timestamp_ms` in the target's stream
  // and group, both created on first use. Called on the producer's own thread (a sandbox's output
  // reader) and must not block it: a sink that cannot keep up drops and counts, it never stalls
  // the function whose output it is.
  virtual void write(const LogTarget& to, int64_t timestamp_ms, std::string_view message) = 0;
};

}  // namespace runnel::ports
