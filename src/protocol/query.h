// AWS Query protocol service (SQS for botocore < 1.31, SNS): form-encoded POST (or GET with a
// query string) in, XML out. The operations are the JSON-protocol handlers a service registered on
// a JsonService: the form is decoded into the JSON document those handlers already take, and
// their JSON output is rendered as XML, both by the service's QueryModel. One set of handlers
// therefore serves Query and JSON clients alike.
//
//   protocol::JsonService sqs_json({"AmazonSQS", "application/x-amz-json-1.0", false, true});
//   sqs.register_operations(sqs_json);
//   protocol::QueryService sqs_query({"", "sqs", true, {}}, sqs_json, protocol::QueryModel::sqs());
//   router.add_json_service(&sqs_json, "sqs");
//   router.add_query_service(&sqs_query, "sqs");
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "protocol/aws_json.h"
#include "protocol/message.h"
#include "protocol/query_codec.h"
#include "protocol/query_model.h"

namespace runnel::protocol {

struct QueryServiceOptions {
  // The xmlns of every response; empty: the model's (SQS "http://queue.amazonaws.com/doc/2012-11-05/",
  // SNS "http://sns.amazonaws.com/doc/2010-03-31/").
  std::string xml_namespace;
  // The SigV4 signing name ("sqs", "sns"): the router picks this service when the credential scope
  // names it, and auth errors take this service's shape (auth::error_for_service).
  std::string signing_name;
  // SQS prints an empty <Detail/> in <Error>; SNS does not.
  bool error_detail = true;
};

class QueryService {
 public:
  // `handlers` and `model` must outlive the service.
  QueryService(QueryServiceOptions options, const JsonService& handlers, const QueryModel& model);

  const std::string& signing_name() const { return options_.signing_name; }
  const std::string& xml_namespace() const { return options_.xml_namespace; }
  const QueryModel& model() const { return model_; }
  // The model has the action (whether or not a handler is registered for it).
  bool has_action(std::string_view action) const { return model_.operation(action) != nullptr; }
  // The operation an Action runs (its handler's table entry, traits included), or null.
  const Operation* operation(std::string_view action) const;

  // Decodes params["Action"]'s input, runs its handler, renders the reply as XML. Missing Action:
  // 400 MissingAction; an action the model or the handlers lack: 400 InvalidAction.
  void dispatch(RequestContext ctx, const FormParams& params, Reply reply) const;

  // Renders an error as this service's clients expect it. An error without query_code whose code
  // names a modeled exception shape ("QueueDoesNotExist") prints the model's legacy code.
  Response render_error(const ApiError& error, std::string_view request_id) const;

 private:
  QueryServiceOptions options_;
  const JsonService& handlers_;
  const QueryModel& model_;
};

// The Query protocol's common errors (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html).
ApiError query_missing_action();
ApiError query_invalid_action(std::string_view action);

}  // namespace runnel::protocol
