// A minimal Lambda custom runtime for bench/lambda_bench.py: it answers every invocation with its
// payload, unchanged.
//
// It is the deployment zip's `bootstrap`. runnel starts it with AWS_LAMBDA_RUNTIME_API=host:port
// (the sandbox's own Runtime API) and it loops on one keep-alive HTTP/1.1 connection:
//   GET  /2018-06-01/runtime/invocation/next          held until an invocation is handed over;
//                                                      Lambda-Runtime-Aws-Request-Id, body = event
//   POST /2018-06-01/runtime/invocation/<id>/response  body = the same event (runnel answers 202)
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
//
// With OUT_FILE set, each invocation also appends one line "<id> <CLOCK_REALTIME ns at receipt>\n"
// to that file (opened O_APPEND, one write() per invocation, so the sandboxes of a function can
// share it): one line per id the event carries (event_ids: an SNS message's MessageId, each stream
// record's `mid` attribute), else one with the request id. The benchmark compares the stamp with its own time.time_ns() when the Invoke or
// Publish was acknowledged (same machine, same clock).
//
// It exits (status 0) when the connection closes or fails, or when the Runtime API answers `next`
// with anything but 200 (runnel's "sandbox is shutting down"). Only Content-Length bodies are
// read: runnel's Runtime API always sends one.
//
// POSIX sockets and the standard library only, so it builds anywhere the benchmark runs.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kNext = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInvocation = "/2018-06-01/runtime/invocation/";

struct Response {
  int status = 0;
  std::string request_id;  // Lambda-Runtime-Aws-Request-Id
  std::string body;
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response: status line, headers, then a Content-Length body. false on EOF, an error, or a
  // response this runtime cannot read.
  bool read_response(Response& out) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > (1u << 20) || !fill()) return false;
    }
    std::string_view head(buffer_.data(), end + 2);  // each header line ends with \r\n
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    size_t space = status_line.find(' ');
    if (!status_line.starts_with("HTTP/1.") || space == std::string_view::npos) return bad("status line", status_line);
    out.status = std::atoi(std::string(status_line.substr(space + 1, 3)).c_str());
    out.request_id.clear();
    size_t length = 0;
    head.remove_prefix(line_end + 2);
    while (!head.empty()) {
      line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      head.remove_prefix(line_end + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
      if (iequals(name, "content-length")) {
        length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      } else if (iequals(name, "lambda-runtime-aws-request-id")) {
        out.request_id = std::string(value);
      } else if (iequals(name, "transfer-encoding") && !iequals(value, "identity")) {
        return bad("transfer encoding", value);
      }
    }
    buffer_.erase(0, end + 4);
    while (buffer_.size() < length) {
      if (!fill()) return false;
    }
    out.body.assign(buffer_, 0, length);
    buffer_.erase(0, length);
    return true;
  }

 private:
  bool fill() {
    char chunk[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  static bool bad(const char* what, std::string_view got) {
    std::fprintf(stderr, "lambda_echo_runtime: unsupported %s: %.*s\n", what, static_cast<int>(got.size()), got.data());
    return false;
  }

  int fd_;
  std::string buffer_;
};

int connect_to(const std::string& api) {
  size_t colon = api.rfind(':');
  if (colon == std::string::npos) return -1;
  std::string host = api.substr(0, colon), port = api.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

// The ids an event carries: each "MessageId":"..." (an SNS event's message), each
// "messageId":"..." (an SQS event's message, one per record of a batch) and each
// "mid":{"S":"..."} (a stream record's item attribute `mid`, one per record of a batch); without
// any, each stream record's "SequenceNumber":"...". The event's first record says which kind it
// is, so the event (30 KB for 100 stream records) is scanned once for one key: the function's own
// CPU shares the machine with runnel and counts against what the benchmark measures.
std::vector<std::string> ids_after(std::string_view event, std::string_view key) {
  std::vector<std::string> ids;
  for (size_t at = event.find(key); at != std::string_view::npos; at = event.find(key, at)) {
    at += key.size();
    size_t end = event.find('"', at);
    if (end == std::string_view::npos) break;
    ids.emplace_back(event.substr(at, end - at));
  }
  return ids;
}

std::vector<std::string> event_ids(std::string_view event) {
  std::string_view head = event.substr(0, 2048);
  if (head.find("\"aws:sqs\"") != std::string_view::npos) return ids_after(event, "\"messageId\":\"");
  if (head.find("\"aws:dynamodb\"") != std::string_view::npos) {
    auto ids = ids_after(event, "\"mid\":{\"S\":\"");
    return ids.empty() ? ids_after(event, "\"SequenceNumber\":\"") : ids;
  }
  return ids_after(event, "\"MessageId\":\"");  // SNS, or an invoke naming its message
}

int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int main() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !*api) {
    std::fprintf(stderr, "lambda_echo_runtime: AWS_LAMBDA_RUNTIME_API is not set\n");
    return 1;
  }
  int out_fd = -1;
  if (const char* out = std::getenv("OUT_FILE"); out && *out) {
    out_fd = ::open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      std::fprintf(stderr, "lambda_echo_runtime: cannot open OUT_FILE %s: %s\n", out, std::strerror(errno));
      return 1;
    }
  }
  // With REPLY set, every invocation is answered with that text instead of its event (a no-op
  // function: an event source mapping's batches need no echo).
  std::optional<std::string> reply_body;
  if (const char* reply = std::getenv("REPLY")) reply_body = reply;
  int fd = connect_to(api);
  if (fd < 0) {
    std::fprintf(stderr, "lambda_echo_runtime: cannot connect to %s\n", api);
    return 1;
  }
  Connection conn(fd);
  const std::string host = std::string("Host: ") + api + "\r\n";
  const std::string next = std::string("GET ") + std::string(kNext) + " HTTP/1.1\r\n" + host + "\r\n";
  Response event, answer;
  std::string request;
  for (;;) {
    if (!conn.send_all(next) || !conn.read_response(event)) break;
    const int64_t received_ns = realtime_ns();
    if (event.status != 200 || event.request_id.empty()) break;  // shutting down
    if (out_fd >= 0) {
      std::vector<std::string> ids = event_ids(event.body);
      if (ids.empty()) ids.push_back(event.request_id);
      std::string line;
      for (const auto& id : ids) line += id + " " + std::to_string(received_ns) + "\n";
      if (::write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        std::fprintf(stderr, "lambda_echo_runtime: write to OUT_FILE failed: %s\n", std::strerror(errno));
        return 1;
      }
    }
    const std::string& body = reply_body ? *reply_body : event.body;
    request = "POST " + std::string(kInvocation) + event.request_id + "/response HTTP/1.1\r\n" + host +
              "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    request += body;
    if (!conn.send_all(request) || !conn.read_response(answer)) break;
    if (answer.status != 202) {
      std::fprintf(stderr, "lambda_echo_runtime: the response to %s was answered %d: %s\n", event.request_id.c_str(),
                   answer.status, answer.body.c_str());
      break;
    }
  }
  if (out_fd >= 0) ::close(out_fd);
  return 0;
}
