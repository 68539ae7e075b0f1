// The log-sink port: where a service writes the log lines it produces on a user's behalf — today
// a function's stdout and stderr, each line an event of its sandbox's log stream in the function's
// log group, as Lambda writes them to CloudWatch Logs.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
//
// main wires the sink. Until runnel has CloudWatch Logs (issue 18) the sink is runnel's own log
// (src/main/components.cc, "lambda.log" events); with it, the same calls become log events that
// `aws logs tail` follows, and no producer changes.
#pragma once

#include <cstdint>
#include <string_view>

namespace runnel::ports {

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One event: `message` (one line, without its newline) at `timestamp_ms` in `stream` of
  // `group`, both created on first use. Called on the producer's own thread (a sandbox's output
  // reader) and must not block it: a sink that cannot keep up drops and counts, it never stalls
  // the function whose output it is.
  virtual void write(std::string_view group, std::string_view stream, int64_t timestamp_ms, std::string_view message) = 0;
};

}  // namespace runnel::ports
