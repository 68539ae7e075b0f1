#include "http/router.h"

#include <algorithm>
#include <chrono>
#include <random>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/auth_error.h"
#include "auth/authenticate.h"
#include "common/log.h"
#include "common/uuid.h"
#include "http/content_coding.h"

namespace runnel::http {

std::string new_request_id() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(52, 'A');
  uint64_t bits = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i % 10 == 0) bits = rng();
    id[i] = kAlphabet[bits % 36];
    bits /= 36;
  }
  return id;
}

void Router::add_json_service(const protocol::JsonService* service, std::string health_name) {
  json_services_[service->target_prefix()] = service;
  json_signing_names_[service] = health_name;
  service_names_.push_back(std::move(health_name));
}

Router::Resolved Router::resolve(const HttpRequest& request, std::string_view path) const {
  Resolved r;
  std::string_view target_header = request.header("X-Amz-Target");
  if (auto dot = target_header.find('.'); dot != std::string_view::npos) {
    auto it = json_services_.find(target_header.substr(0, dot));
    if (it != json_services_.end()) {
      r.json = it->second;
      r.operation = target_header.substr(dot + 1);
      return r;
    }
  }
  // REST services own their path prefix.
  for (const auto* candidate : rest_services_) {
    if (candidate->owns_path(path)) r.rest = candidate;
  }
  return r;
}

void Router::for_each_operation(const OperationVisitor& visit) const {
  for (const auto& [prefix, service] : json_services_) {
    const std::string& name = json_signing_names_.at(service);
    service->for_each([&](const protocol::Operation& op) { visit(name, "json", op); });
  }
  for (const auto& [name, service] : query_services_) {
    // The Query protocol serves the model's actions that have a handler.
    for (const auto& [action, modeled] : service->model().operations()) {
      if (const protocol::Operation* op = service->operation(action)) visit(name, "query", *op);
    }
  }
  for (const auto* service : rest_services_) {
    service->for_each_operation([&](const protocol::Operation& op) { visit(service->signing_name(), "rest-json", op); });
  }
}

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Region and service of a SigV4 credential "<key>/<date>/<region>/<service>/aws4_request"; empty
// views when it has not that shape. Only for routing: authenticate() checks the header for real.
struct CredentialScope {
  std::string_view region;
  std::string_view service;
};

CredentialScope credential_scope(std::string_view credential) {
  std::string_view parts[4];
  for (auto& part : parts) {
    size_t slash = credential.find('/');
    if (slash == std::string_view::npos) return {};
    part = credential.substr(0, slash);
    credential.remove_prefix(slash + 1);
  }
  if (credential != "aws4_request") return {};
  return {parts[2], parts[3]};
}

// The Credential=... parameter of an Authorization header, or empty.
std::string_view authorization_credential(std::string_view authorization) {
  size_t at = authorization.find("Credential=");
  if (at == std::string_view::npos) return {};
  std::string_view rest = authorization.substr(at + 11);
  return rest.substr(0, rest.find_first_of(", "));
}

}  // namespace

void Router::add_query_service(const protocol::QueryService* service, std::string signing_name) {
  if (std::find(service_names_.begin(), service_names_.end(), signing_name) == service_names_.end()) {
    service_names_.push_back(signing_name);
  }
  query_services_.emplace_back(std::move(signing_name), service);
}

const protocol::QueryService* Router::query_service_for(std::string_view scope_service,
                                                        const std::string* action) const {
  if (query_services_.empty()) return nullptr;
  for (const auto& [name, service] : query_services_) {
    if (name == scope_service) return service;
  }
  if (action) {
    for (const auto& [name, service] : query_services_) {
      if (service->has_action(*action)) return service;
    }
  }
  return query_services_.front().second;
}

