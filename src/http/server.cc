#include <utility>  // Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.

#include "http/server.h"

#include "http/content_coding.h"
#include "http/tcp_peer.h"

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/thread_name.h"

namespace runnel::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); }))
      return v;
  }
  return {};
}

namespace {

// A request's header block (request line included) beyond this is refused with 400, as AWS's
// endpoints refuse a header over 16 KB.
constexpr size_t kMaxHeaderBytes = 16 * 1024;

std::string_view std_view(beast::string_view v) { return {v.data(), v.size()}; }

struct ReplySlot;

// Replies that reach an I/O thread from another thread — the storage completion thread answering a
// group of writes, a long poll woken by a commit — queue here and are handed over with one post
// per batch instead of one per reply. Posting is the expensive part: each asio::post locks the
// io_context's scheduler and, with its thread busy, wakes it through a futex. A commit thread that
// posted a group's 20-odd replies one by one spent longer in those wake-ups than in the group's
// fdatasync (measured with strace on rn-commit at 64 connections; docs/architecture.md, "One request").
// A lock-free stack: pushing onto an empty stack posts one drain; pushes before that drain runs
// ride along with it.
class CrossThreadReplies {
 public:
  explicit CrossThreadReplies(asio::io_context& io) : io_(io) {}
  CrossThreadReplies(const CrossThreadReplies&) = delete;
  CrossThreadReplies& operator=(const CrossThreadReplies&) = delete;
  ~CrossThreadReplies() { free_list(head_.exchange(nullptr)); }  // replies for a stopped server

  void push(std::shared_ptr<ReplySlot> slot, protocol::Response response) {
    auto* node = new Node{std::move(slot), std::move(response), nullptr};
    Node* old = head_.load(std::memory_order_relaxed);
    do {
      node->next = old;
    } while (!head_.compare_exchange_weak(old, node, std::memory_order_release, std::memory_order_relaxed));
    if (old == nullptr) asio::post(io_, [this] { drain(); });
  }

 private:
  struct Node {
    std::shared_ptr<ReplySlot> slot;
    protocol::Response response;
    Node* next;
  };
  void drain();
  static void free_list(Node* n) {
    while (n) delete std::exchange(n, n->next);
  }

  asio::io_context& io_;
  std::atomic<Node*> head_{nullptr};
};

// Where a routed request's response lands. Reads answer inline, on the connection's own thread,
// while the handler is still running: the response is stored and the connection carries on with no
// executor hop. Writes answer later from the storage completion thread: the response goes through the
// thread's CrossThreadReplies, whose drain fills the slot and wakes the connection from its wait on
// `wake`. One slot per connection, shared with late callbacks so it outlives a connection that
// closed meanwhile.
struct ReplySlot {
  ReplySlot(const asio::any_io_executor& executor, CrossThreadReplies& replies)
      : wake(executor, asio::steady_timer::time_point::max()), replies(replies) {}
  asio::steady_timer wake;
  CrossThreadReplies& replies;
  std::optional<protocol::Response> response;
  std::atomic<bool> inline_phase{false};
  std::thread::id connection_thread;
  bool client_gone = false;  // a parked long poll's client closed (set on the connection's thread)
};

void CrossThreadReplies::drain() {
  // The stack holds the newest first; answer in arrival order.
  Node* reversed = nullptr;
  for (Node* n = head_.exchange(nullptr, std::memory_order_acquire); n;) {
    Node* next = n->next;
    n->next = reversed;
    reversed = n;
    n = next;
  }
  for (Node* n = reversed; n;) {
    n->slot->response = std::move(n->response);
    n->slot->wake.cancel();
    delete std::exchange(n, n->next);
  }
}

protocol::Reply make_reply(std::shared_ptr<ReplySlot> slot) {
  return [slot = std::move(slot)](protocol::Response response) {
    if (slot->inline_phase.load(std::memory_order_acquire) && std::this_thread::get_id() == slot->connection_thread) {
      slot->response = std::move(response);
      return;
    }
    slot->replies.push(slot, std::move(response));
  };
}

}  // namespace

