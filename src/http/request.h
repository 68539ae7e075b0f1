// The HTTP request as the router sees it, without Beast types, so routing and auth can be unit
// tested and fuzzed without a socket.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/message.h"

namespace runnel::http {

// The body limit of a request whose endpoint names none: DynamoDB's largest request
// (BatchWriteItem's 16 MB) plus envelope.
inline constexpr size_t kDefaultMaxBodyBytes = 16 * 1024 * 1024 + 64 * 1024;

struct HttpRequest {
  std::string_view method;
  std::string_view target;  // path and query as sent
  // Views into the parsed request, valid until the response is sent; original case.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string body;
  size_t in_flight = 0;   // requests in progress when this one arrived (for load shedding)
  // Set by the router for a request that may park for long (an SQS long poll): once its handler
  // has returned it no longer counts as in flight, and the server watches for its client leaving.
  bool long_poll = false;
  // The connecting process on an extra listener (http/tcp_peer.h: its uid; a pid only where a
  // transport names one, which TCP does not); -1 when unknown. The Lambda Runtime API serves only
  // its own sandbox's processes.
  int peer_pid = -1;
  int peer_uid = -1;

  // Case-insensitive header lookup; empty when absent.
  std::string_view header(std::string_view name) const;
};

using Handler = std::function<void(HttpRequest&, protocol::Reply)>;

// Whoever answers a listener's requests: its handler, and what it wants done before a body is read.
// `body_limit` and `too_large` see the request's head only (method, target, headers; the body
// empty), which is all there is when the server must decide how much to read.
struct Endpoint {
  Handler handle;
  // The most bytes the server reads for this request's body; null: ServerOptions::max_body_bytes.
  std::function<size_t(const HttpRequest& head)> body_limit;
  // The answer to a request whose body would pass `limit`, in the shape its caller parses; null: a
  // JSON 1.0 RequestEntityTooLargeException. Either way the connection closes after it.
  std::function<protocol::Response(const HttpRequest& head, size_t limit)> too_large;
};

}  // namespace runnel::http