void Router::handle(HttpRequest& request, protocol::Reply reply) const {
  std::string request_id = new_request_id();
  auto started = std::chrono::steady_clock::now();
  std::string_view target_header = request.header("X-Amz-Target");
  const size_t question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query_string =
      question == std::string_view::npos ? std::string_view() : request.target.substr(question + 1);

  const Resolved resolved = resolve(request, path);
  const protocol::JsonService* service = resolved.json;
  const std::string_view operation = resolved.operation;
  const protocol::RestService* rest = resolved.rest;
  // A compressed body (Content-Encoding gzip or deflate) is decoded before anything reads it,
  // bounded by its operation's body limit; the signature still covers the bytes as sent.
  std::string decoded_body;
  const bool encoded = is_encoded(request.header("Content-Encoding"));
  if (encoded) {
    const size_t limit = body_limit(request);
    DecodedBody decoded = decode_content(request.header("Content-Encoding"), request.body, limit);
    if (decoded.status == DecodedBody::Status::kTooLarge) return reply(too_large(request, limit));
    if (decoded.status != DecodedBody::Status::kOk) {
      // AWS's common error for a body it cannot decompress (CommonErrors: MalformedHttpRequestException).
      // [unverified wording] the messages are runnel's.
      std::string message = decoded.status == DecodedBody::Status::kUnsupported
                                ? "Unsupported Content-Encoding: " + decoded.detail
                                : "The request body could not be decompressed (" + decoded.detail + ")";
      return reply(refuse_head(request, resolved,
                               {"MalformedHttpRequestException", std::move(message), 400, true, "com.amazon.coral.service", {}}));
    }
    decoded_body = std::move(decoded.body);
  }
  std::string& body = encoded ? decoded_body : request.body;
  // Lambda's request ids are UUIDs; an Invoke runs under its request's id (ctx.request_id).
  if (rest) request_id = new_uuid();
  // Query protocol: a form POST, or a GET whose query string names an Action.
  const protocol::QueryService* query = nullptr;
  protocol::FormParams params;
  const std::string* action = nullptr;
  std::string_view authorization = request.header("Authorization");
  if (!service && !rest && !query_services_.empty()) {
    const bool form_post = request.method == "POST" &&
                           starts_with_ignoring_case(request.header("Content-Type"), "application/x-www-form-urlencoded");
    if (form_post || (request.method == "GET" && !query_string.empty())) {
      protocol::parse_form_into(query_string, params);
      if (form_post) protocol::parse_form_into(body, params);
      action = protocol::find_param(params, "Action");
      if (form_post || action) {
        std::string_view credential = authorization_credential(authorization);
        if (credential.empty()) {
          const std::string* presigned = protocol::find_param(params, "X-Amz-Credential");
          if (presigned) credential = *presigned;
        }
        query = query_service_for(credential_scope(credential).service, action);
      }
    }
  }

  // The operation's table entry (null for one no handler serves: its service answers that).
  const protocol::Operation* entry = query     ? (action ? query->operation(*action) : nullptr)
                                     : rest    ? rest->operation(request.method, path)
                                     : service ? service->find(operation)
                                               : nullptr;

  // Every answer counts in its operation's stats (GET /_runnel/metrics); one log line per request
  // (debug), and every server-side failure (warn), with its request id.
  std::string op = query  ? (action ? *action : std::string())
                   : rest ? std::string(request.method) + " " + std::string(path)
                          : std::string(target_header);
  auto reply_with_id = [request_id, started, entry, op = std::move(op), reply = std::move(reply)](protocol::Response r) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (entry) entry->stats->record(r.status, elapsed);
    if (r.status >= 500 || spdlog::should_log(spdlog::level::debug)) {
      double ms = std::chrono::duration<double, std::milli>(elapsed).count();
      spdlog::log(r.status >= 500 ? spdlog::level::warn : spdlog::level::debug,
                  R"("event":"request","request_id":"{}","target":{},"status":{},"ms":{:.3f})", request_id,
                  json_quote(op), r.status, ms);
    }
    r.headers.emplace_back("x-amzn-RequestId", request_id);
    reply(std::move(r));
  };

  if (request.method == "GET" && request.target.starts_with("/_runnel/health") && health_) {
    reply_with_id(health_());
    return;
  }
  if (request.method == "GET") {
    if (auto it = get_handlers_.find(path); it != get_handlers_.end()) {
      reply_with_id(it->second(query_string));
      return;
    }
    if (auto it = account_get_handlers_.find(path); it != account_get_handlers_.end()) {
      std::string account;
      if (!authorization.empty() || options_.credentials) {
        auth::SignedRequest signed_request{request.method, request.target, request.headers, request.body};
        auto identity = auth::authenticate(signed_request, options_.credentials.get(), std::chrono::system_clock::now());
        if (!identity.ok()) {
          // Not an AWS API: JSON 1.0's error shape, and 403 as for any refused credentials.
          protocol::JsonService plain({"", "application/x-amz-json-1.0", false});
          ApiError e = identity.error();
          e.http_status = 403;
          reply_with_id(plain.render_error(e));
          return;
        }
        account = std::move(identity->account_id);
      }
      reply_with_id(it->second(account, query_string));
      return;
    }
  }

  if (!service && !query && !rest) {
    // DynamoDB's endpoint answers a plain GET / as its load balancers' health check does:
    // 200 "healthy: <host>". Test suites and container probes call it.
    if (request.method == "GET" && path == "/") {
      protocol::Response healthy;
      healthy.content_type = "text/plain";
      healthy.body = "healthy: " + std::string(request.header("Host"));
      reply_with_id(std::move(healthy));
      return;
    }
    // No service claims this request: answered in JSON 1.0 style, which every SDK can parse. At /
    // (a JSON request without X-Amz-Target) that is DynamoDB's UnknownOperationException; a path
    // no service owns is not found.
    protocol::JsonService fallback({"", "application/x-amz-json-1.0", false});
    ApiError e{"UnknownOperationException", "", 400, true, "com.amazon.coral.service", {}};
    if (path != "/") e.http_status = 404;
    reply_with_id(fallback.render_error(e));
    return;
  }
  auto render_error = [&](const ApiError& e) {
    if (rest) return rest->render_error(e);
    return service ? service->render_error(e)
                   : query->render_error(auth::error_for_service(e, query->signing_name()), request_id);
  };

  protocol::RequestContext ctx;
  ctx.request_id = request_id;
  ctx.host = request.header("Host");
  ctx.path = path;
  const bool anonymous = authorization.empty() && entry && entry->traits.anonymous;
  // A presigned URL (the signature in its query) is authenticated as a header signature is: its
  // key names the account, and with verification on its signature and lifetime are checked.
  const bool presigned = authorization.empty() && query_string.find("X-Amz-Signature=") != std::string_view::npos;
  if (authorization.empty() && !presigned && (!options_.credentials || anonymous)) {
    // Unsigned requests (curl, health probes, SNS subscription links) are welcome when verification
    // is off.
    ctx.account = std::string(auth::kDefaultAccountId);
    ctx.region = "us-east-1";
  } else {
    auth::SignedRequest signed_request{request.method, request.target, request.headers, request.body};
    auto identity = auth::authenticate(signed_request, options_.credentials.get(), std::chrono::system_clock::now());
    if (!identity.ok()) {
      reply_with_id(render_error(identity.error()));
      return;
    }
    ctx.account = std::move(identity->account_id);
    ctx.region = std::move(identity->region);
    ctx.access_key = std::move(identity->access_key);
  }

  if (request.in_flight > options_.max_in_flight) {
    // Shed load with the error SDKs retry with back-off, instead of queuing without bound. Query
    // clients see AWS's common "Throttling" code, which botocore also retries.
    ApiError e{"ThrottlingException", "Rate of requests exceeds the allowed throughput.", 400, true,
               "com.amazon.coral.availability", {}, "Throttling"};
    reply_with_id(render_error(e));
    return;
  }

  // An SQS ReceiveMessage may park for up to 20 s: the server stops counting it as in flight
  // once it is parked, and ends it when its client leaves.
  request.long_poll = entry && entry->traits.long_poll;
  if (query) {
    query->dispatch(std::move(ctx), params, std::move(reply_with_id));
    return;
  }
  if (rest) {
    protocol::RestRequest rest_request{request.method, path, query_string, request.headers, std::move(body)};
    rest->dispatch(std::move(ctx), rest_request, std::move(reply_with_id));
    return;
  }
  service->dispatch(std::move(ctx), operation, body, std::move(reply_with_id));
}

