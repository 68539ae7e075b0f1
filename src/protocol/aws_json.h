// AWS JSON 1.0 / 1.1 codec and operation table (DynamoDB, DynamoDB Streams, SQS, SNS; the Query
// protocol serves the same table, protocol/query.h).
//
// A service registers its operations once: name, traits (protocol/operation.h), handler. The shared prelude here does what every
// operation needs exactly once: UnknownOperationException, JSON parsing (SerializationException),
// error rendering ({"__type": "<ns>#<Code>", "message": ...}), and DynamoDB's x-amz-crc32 header.
// https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <map>

#include <rapidjson/document.h>

#include "common/result.h"
#include "protocol/message.h"
#include "protocol/operation.h"

namespace runnel::protocol {

// A handler answers with the JSON body of a success, or an ApiError. It may answer later, from
// another thread (writes answer after their group commit).
using JsonReply = std::function<void(Result<std::string>)>;
using JsonHandler = std::function<void(const RequestContext&, const rapidjson::Document&, JsonReply)>;

struct JsonServiceOptions {
  std::string target_prefix;      // "DynamoDB_20120810"
  std::string content_type;       // "application/x-amz-json-1.0"
  bool crc32_header = false;      // DynamoDB: x-amz-crc32 on every response, errors included
  // awsQueryCompatible services (SQS): every error also carries
  // "x-amzn-query-error: <query_code or code>;Sender|Receiver", from which botocore >= 1.31 reports
  // the legacy Query error code (aws-reference.md 6.1).
  bool query_compatible = false;
};

class JsonService {
 public:
  explicit JsonService(JsonServiceOptions options) : options_(std::move(options)) {}

  void add(std::string name, OperationTraits traits, JsonHandler handler) {
    Operation op{name, traits};
    operations_.insert_or_assign(std::move(name), Entry{std::move(op), std::move(handler)});
  }
  const std::string& target_prefix() const { return options_.target_prefix; }
  // The operation registered under `name`, or null.
  const Operation* find(std::string_view name) const {
    auto it = operations_.find(name);
    return it == operations_.end() ? nullptr : &it->second.operation;
  }
  // Every operation, by name.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [name, entry] : operations_) fn(entry.operation);
  }

  // operation: the part of X-Amz-Target after the '.'.
  void dispatch(RequestContext ctx, std::string_view operation, std::string_view body, Reply reply) const;

  bool has_operation(std::string_view operation) const { return find(operation) != nullptr; }
  // Runs the handler of `operation` on an already decoded input (the Query protocol decodes forms
  // into the same document). ctx.operation should name the operation. As with dispatch, the handler
  // copies what it keeps from ctx and input before returning. False, with `reply` never called,
  // when no handler is registered under that name.
  bool invoke(const RequestContext& ctx, std::string_view operation, const rapidjson::Document& input,
              JsonReply reply) const;

  // Renders an error exactly as this service's clients expect it.
  Response render_error(const ApiError& error) const;
  Response render_success(std::string body) const;

 private:
  void finish(Response& r) const;
  struct Entry {
    Operation operation;
    JsonHandler handler;
  };
  JsonServiceOptions options_;
  std::map<std::string, Entry, std::less<>> operations_;
};

// {"__type":"ns#Code","message":"..."} plus the error's extra members.
std::string render_json_error_body(const ApiError& error);

}  // namespace runnel::protocol
