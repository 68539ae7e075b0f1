// Result<T> and ApiError: expected failures travel as values, exceptions are for bugs only.
//
// An ApiError is protocol-neutral: the code AWS clients switch on ("ValidationException",
// "ResourceNotFoundException", ...), the human message, the HTTP status, and whether the fault is the
// sender's (query protocols print <Type>Sender</Type>). Each protocol renders it in exactly one place
// (src/protocol). Extra members that some errors carry (ConditionalCheckFailedException's "Item",
// TransactionCanceledException's "CancellationReasons") ride along as a pre-rendered JSON fragment.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace runnel {

struct ApiError {
  std::string code;     // e.g. "ValidationException"
  std::string message;  // e.g. "One or more parameter values were invalid: ..."
  int http_status = 400;
  bool sender_fault = true;
  // Namespace printed before '#' in JSON 1.0 "__type". Cosmetic for every SDK, but we print what the
  // real service prints (aws-reference.md 1.1).
  std::string json_namespace = "com.amazonaws.dynamodb.v20120810";
  // Extra JSON members (without braces), e.g. "\"Item\":{...}". Empty when none.
  std::string extra_json;
  // The legacy awsQuery error code, where it differs from `code` (SQS: code "QueueDoesNotExist",
  // query code "AWS.SimpleQueueService.NonExistentQueue"). Query XML prints it as <Code>; JSON
  // services that are awsQueryCompatible send it in the x-amzn-query-error header.
  std::string query_code = {};

  static ApiError validation(std::string message) {
    return {"ValidationException", std::move(message), 400, true, "com.amazon.coral.validate", {}};
  }
  static ApiError serialization(std::string message) {
    return {"SerializationException", std::move(message), 400, true, "com.amazon.coral.service", {}};
  }
  static ApiError resource_not_found(std::string message) {
    return {"ResourceNotFoundException", std::move(message), 400, true,
            "com.amazonaws.dynamodb.v20120810", {}};
  }
  static ApiError resource_in_use(std::string message) {
    return {"ResourceInUseException", std::move(message), 400, true,
            "com.amazonaws.dynamodb.v20120810", {}};
  }
  static ApiError conditional_check_failed(std::string extra_json = {}) {
    return {"ConditionalCheckFailedException", "The conditional request failed", 400, true,
            "com.amazonaws.dynamodb.v20120810", std::move(extra_json)};
  }
  static ApiError internal(std::string message) {
    return {"InternalServerError", std::move(message), 500, false, "com.amazonaws.dynamodb.v20120810",
            {}};
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(ApiError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const ApiError& error() const& { assert(!ok()); return std::get<1>(v_); }
  ApiError&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, ApiError> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace runnel

// RUNNEL_TRY(var, expr): evaluate a Result-returning expr; return its error from the enclosing
// function, or bind the value to var.
#define RUNNEL_CONCAT_INNER(a, b) a##b
#define RUNNEL_CONCAT(a, b) RUNNEL_CONCAT_INNER(a, b)
#define RUNNEL_TRY(var, expr)                                      \
  auto RUNNEL_CONCAT(runnel_try_, __LINE__) = (expr);              \
  if (!RUNNEL_CONCAT(runnel_try_, __LINE__).ok())                  \
    return std::move(RUNNEL_CONCAT(runnel_try_, __LINE__)).error(); \
  var = std::move(RUNNEL_CONCAT(runnel_try_, __LINE__)).value()
#define RUNNEL_CHECK(expr)                                         \
  do {                                                             \
    auto runnel_check_status_ = (expr);                            \
    if (!runnel_check_status_.ok()) return std::move(runnel_check_status_).error(); \
  } while (0)
