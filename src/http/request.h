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

}  // namespace runnel::http