// One io_context per I/O thread, each with its own SO_REUSEPORT acceptor on the same port: the
// kernel spreads connections over the threads, and a connection's whole life (read, route, write,
// and the hop back from the storage writer) stays on one thread, with no cross-thread wake-ups for
// reads answered inline.
struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<const Endpoint> endpoint;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  // One per context, same index; declared after `contexts` so it is destroyed first (a stopped
  // context never runs the drains still queued in it).
  std::vector<std::unique_ptr<CrossThreadReplies>> replies;
  std::vector<std::thread> threads;
  std::atomic<size_t> in_flight{0};
  std::atomic<size_t> body_bytes{0};  // declared lengths of the bodies being read or served
  std::atomic<bool> accepting{true};

  Impl(ServerOptions o, Endpoint e) : options(std::move(o)), endpoint(std::make_shared<const Endpoint>(std::move(e))) {}

  // Extra listeners (open_listener): port -> acceptor and the context it runs on.
  struct ExtraListener {
    std::shared_ptr<tcp::acceptor> acceptor;
    size_t context = 0;
  };
  std::mutex extra_mu;
  std::map<uint16_t, ExtraListener> extra;
  size_t next_extra_context = 0;

  // Reads and drops what a refused request still sends (bounded in bytes and time).
  static asio::awaitable<void> drain(beast::tcp_stream& stream) {
    constexpr size_t kMaxDrainBytes = 256u * 1024 * 1024;
    std::vector<char> scratch(64 * 1024);
    size_t drained = 0;
    beast::error_code ec;
    stream.expires_after(std::chrono::seconds(10));
    while (drained < kMaxDrainBytes) {
      size_t n = co_await stream.async_read_some(asio::buffer(scratch), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      drained += n;
    }
    stream.expires_never();
  }

  // Writes a short error answer (malformed request, too many bodies in flight) and closes.
  static asio::awaitable<void> refuse(beast::tcp_stream& stream, bhttp::status status, std::string body,
                                      std::chrono::milliseconds timeout) {
    bhttp::response<bhttp::string_body> res{status, 11};
    res.set(bhttp::field::server, "runnel");
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    res.keep_alive(false);
    res.prepare_payload();
    beast::error_code ec;
    stream.expires_after(timeout);
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  // The answer a request that could not be parsed gets before the connection closes: 400 for a
  // malformed request line or field, and for a header over kMaxHeaderBytes, as AWS's endpoints
  // answer one (not RFC 9110's 431); 505 for a version we do not speak; nothing for a client that
  // just went away or timed out.
  static std::optional<bhttp::status> status_for_parse_error(const beast::error_code& ec) {
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
        ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
      return std::nullopt;
    if (ec.category() == beast::error_code(bhttp::error::header_limit).category()) return bhttp::status::bad_request;
    return std::nullopt;
  }

  // Whether a request line Beast refused as a bad version does name one ("HTTP/2.0"): that is a
  // version we do not speak (505), where a line with no version at all is malformed (400).
  static bool names_a_version(const beast::flat_buffer& buffer) {
    std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
    std::string_view line = data.substr(0, data.find('\n'));
    size_t at = line.rfind(" HTTP/");
    return at != std::string_view::npos && at + 6 < line.size() && std::isdigit(static_cast<unsigned char>(line[at + 6]));
  }

  // `counted`: whether the connection's requests count as in flight (the main port's do; see
  // open_listener for why a Runtime API's do not).
  asio::awaitable<void> serve_connection(tcp::socket socket, CrossThreadReplies& replies,
                                         std::shared_ptr<const Endpoint> endpoint, bool counted) {
    beast::tcp_stream stream(std::move(socket));
    stream.socket().set_option(tcp::no_delay(true));
    // Beast reads at most the buffer's free capacity (512 bytes when empty): reserve enough that a
    // typical request arrives in one recvmsg instead of two.
    beast::flat_buffer buffer;
    buffer.reserve(16 * 1024);
    HttpRequest request;
    // An extra listener's (a Runtime API's) peer: the uid owning the other end, from the socket
    // table (SO_PEERCRED names no peer on TCP). Clients of the main port are not asked.
    if (!counted) request.peer_uid = tcp_peer_uid(stream.socket().native_handle());
    auto slot = std::make_shared<ReplySlot>(stream.get_executor(), replies);
    slot->connection_thread = std::this_thread::get_id();
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      // The limit depends on the path, known once the header is in: read it unbounded, then check
      // a declared Content-Length against the path's limit, and bound a chunked body by it.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      parser.header_limit(kMaxHeaderBytes);
      beast::error_code ec;
      // An idle keep-alive connection and a header that trickles in share one deadline.
      stream.expires_after(options.header_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        auto status = status_for_parse_error(ec);
        if (ec == bhttp::error::bad_version && names_a_version(buffer)) status = bhttp::status::http_version_not_supported;
        if (status) co_await refuse(stream, *status, R"({"message":"Malformed HTTP request"})", options.write_timeout);
        break;
      }
      if (parser.get().version() != 10 && parser.get().version() != 11) {
        co_await refuse(stream, bhttp::status::http_version_not_supported, R"({"message":"HTTP version not supported"})",
                        options.write_timeout);
        break;
      }
      // The head, as the endpoint sees it before any body byte is read: its views point into the
      // parser's fields, which stay put while the body comes in.
      {
        const auto& head = parser.get();
        request.method = std_view(head.method_string());
        request.target = std_view(head.target());
        request.headers.clear();
        for (const auto& f : head) request.headers.emplace_back(std_view(f.name_string()), std_view(f.value()));
        request.body.clear();
        request.long_poll = false;
      }
      const size_t limit = endpoint->body_limit ? endpoint->body_limit(request) : options.max_body_bytes;
      bool too_large = parser.content_length() && *parser.content_length() > limit;
      // Bodies being read count against one budget until their request is answered.
      const size_t reserved = too_large ? 0 : static_cast<size_t>(parser.content_length().value_or(0));
      if (reserved > 0 && body_bytes.fetch_add(reserved) + reserved > options.max_body_bytes_in_flight) {
        body_bytes.fetch_sub(reserved);
        co_await refuse(stream, bhttp::status::service_unavailable,
                        R"({"__type":"com.amazon.coral.availability#ThrottlingException","message":"Too many request bodies in flight; retry later"})",
                        options.write_timeout);
        break;
      }
      struct Release {
        std::atomic<size_t>& counter;
        size_t bytes;
        ~Release() { counter.fetch_sub(bytes); }
      } release{body_bytes, reserved};
      if (!too_large && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        // curl asks before sending a large body; answer at once instead of letting it wait a second.
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, parser.get().version()};
        stream.expires_after(options.write_timeout);
        co_await bhttp::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      if (!too_large) {
        parser.body_limit(limit);
        // Each read must make progress within body_timeout: a stalled upload is dropped, a slow
        // but moving one is not.
        while (!parser.is_done()) {
          stream.expires_after(options.body_timeout);
          co_await bhttp::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
        }
        too_large = ec == bhttp::error::body_limit;
        if (ec && !too_large) {
          if (auto status = status_for_parse_error(ec))
            co_await refuse(stream, *status, R"({"message":"Malformed HTTP request"})", options.write_timeout);
          break;
        }
      }
      stream.expires_never();
      if (too_large) {
        protocol::Response refusal;
        if (endpoint->too_large) {
          refusal = endpoint->too_large(request, limit);
        } else {
          refusal.status = 413;
          refusal.body = R"({"__type":"com.amazon.coral.service#RequestEntityTooLargeException","message":"Request body too large"})";
        }
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(refusal.status), parser.get().version()};
        res.set(bhttp::field::server, "runnel");
        res.set(bhttp::field::content_type, refusal.content_type);
        for (auto& [k, v] : refusal.headers) res.insert(k, v);
        res.body() = std::move(refusal.body);
        res.keep_alive(false);
        res.prepare_payload();
        stream.expires_after(options.write_timeout);
        co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        // Clients send the whole body before they read a reply: closing now would reset the
        // connection under them and hide the 413. Read and drop what they still send (bounded
        // in bytes and time), then close.
        if (!ec) co_await drain(stream);
        break;
      }
      auto& req = parser.get();
      request.body = std::move(req.body());
      bool keep_alive = req.keep_alive();
      int version = req.version();

      bool counting = counted;
      if (counting) request.in_flight = in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
      slot->response.reset();
      slot->client_gone = false;
      slot->inline_phase.store(true, std::memory_order_release);
      endpoint->handle(request, make_reply(slot));
      slot->inline_phase.store(false, std::memory_order_release);
      if (!slot->response && request.long_poll) {
        // A parked long poll costs a timer, not a request slot: others are served while it waits.
        // If its client leaves, the connection ends at once (the late answer is dropped).
        if (counting) in_flight.fetch_sub(1, std::memory_order_relaxed);
        counting = false;
        watch_for_departure(stream.socket(), slot);
      }
      while (!slot->response && !slot->client_gone) {
        // Answered later: a posted completion fills the slot and cancels this wait. Nothing can run
        // on this single-threaded executor between the handler's return and this wait.
        slot->wake.expires_at(asio::steady_timer::time_point::max());
        co_await slot->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (counting) in_flight.fetch_sub(1, std::memory_order_relaxed);
      if (!slot->response) break;  // the long poll's client went away
      if (request.long_poll) {
        beast::error_code ignored;
        stream.socket().cancel(ignored);  // the departure watch
      }
      protocol::Response response = std::move(*slot->response);
      // Compressed here, on the connection's own I/O thread, whichever thread answered.
      gzip_response(response, request.header("Accept-Encoding"));

      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), version};
      res.set(bhttp::field::server, "runnel");
      res.set(bhttp::field::content_type, response.content_type);
      for (auto& [k, v] : response.headers) res.insert(k, v);
      res.body() = std::move(response.body);
      res.keep_alive(keep_alive && accepting.load(std::memory_order_relaxed));
      res.prepare_payload();
      stream.expires_after(options.write_timeout);
      co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Wakes a parked request's connection when its client closes (a peek reads 0 bytes or fails);
  // bytes of a pipelined next request leave it parked.
  static void watch_for_departure(tcp::socket& socket, std::shared_ptr<ReplySlot> slot) {
    // The handler may run after the connection ended (queued before the cancel): it keeps the
    // descriptor's number, never the socket, and only peeks.
    socket.async_wait(tcp::socket::wait_read, [fd = socket.native_handle(), slot](const beast::error_code& ec) {
      if (ec) return;  // cancelled: the answer came first
      char c;
      ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        slot->client_gone = true;
        slot->wake.cancel();
      }
    });
  }

  // An extra listener's loop owns its acceptor: it outlives close_listener until the loop sees the close.
  asio::awaitable<void> accept_extra(asio::io_context& io, std::shared_ptr<tcp::acceptor> acceptor,
                                     CrossThreadReplies& replies, std::shared_ptr<const Endpoint> endpoint) {
    co_await accept_loop(io, *acceptor, replies, std::move(endpoint), false);
  }

  asio::awaitable<void> accept_loop(asio::io_context& io, tcp::acceptor& acceptor, CrossThreadReplies& replies,
                                    std::shared_ptr<const Endpoint> endpoint, bool counted) {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
          // Out of descriptors (EMFILE/ENFILE): the pending connection stays in the backlog and
          // accept would fail again at once, spinning the thread. Wait for connections to close.
          spdlog::warn(R"("event":"http.accept_backoff","error":"{}")", ec.message());
          asio::steady_timer pause(io, std::chrono::milliseconds(100));
          co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        continue;
      }
      asio::co_spawn(io, serve_connection(std::move(socket), replies, endpoint, counted), asio::detached);
    }
  }
};

