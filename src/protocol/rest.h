// REST-JSON requests (Lambda's control plane): the operation is the method and path, the input is
// spread over the path, the query string, headers and the body. The router hands a REST service the
// request as it came; the service matches its routes and renders its own errors.
// https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html
#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_write.h"
#include "common/result.h"
#include "protocol/message.h"
#include "protocol/operation.h"

namespace runnel::protocol {

struct RestRequest {
  std::string_view method;
  std::string_view path;          // as sent (percent-encoded)
  std::string_view query_string;  // without '?'
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // valid until the reply
  std::string body;
  // The connecting process as the kernel reports it (SO_PEERCRED), where the listener asks for it
  // (Lambda's Runtime API); -1 when unknown.
  int peer_pid = -1;
  int peer_uid = -1;

  // Case-insensitive; empty when absent.
  std::string_view header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          }))
        return v;
    }
    return {};
  }
};

// A REST-JSON answer: a JSON body with its status.
inline Response rest_json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

// A REST-JSON error as Lambda renders it: the code in x-amzn-ErrorType, {"Type": "User"|"Service",
// "Message"} as the body. https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
inline Response rest_json_error(const ApiError& error) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "Type", error.sender_fault ? "User" : "Service");
  key_string(w, "Message", error.message);
  w.EndObject();
  Response r = rest_json_response(error.http_status, finish_json(sb));
  r.headers.emplace_back("x-amzn-ErrorType", error.code);
  return r;
}

class RestService {
 public:
  virtual ~RestService() = default;
  // Whether `path` is one of this service's (Lambda: "/2015-03-31/functions...").
  virtual bool owns_path(std::string_view path) const = 0;
  // The SigV4 signing name ("lambda"), for the health listing.
  virtual std::string_view signing_name() const = 0;
  // The operation a method and path name (its route's table entry), or null.
  virtual const Operation* operation(std::string_view method, std::string_view path) const = 0;
  // Every operation, in table order.
  virtual void for_each_operation(const std::function<void(const Operation&)>& visit) const = 0;
  // The answer to a request whose body would pass `limit` bytes (`operation` null when no route
  // matches), in this service's shape: the server refuses it before reading the body.
  virtual Response request_too_large(const Operation* operation, size_t limit) const = 0;
  // The request may be answered later, from any thread.
  virtual void dispatch(RequestContext ctx, RestRequest& request, Reply reply) const = 0;
  // How this service renders errors found before dispatch (auth, throttling).
  virtual Response render_error(const ApiError& error) const = 0;
};

}  // namespace runnel::protocol
