// What a stream mapping sends and reads back, as pure functions (unit-tested in esm_test.cc): the
// event a batch becomes, the function's ReportBatchItemFailures answer, and the on-failure record.
// https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ports/event_source.h"

namespace runnel::lambda::esm {

// Stream sequence numbers on the wire: "1" + 20 digits, numerically ordered, as streams issues
// them (streams/stream.h, format_sequence_number).
std::optional<uint64_t> parse_sequence(std::string_view text);
std::string format_sequence(uint64_t seq);

// {"Records":[…]}: each record as GetRecords returns it, plus "eventSourceARN".
std::string event_for(const std::vector<ports::StreamRecord>& records, std::string_view stream_arn);

// ParallelizationFactor: the lane (of `lanes`) a record goes to, by its item's key, so that one
// key's records stay in order. https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-params
size_t lane_of(const ports::StreamRecord& record, size_t lanes);

// Tumbling windows: windows of `window_s` seconds aligned to the epoch; a record belongs to the
// one holding its ApproximateCreationDateTime.
// https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-windows.html
int64_t window_of(int64_t written_ms, int window_s);
struct WindowContext {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string state = "{}";  // the state the function returned last (JSON object text)
  std::string shard_id;
  bool final_invoke = false;
  bool terminated_early = false;
};
// The event with a window: "Records", "window" {start, end}, "state", "shardId", "eventSourceARN",
// "isFinalInvokeForWindow", "isWindowTerminatedEarly".
std::string window_event_for(const std::vector<ports::StreamRecord>& records, std::string_view stream_arn,
                             const WindowContext& window);
// The "state" of a function's answer under a tumbling window, as JSON text; nullopt when it has
// none (or not an object): the invocation failed.
std::optional<std::string> window_state(std::string_view payload);

enum class Outcome { kSuccess, kFailure, kPartial };

// The ReportBatchItemFailures answer, whatever the source: kSuccess for no batchItemFailures (an
// empty or null list, an empty, null or non-object response); kFailure for an answer that is not
// JSON, a list that is not one, or an item whose itemIdentifier is missing, not a string, or one
// `accept` refuses; otherwise kPartial, `accept` having seen every identifier.
Outcome read_item_failures(std::string_view payload, const std::function<bool(std::string_view id)>& accept);

// The function's answer under ReportBatchItemFailures. Success: no batchItemFailures, an empty or
// null list, an empty or null (or non-object) response. Failure of the whole batch: an item with
// an empty, null or missing itemIdentifier or one that is no sequence number, or a response that
// is not JSON (nothing is skipped on an answer that cannot be read). Otherwise kPartial, with
// `lowest` the lowest reported sequence number.
// https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
Outcome item_failures(std::string_view payload, uint64_t& lowest);
// A partial failure naming a record the batch does not hold (or its first) fails it whole: the
// checkpoint may only move inside the batch.
Outcome within_batch(Outcome outcome, uint64_t lowest, const std::vector<ports::StreamRecord>& records);

struct FailureContext {
  std::string function_arn;
  std::string stream_arn;
  std::string shard_id;
  std::string condition;  // RetryAttemptsExhausted | RecordAgeExceeded
  int invoke_count = 0;
  std::string function_error;
  int64_t now_ms = 0;
};
// The on-failure destination's message: requestContext, responseContext, version, timestamp and
// DDBStreamBatchInfo (the batch's coordinates, not its records), as AWS sends it.
std::string failure_record(const FailureContext& why, const std::vector<ports::StreamRecord>& records);

}  // namespace runnel::lambda::esm
