// The AWS Query protocol's service model: which form parameters and XML elements carry which
// member, as botocore's Query models name them (locationName, flattened, resultWrapper,
// xmlNamespace). Loaded from trimmed JSON that tools/gen_query_model.py writes to
// src/protocol/models/ and CMake embeds in the binary, so neither build nor runtime needs botocore.
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace runnel::protocol {

enum class ShapeType : uint8_t {
  kStructure, kList, kMap, kString, kInteger, kLong, kBoolean, kBlob, kTimestamp, kDouble, kFloat
};

struct QueryShape;

// A reference to a shape with its effective serialization traits (the generator already merged
// the referenced shape's own traits under the reference's, as botocore's ShapeResolver does).
struct ShapeRef {
  const QueryShape* shape = nullptr;
  std::string location_name;  // empty: none (default naming applies)
  bool flattened = false;
};

struct QueryMember {
  std::string name;  // the member name: the JSON protocol's key
  ShapeRef ref;
};

struct QueryShape {
  std::string name;
  ShapeType type = ShapeType::kString;
  std::vector<QueryMember> members;  // structure: in model order (XML element order)
  ShapeRef member;                   // list
  ShapeRef key, value;               // map
};

struct QueryOperation {
  std::string name;
  const QueryShape* input = nullptr;   // null: the operation takes no parameters
  const QueryShape* output = nullptr;  // null: the response has no <OpResult> element
  std::string result_wrapper;          // "<Op>Result" element around the output
};

// A modeled exception: its legacy Query error code, HTTP status and fault.
struct ModelError {
  std::string code;  // e.g. "AWS.SimpleQueueService.NonExistentQueue" for QueueDoesNotExist
  int http_status = 400;
  bool sender_fault = true;
};

class QueryModel {
 public:
  // Parses a model written by tools/gen_query_model.py. Errors name what is wrong.
  static Result<std::unique_ptr<QueryModel>> parse(std::string_view json);
  // The embedded models (parsed once, on first use; a malformed embedded model aborts).
  static const QueryModel& sqs();
  static const QueryModel& sns();

  QueryModel(const QueryModel&) = delete;
  QueryModel& operator=(const QueryModel&) = delete;

  const std::string& api_version() const { return api_version_; }
  const std::string& xml_namespace() const { return xml_namespace_; }
  const QueryOperation* operation(std::string_view name) const;
  // By exception shape name ("QueueDoesNotExist", "NotFoundException"); null when unmodeled.
  const ModelError* error(std::string_view shape_name) const;
  // The ApiError for a modeled exception: code = the shape name (what the JSON protocol's __type
  // carries), query_code = the model's legacy code when it differs, status and fault from the
  // model; json_namespace as given (SQS: "com.amazonaws.sqs"). An unmodeled name gives a 400
  // sender fault with that code.
  ApiError exception(std::string_view shape_name, std::string message, std::string json_namespace) const;
  const std::map<std::string, QueryOperation, std::less<>>& operations() const { return operations_; }

 private:
  QueryModel() = default;
  std::string api_version_;
  std::string xml_namespace_;
  // std::map: node addresses are stable, so ShapeRef and QueryOperation keep raw pointers.
  std::map<std::string, QueryShape, std::less<>> shapes_;
  std::map<std::string, QueryOperation, std::less<>> operations_;
  std::map<std::string, ModelError, std::less<>> errors_;
};

// The embedded model texts (generated from src/protocol/models/*.json into the build dir).
std::string_view embedded_sqs_model();
std::string_view embedded_sns_model();

}  // namespace runnel::protocol
