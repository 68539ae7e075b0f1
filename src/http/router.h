// Router: one port, every service. Picks the service from X-Amz-Target (JSON protocols), the form
// field Action (query protocols) or the path (REST), resolves the caller (SigV4: region from the
// credential scope, account from the access key, signature verified when credentials are
// configured), sheds load beyond the in-flight limit, and hands the request to the service's codec.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "auth/credentials.h"
#include "http/request.h"
#include "protocol/aws_json.h"

namespace runnel::http {

struct RouterOptions {
  size_t max_in_flight = 4096;
  std::shared_ptr<const auth::CredentialStore> credentials;  // null: signatures are not verified
};

class Router {
 public:
  explicit Router(RouterOptions options) : options_(std::move(options)) {}

  // A JSON-protocol service, keyed by its X-Amz-Target prefix ("DynamoDB_20120810").
  void add_json_service(const protocol::JsonService* service, std::string health_name);
  // Extra members for GET /_runnel/health's "services" object (e.g. storage counters).
  void set_health_extra(std::function<std::string()> extra) { health_extra_ = std::move(extra); }

  void handle(HttpRequest& request, protocol::Reply reply) const;

 private:
  protocol::Response health() const;
  RouterOptions options_;
  std::map<std::string, const protocol::JsonService*, std::less<>> json_services_;
  std::vector<std::string> service_names_;
  std::function<std::string()> health_extra_;
};

// Request ids look like DynamoDB's: 52 upper-case letters and digits.
std::string new_request_id();

}  // namespace runnel::http
