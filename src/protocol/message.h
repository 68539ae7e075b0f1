// Protocol-neutral request context and response: what services and codecs exchange. No Beast types
// cross this line (services never depend on src/http).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace runnel::protocol {

// Who is calling and where: resolved once per request by the HTTP layer from SigV4.
struct RequestContext {
  std::string request_id;  // echoed in x-amzn-RequestId
  std::string account;     // 12 digits
  std::string region;      // from the credential scope
  std::string access_key;
  std::string operation;   // e.g. "PutItem", filled by the codec
  std::string host;        // the Host header, e.g. "127.0.0.1:4566" (SQS builds queue URLs from it)
  std::string path;        // the request path, e.g. "/000000000000/orders" (SQS: the queue URL path)
};

struct Response {
  int status = 200;
  std::string content_type = "application/x-amz-json-1.0";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Completion of an asynchronous handler. May be invoked on any thread, exactly once.
using Reply = std::function<void(Response)>;

}  // namespace runnel::protocol