Server::Server(ServerOptions options, Endpoint endpoint)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(endpoint))) {}

Server::~Server() { shutdown(); }

uint16_t Server::start() {
  auto& im = *impl_;
  tcp::endpoint endpoint(asio::ip::make_address(im.options.host), im.options.port);
  if (endpoint.port() != 0) {
    // The acceptors share the port through SO_REUSEPORT, which would also let a second runnel on
    // the same port join them silently (the kernel then splits clients between two stores). A
    // plain bind first fails while anything holds the port.
    asio::io_context probe_io(1);
    tcp::acceptor probe(probe_io);
    probe.open(endpoint.protocol());
    probe.set_option(asio::socket_base::reuse_address(true));
    beast::error_code ec;
    probe.bind(endpoint, ec);
    if (ec) throw std::runtime_error(im.options.host + ":" + std::to_string(endpoint.port()) + " is in use (" + ec.message() + ")");
  }
  for (int i = 0; i < im.options.threads; ++i) {
    auto io = std::make_unique<asio::io_context>(1);
    auto acceptor = std::make_unique<tcp::acceptor>(*io);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    int one = 1;
    ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    // With port 0 the first acceptor picks the port; the others join it.
    endpoint.port(acceptor->local_endpoint().port());
    auto replies = std::make_unique<CrossThreadReplies>(*io);
    asio::co_spawn(*io, im.accept_loop(*io, *acceptor, *replies, im.endpoint, true), asio::detached);
    im.contexts.push_back(std::move(io));
    im.replies.push_back(std::move(replies));
    im.acceptors.push_back(std::move(acceptor));
  }
  for (size_t i = 0; i < im.contexts.size(); ++i)
    im.threads.emplace_back([ctx = im.contexts[i].get(), i] {
      name_this_thread("rn-io-" + std::to_string(i));
      ctx->run();
    });
  return endpoint.port();
}

