// The HTTP/1.1 front door: a Boost.Beast listener on one port for every service. It reads a request
// (bounded body), hands it to the Router, and writes whatever the router answers, keeping the
// connection alive. Asio/Beast stay inside src/http (they cost ~30 s of compile per translation unit).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/request.h"

namespace runnel::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4566;
  int threads = 2;
  size_t max_body_bytes = 16 * 1024 * 1024 + 64 * 1024;  // BatchWriteItem's 16 MB plus envelope
  size_t max_in_flight = 4096;                             // beyond it: the service's throttling error
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  // Binds and starts the I/O threads; returns the bound port (useful with port 0).
  uint16_t start();
  // Stops accepting, lets in-flight requests finish (bounded wait), then stops the I/O threads.
  void shutdown();
  // Blocks until SIGTERM/SIGINT; then shuts down.
  void wait_for_signal();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runnel::http
