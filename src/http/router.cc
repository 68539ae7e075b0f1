#include "http/router.h"

#include <chrono>
#include <random>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "auth/auth_error.h"
#include "auth/authenticate.h"
#include "common/log.h"

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
  service_names_.push_back(std::move(health_name));
}

protocol::Response Router::health() const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("status");
  w.String("ok");
  w.Key("services");
  w.StartObject();
  for (const auto& name : service_names_) {
    w.Key(name.c_str());
    w.String("running");
  }
  w.EndObject();
  w.EndObject();
  protocol::Response r;
  r.content_type = "application/json";
  r.body.assign(sb.GetString(), sb.GetSize());
  if (health_extra_) {
    r.body.pop_back();
    r.body += "," + health_extra_() + "}";
  }
  return r;
}

void Router::handle(HttpRequest& request, protocol::Reply reply) const {
  std::string request_id = new_request_id();
  auto started = std::chrono::steady_clock::now();
  std::string_view target_header = request.header("X-Amz-Target");
  // One log line per request (debug), and every server-side failure (warn), with its request id.
  auto reply_with_id = [request_id, started, op = std::string(target_header),
                        reply = std::move(reply)](protocol::Response r) {
    if (r.status >= 500 || spdlog::should_log(spdlog::level::debug)) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      spdlog::log(r.status >= 500 ? spdlog::level::warn : spdlog::level::debug,
                  R"("event":"request","request_id":"{}","target":{},"status":{},"ms":{:.3f})", request_id,
                  json_quote(op), r.status, ms);
    }
    r.headers.emplace_back("x-amzn-RequestId", request_id);
    reply(std::move(r));
  };

  if (request.method == "GET" && request.target.starts_with("/_runnel/health")) {
    reply_with_id(health());
    return;
  }

  const protocol::JsonService* service = nullptr;
  std::string_view operation;
  if (auto dot = target_header.find('.'); dot != std::string_view::npos) {
    auto it = json_services_.find(target_header.substr(0, dot));
    if (it != json_services_.end()) {
      service = it->second;
      operation = target_header.substr(dot + 1);
    }
  }
  if (!service) {
    // No service claims this request. Answer in JSON 1.0 style, which every SDK can parse.
    protocol::JsonService fallback({"", "application/x-amz-json-1.0", false});
    ApiError e{"UnknownOperationException", "", 400, true, "com.amazon.coral.service", {}};
    reply_with_id(fallback.render_error(e));
    return;
  }

  protocol::RequestContext ctx;
  ctx.request_id = request_id;
  std::string_view authorization = request.header("Authorization");
  if (authorization.empty() && !options_.credentials) {
    // Unsigned requests (curl, health probes) are welcome when verification is off.
    ctx.account = std::string(auth::kDefaultAccountId);
    ctx.region = "us-east-1";
  } else {
    auth::SignedRequest signed_request{request.method, request.target, request.headers, request.body};
    auto identity = auth::authenticate(signed_request, options_.credentials.get(), std::chrono::system_clock::now());
    if (!identity.ok()) {
      reply_with_id(service->render_error(identity.error()));
      return;
    }
    ctx.account = std::move(identity->account_id);
    ctx.region = std::move(identity->region);
    ctx.access_key = std::move(identity->access_key);
  }

  if (request.in_flight > options_.max_in_flight) {
    // Shed load with the error SDKs retry with back-off, instead of queuing without bound.
    ApiError e{"ThrottlingException", "Rate of requests exceeds the allowed throughput.", 400, true,
               "com.amazon.coral.availability", {}};
    reply_with_id(service->render_error(e));
    return;
  }

  service->dispatch(std::move(ctx), operation, request.body, std::move(reply_with_id));
}

}  // namespace runnel::http
