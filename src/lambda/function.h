// A Lambda function as runnel keeps it: its configuration (what FunctionConfiguration reports), its
// resource policy and its asynchronous-invocation settings. Only the unpublished version, $LATEST,
// exists (no versions or aliases yet), and only custom runtimes (provided.al2023, provided.al2,
// provided) run: the function process is the zip's `bootstrap`, spoken to over the Runtime API.
// https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/json_write.h"
#include "common/result.h"
#include "common/uuid.h"

namespace runnel::lambda {

// Lambda's errors: status from the model, code in x-amzn-ErrorType, {"Type","Message"} body.
ApiError invalid_parameter(std::string message);   // InvalidParameterValueException, 400
ApiError not_found(std::string message);           // ResourceNotFoundException, 404
ApiError conflict(std::string message);            // ResourceConflictException, 409
ApiError too_large(std::string message);           // RequestTooLargeException, 413

struct Function {
  std::string account;
  std::string region;
  std::string name;
  std::string runtime;
  std::string role;
  std::string handler;
  std::string description;
  int timeout = 3;        // seconds, 1-900
  int memory_size = 128;  // MB, 128-10240
  std::map<std::string, std::string> environment;
  std::string architecture = "x86_64";
  int ephemeral_storage = 512;  // MB
  std::string dead_letter_target;  // DeadLetterConfig.TargetArn (an SQS queue runnel can enqueue into)
  std::map<std::string, std::string> tags;
  // Code: the zip is stored under its SHA-256 (hex); CodeSha256 reports it in base64.
  std::string code_sha256_hex;
  std::string code_sha256_b64;
  uint64_t code_size = 0;
  std::string last_modified;  // 2024-01-01T00:00:00.000+0000
  std::string revision_id;    // a UUID, new on every change
  // Resource policy statements (AddPermission), each a JSON object, by Sid.
  std::map<std::string, std::string> policy_statements;
  std::string policy_revision_id;
  // PutFunctionEventInvokeConfig; -1 when not set (AWS's defaults then: 2 retries, 6 hours).
  int max_retry_attempts = -1;
  int max_event_age_seconds = -1;
  std::string event_invoke_config_modified;  // epoch seconds, as AWS reports LastModified there
  // PutFunctionConcurrency's ReservedConcurrentExecutions; -1 when not set.
  int reserved_concurrency = -1;

  std::string arn() const { return "arn:aws:lambda:" + region + ":" + account + ":function:" + name; }
  // The resource policy as GetPolicy shows it (and as the cross-account check evaluates it); empty
  // without statements.
  std::string policy_document() const;
  int retries() const { return max_retry_attempts < 0 ? 2 : max_retry_attempts; }
  int event_age_seconds() const { return max_event_age_seconds < 0 ? 21600 : max_event_age_seconds; }
};

// The stored form (meta family), and back.
std::string encode_function(const Function& f);
Result<Function> decode_function(std::string_view stored);

// FunctionConfiguration, as every control-plane operation reports it.
void write_configuration(JsonWriter& w, const Function& f);
std::string configuration_json(const Function& f);

// The function name a path segment or FunctionName parameter gives: a name, a full or partial ARN
// ("123456789012:function:name"), optionally with ":$LATEST". Fails with AWS's messages for names
// that are malformed, name another account or region, or a qualifier runnel does not have.
Result<std::string> resolve_function_name(std::string_view given, std::string_view account, std::string_view region);

// The same, for the operations another account may call where the function's resource policy
// allows it (Invoke): the account the ARN names, or the caller's.
struct FunctionRef {
  std::string account;
  std::string name;
};
Result<FunctionRef> resolve_function_ref(std::string_view given, std::string_view account, std::string_view region);

// CreateFunction / UpdateFunctionConfiguration members that are configuration (not code). `creating`
// applies CreateFunction's required members and defaults.
Status apply_configuration(Function& f, const rapidjson::Value& input, bool creating);

// 2024-01-01T00:00:00.000+0000
std::string lambda_timestamp(int64_t ms);

}  // namespace runnel::lambda