void Server::shutdown() {
  auto& im = *impl_;
  if (im.threads.empty()) return;
  im.accepting = false;
  for (size_t i = 0; i < im.contexts.size(); ++i) {
    asio::post(*im.contexts[i], [acceptor = im.acceptors[i].get()] {
      beast::error_code ignored;
      acceptor->close(ignored);
    });
  }
  // Finish in-flight requests: they hold a count until their response is handed to the socket.
  for (int i = 0; i < 500 && im.in_flight.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& io : im.contexts) io->stop();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
}

uint16_t Server::open_listener(Endpoint endpoint) {
  auto& im = *impl_;
  if (im.contexts.empty()) return 0;
  std::lock_guard lock(im.extra_mu);
  size_t index = im.next_extra_context++ % im.contexts.size();
  auto& io = *im.contexts[index];
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  beast::error_code ec;
  acceptor->open(tcp::v4(), ec);
  if (!ec) acceptor->bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0), ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::warn(R"("event":"http.listener_failed","error":"{}")", ec.message());
    return 0;
  }
  uint16_t port = acceptor->local_endpoint().port();
  // From here on the acceptor is used only on its context's thread (its accept loop, and the close
  // that close_listener posts there).
  asio::co_spawn(io, im.accept_extra(io, acceptor, *im.replies[index], std::make_shared<const Endpoint>(std::move(endpoint))),
                 asio::detached);
  im.extra[port] = {std::move(acceptor), index};
  return port;
}

void Server::close_listener(uint16_t port) {
  auto& im = *impl_;
  std::lock_guard lock(im.extra_mu);
  auto it = im.extra.find(port);
  if (it == im.extra.end()) return;
  // Closed on its own thread; the accept loop, which shares the acceptor, then ends.
  asio::post(*im.contexts[it->second.context], [acceptor = it->second.acceptor] {
    beast::error_code ignored;
    acceptor->close(ignored);
  });
  im.extra.erase(it);
}

void Server::wait_for_signal() {
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const beast::error_code&, int sig) { received = sig; });
  signals_io.run();
  spdlog::info(R"("event":"server.signal","signal":{})", received);
}

}  // namespace runnel::http
