// The HTTP/1.1 front door: a Boost.Beast listener on one port for every service. It reads a request
// (bounded body), hands it to the Router, and writes whatever the router answers, keeping the
// connection alive. Asio/Beast stay inside src/http (they cost ~30 s of compile per translation unit).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"

namespace runnel::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4566;
  int threads = 2;
  size_t max_body_bytes = kDefaultMaxBodyBytes;           // unless the endpoint names its own
  size_t max_in_flight = 4096;                             // beyond it: the service's throttling error
  // Timeouts, as a front end's: a connection idle (or sending its header) for longer than
  // header_timeout is closed; a body that makes no progress for body_timeout is dropped; a reply
  // the client does not read within write_timeout closes the connection.
  std::chrono::milliseconds header_timeout{60'000};
  std::chrono::milliseconds body_timeout{20'000};
  std::chrono::milliseconds write_timeout{60'000};
  // All request bodies being read at once, together: a request whose declared length would pass
  // it is answered 503 (SDKs retry it) instead of letting many large uploads hold the memory.
  size_t max_body_bytes_in_flight = 1024u * 1024 * 1024;
};

class Server {
 public:
  Server(ServerOptions options, Endpoint endpoint);
  ~Server();
  // Binds and starts the I/O threads; returns the bound port (useful with port 0).
  uint16_t start();
  // Stops accepting, lets in-flight requests finish (bounded wait), then stops the I/O threads.
  void shutdown();
  // Blocks until SIGTERM/SIGINT; then shuts down.
  void wait_for_signal();

  // A further listener on 127.0.0.1 and a free port, with its own handler, on one of the running
  // I/O threads (call after start()). Lambda gives each function process its own Runtime API
  // endpoint this way, as AWS gives each sandbox its own. Its requests are not counted as in flight:
  // a runtime parks a GET .../invocation/next there for as long as it lives. Returns the port, or 0
  // when it could not bind.
  uint16_t open_listener(Endpoint endpoint);
  // Stops accepting on that port; connections already open end when their peer closes them.
  void close_listener(uint16_t port);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runnel::http
