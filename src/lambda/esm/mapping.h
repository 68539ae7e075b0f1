// An event source mapping: a DynamoDB stream or an SQS queue whose records (messages) a function
// receives in batches. Its definition as the API shows it and as the store keeps it.
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
//
// Storage (meta family):
//   "lambda/esm/m/<uuid>"                    -> the mapping (encode_mapping)
//   "lambda/esm/c/<uuid>/<20-digit start>"   -> a shard's checkpoint: the next sequence number to
//                                               deliver, and whether the shard is finished
//   "lambda/esm/w/<uuid>/<20-digit start>/<lane>" -> a lane's open tumbling window and its state
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/result.h"

namespace runnel::lambda::esm {

struct Mapping {
  std::string uuid;
  std::string account;
  std::string region;
  std::string function_arn;  // unqualified, or with the qualifier the caller gave
  std::string source_arn;
  int batch_size = 100;
  int batching_window_s = 0;
  std::string starting_position;  // TRIM_HORIZON | LATEST
  bool enabled = true;
  int parallelization = 1;
  int max_retry_attempts = -1;  // -1: until the records expire
  int max_record_age_s = -1;    // -1: until the records expire
  bool bisect = false;
  std::string on_failure;       // an SQS queue or SNS topic ARN, or empty
  bool report_batch_item_failures = false;
  std::vector<std::string> filters;  // FilterCriteria.Filters[].Pattern
  std::optional<int> tumbling_window_s;
  bool metrics_event_count = false;  // MetricsConfig.Metrics ["EventCount"]
  std::optional<int> max_concurrency;  // ScalingConfig.MaximumConcurrency (SQS)
  int64_t last_modified_ms = 0;

  std::string arn() const;
  bool from_queue() const { return is_queue_arn(source_arn); }
  // SQS's naming rule: a FIFO queue's name ends in ".fifo", and only a FIFO queue's may.
  bool from_fifo_queue() const { return from_queue() && source_arn.ends_with(".fifo"); }
  static bool is_queue_arn(std::string_view arn) { return arn.starts_with("arn:aws:sqs:"); }
};

// Who can be found where: what a mapping's validation needs to know of the rest of runnel.
struct Lookup {
  // The function's ARN (unqualified) for a name, partial or full ARN; empty when there is none.
  std::function<std::string(std::string_view given)> function_arn;
  // Whether a DynamoDB stream ARN names a stream that exists (and is enabled).
  std::function<bool(std::string_view stream_arn)> stream_exists;
  // Whether an SQS queue ARN names a queue the caller can reach.
  std::function<bool(std::string_view queue_arn)> queue_exists;
};

// CreateEventSourceMapping's body -> a new mapping (uuid, account, region to be set by the caller).
Result<Mapping> parse_create(const rapidjson::Value& body, const Lookup& lookup);
// UpdateEventSourceMapping's body applied to `m`.
Status apply_update(Mapping& m, const rapidjson::Value& body, const Lookup& lookup);

// The EventSourceMappingConfiguration the API returns.
std::string render_mapping(const Mapping& m, std::string_view state, std::string_view last_result);

std::string encode_mapping(const Mapping& m);
Result<Mapping> decode_mapping(std::string_view json);

inline constexpr std::string_view kMappingPrefix = "lambda/esm/m/";
inline constexpr std::string_view kCheckpointPrefix = "lambda/esm/c/";
inline constexpr std::string_view kWindowPrefix = "lambda/esm/w/";
std::string mapping_key(std::string_view uuid);
std::string checkpoint_key(std::string_view uuid, uint64_t shard_start);
// A lane's open tumbling window: {"start": <ms>, "state": {…}}, written with the checkpoint.
std::string window_key(std::string_view uuid, uint64_t shard_start, size_t lane);

}  // namespace runnel::lambda::esm