size_t Router::body_limit(const HttpRequest& head) const {
  const std::string_view path = head.target.substr(0, head.target.find('?'));
  const Resolved resolved = resolve(head, path);
  const protocol::Operation* op = resolved.json   ? resolved.json->find(resolved.operation)
                                  : resolved.rest ? resolved.rest->operation(head.method, path)
                                                  : nullptr;
  // A Query request's Action is in the body not yet read: the service's default holds.
  return op && op->traits.body_limit ? op->traits.body_limit : options_.max_body_bytes;
}

protocol::Response Router::refuse_head(const HttpRequest& head, const Resolved& resolved, const ApiError& e) const {
  std::string request_id = resolved.rest ? new_uuid() : new_request_id();
  protocol::Response r;
  if (resolved.rest) {
    r = resolved.rest->render_error(e);
  } else if (resolved.json) {
    r = resolved.json->render_error(e);
  } else if (!query_services_.empty()) {
    // Not JSON nor REST: a Query client (the Action is in the body), for the service its
    // credential scope names.
    std::string_view credential = authorization_credential(head.header("Authorization"));
    r = query_service_for(credential_scope(credential).service, nullptr)->render_error(e, request_id);
  } else {
    r = protocol::JsonService({"", "application/x-amz-json-1.0", false}).render_error(e);
  }
  r.headers.emplace_back("x-amzn-RequestId", std::move(request_id));
  return r;
}

protocol::Response Router::too_large(const HttpRequest& head, size_t limit) const {
  const std::string_view path = head.target.substr(0, head.target.find('?'));
  const Resolved resolved = resolve(head, path);
  if (resolved.rest) {
    protocol::Response r = resolved.rest->request_too_large(resolved.rest->operation(head.method, path), limit);
    r.headers.emplace_back("x-amzn-RequestId", new_uuid());
    return r;
  }
  // [unverified wording] The code and status are AWS's common error; the text names the limit.
  ApiError e{"RequestEntityTooLargeException", fmt::format("Request must be smaller than {} bytes", limit), 413, true,
             "com.amazon.coral.service", {}};
  if (resolved.json) e.message += fmt::format(" for the {} operation", resolved.operation);
  return refuse_head(head, resolved, e);
}

Endpoint Router::endpoint() const {
  return {[this](HttpRequest& request, protocol::Reply reply) { handle(request, std::move(reply)); },
          [this](const HttpRequest& head) { return body_limit(head); },
          [this](const HttpRequest& head, size_t limit) { return too_large(head, limit); }};
}

}  // namespace runnel::http
