// Router: one port, every service. Picks the service from X-Amz-Target (JSON protocols), the form
// field Action (query protocols) or the path (REST), resolves the caller (SigV4: region from the
// credential scope, account from the access key, signature verified when credentials are
// configured), sheds load beyond the in-flight limit, and hands the request to the service's codec.
//
// Query protocol (SQS, SNS): a POST with Content-Type application/x-www-form-urlencoded (any
// charset; parameters from the URL's query string and the body, the body's winning) or a GET whose
// query string has Action. The service is the one whose signing name the SigV4 credential scope
// names (Authorization header, or X-Amz-Credential of a presigned URL). Without such a scope (an
// unsigned GET: a browser following an SNS confirmation link) it is the first registered service
// whose model has the Action, so registration order breaks ties (SQS and SNS share AddPermission
// and RemovePermission): main registers SNS first, whose links are what arrives unsigned. With no
// match at all the first registered service answers MissingAction / InvalidAction.
// A request with X-Amz-Target always goes to the JSON service of that prefix, on any path (SDKs
// that post SQS JSON requests to the queue URL path).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/credentials.h"
#include "http/request.h"
#include "protocol/aws_json.h"
#include "protocol/query.h"
#include "protocol/rest.h"

namespace runnel::http {

struct RouterOptions {
  size_t max_in_flight = 4096;
  size_t max_body_bytes = kDefaultMaxBodyBytes;  // an operation's traits may name another
  std::shared_ptr<const auth::CredentialStore> credentials;  // null: signatures are not verified
};

class Router {
 public:
  explicit Router(RouterOptions options) : options_(std::move(options)) {}

  // A JSON-protocol service, keyed by its X-Amz-Target prefix ("DynamoDB_20120810").
  void add_json_service(const protocol::JsonService* service, std::string health_name);
  // A Query-protocol service, chosen by its SigV4 signing name ("sqs", "sns") or its Action; see
  // above. Listed in health under its signing name unless that name is already there.
  void add_query_service(const protocol::QueryService* service, std::string signing_name);
  // A REST service, chosen by its path prefix (requests without X-Amz-Target only).
  void add_rest_service(const protocol::RestService* service) {
    rest_services_.push_back(service);
    service_names_.emplace_back(service->signing_name());
  }
  // A fixed GET path answered by `handler` (e.g. the SNS signing certificate, the mailbox), without
  // auth. The handler gets the query string (without '?').
  using GetHandler = std::function<protocol::Response(std::string_view query_string)>;
  void add_get(std::string path, GetHandler handler) {
    get_handlers_[std::move(path)] = std::move(handler);
  }
  // A fixed GET path whose answer is an account's own (the mailbox). With --auth-credentials the
  // request must be SigV4-signed (any signing service) and `account` is the signer's; without,
  // a signed request still names its account, and an unsigned one gets "" (every account's).
  using AccountGetHandler = std::function<protocol::Response(std::string_view account, std::string_view query_string)>;
  void add_account_get(std::string path, AccountGetHandler handler) {
    account_get_handlers_[std::move(path)] = std::move(handler);
  }
  // GET /_runnel/health (and any path below it), answered without auth: main hands over the
  // document's builder (src/admin/health.h).
  void set_health(std::function<protocol::Response()> health) { health_ = std::move(health); }
  // The services registered, by the name health lists them under.
  const std::vector<std::string>& service_names() const { return service_names_; }

  void handle(HttpRequest& request, protocol::Reply reply) const;

  // Before a body is read, from the request's head: the most bytes its operation reads (its
  // traits' body_limit, else max_body_bytes), and the answer when the body would pass that limit,
  // rendered in the caller's protocol: RequestEntityTooLargeException (413), as AWS's front ends
  // answer (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html).
  size_t body_limit(const HttpRequest& head) const;
  protocol::Response too_large(const HttpRequest& head, size_t limit) const;
  // This router as the main port's endpoint (http/request.h).
  Endpoint endpoint() const;

  // Every operation the registered services serve: the signing name of its service, its protocol
  // ("json" for JSON 1.0/1.1, "query", "rest-json"), and its table entry. A service that speaks
  // JSON and Query (SQS) lists its operations under both.
  using OperationVisitor = std::function<void(std::string_view service, std::string_view protocol, const protocol::Operation&)>;
  void for_each_operation(const OperationVisitor& visit) const;

 private:
  RouterOptions options_;
  const protocol::QueryService* query_service_for(std::string_view scope_service, const std::string* action) const;
  // The JSON service an X-Amz-Target names (and the operation after its '.'), else the REST
  // service owning the path; all null for a Query request or none at all.
  struct Resolved {
    const protocol::JsonService* json = nullptr;
    std::string_view operation;
    const protocol::RestService* rest = nullptr;
  };
  Resolved resolve(const HttpRequest& request, std::string_view path) const;
  // An error found before dispatch (the body's size or coding), rendered for the service the head
  // names, with a request id.
  protocol::Response refuse_head(const HttpRequest& head, const Resolved& resolved, const ApiError& error) const;
  std::map<std::string, const protocol::JsonService*, std::less<>> json_services_;
  std::map<const protocol::JsonService*, std::string> json_signing_names_;
  // In registration order, which breaks ties between services that share an Action.
  std::vector<std::pair<std::string, const protocol::QueryService*>> query_services_;
  std::vector<const protocol::RestService*> rest_services_;
  std::vector<std::string> service_names_;
  std::function<protocol::Response()> health_;
  std::map<std::string, GetHandler, std::less<>> get_handlers_;
  std::map<std::string, AccountGetHandler, std::less<>> account_get_handlers_;
};

// Request ids look like DynamoDB's: 52 upper-case letters and digits.
std::string new_request_id();

}  // namespace runnel::http
