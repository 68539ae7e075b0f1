// Sandboxes: the processes that run functions, and the Runtime API each one talks to.
//
// A sandbox is one `bootstrap` process (a custom runtime) with its own Runtime API endpoint on a
// loopback port, as each AWS sandbox has its own 127.0.0.1:9001. The runtime loops: GET
// /2018-06-01/runtime/invocation/next parks until an invocation is handed to it (nothing polls: the
// invoke that finds a parked runtime answers its request), then POSTs the result to
// .../invocation/<id>/response or /error. A function gets a new sandbox when an invocation finds
// none free (up to `max_per_function`), and keeps it warm for the next ones.
//
// What AWS does and runnel does too: the deadline (Timeout) kills the process and the invoker gets
// "Task timed out after N.00 seconds"; a process that exits mid-invocation fails it with
// Runtime.ExitError; a missing bootstrap fails with Runtime.InvalidEntrypoint; /runtime/init/error
// fails the invocation that was waiting for the sandbox; a response over 6 MB is refused (413) and
// the invoker gets Function.ResponseSizeTooLarge. The process's stdout and stderr are its log: each
// line goes to runnel's log, and an invocation's lines (with START/END/REPORT) come back for
// `LogType: Tail`.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "background/scheduler.h"
#include "ports/log_sink.h"
#include "protocol/message.h"
#include "protocol/rest.h"

namespace runnel::lambda {

// What a sandbox runs: a snapshot of the function when the invocation was accepted. Sandboxes are
// reused only by invocations of the same revision (code and configuration).
struct FunctionImage {
  std::string arn;
  std::string name;
  std::string region;
  std::string account;
  std::string handler;
  std::string code_dir;   // LAMBDA_TASK_ROOT and working directory
  std::string revision;   // changes with every update of code or configuration
  int timeout_seconds = 3;
  int memory_size = 128;
  int ephemeral_storage = 512;  // MB: the private /tmp's size
  int reserved_concurrency = -1;  // at most this many invocations at once (-1: no limit of its own)
  std::map<std::string, std::string> environment;
};

struct InvocationResult {
  std::string payload;         // the function's response, or an error document
  std::string function_error;  // "" or "Unhandled" (X-Amz-Function-Error)
  std::string log;             // START ... REPORT lines of this invocation
  bool aborted = false;        // runnel is stopping: nothing ran to an end (async: try again next run)
  bool throttled = false;      // the function's reserved concurrency was in use: nothing ran
};

struct Invocation {
  std::shared_ptr<const FunctionImage> image;
  std::string request_id;
  std::string payload;
  std::function<void(InvocationResult)> done;  // called once, on any thread, with no lock held
};

// The Runtime API's answer to a request whose body passes `limit` bytes (the listener refuses it
// before reading): 413 RequestEntityTooLarge in the Runtime API's error shape.
protocol::Response runtime_request_too_large(size_t limit);

struct SandboxOptions {
  std::string endpoint_url;  // runnel itself, for the function's SDK calls (AWS_ENDPOINT_URL)
  // Credentials a function of `account` calls runnel with.
  std::function<std::pair<std::string, std::string>(const std::string& account)> credentials;
  // A loopback listener per sandbox (wired by main to the HTTP server); the handler gets the
  // Runtime API's requests.
  std::function<uint16_t(std::function<void(protocol::RestRequest&, protocol::Reply)>)> open_listener;
  std::function<void(uint16_t)> close_listener;
  int max_per_function = 10;
  // Each line a function prints goes here, an event of its sandbox's log stream
  // (YYYY/MM/DD/[$LATEST]<32 hex>) in /aws/lambda/<function>. Null: runnel's own log.
  ports::LogSink* logs = nullptr;

  // Isolation (sandbox_init.h; docs/compatibility/lambda.md "Isolation").
  // The program exec'd as each sandbox's init with kSandboxInitCommand: runnel itself (main()
  // dispatches it), or a test binary that does the same.
  std::string init_program = "/proc/self/exe";
  // When runnel runs as root, function processes run under uid (= gid) uid_base + i, one i per
  // function (first come, for this run) out of uid_count; uid_count 0: runnel's own uid.
  int uid_base = 990000;
  int uid_count = 65536;
  bool namespaces = true;    // as root: a mount and PID namespace per sandbox where the kernel allows
  std::string scratch_root;  // without a private /tmp: where each sandbox's TMPDIR is made ("": none)
  // The Runtime API answers only connections from its own sandbox's processes (the peer's pid and
  // uid as SO_PEERCRED reports them); unit tests that play the runtime themselves turn it off.
  bool check_peer = true;
};

class Sandboxes {
 public:
  Sandboxes(background::Scheduler& scheduler, SandboxOptions options);
  ~Sandboxes();

  // Runs `invocation` on a free sandbox of its image, starting one if none is free. When the
  // function already runs (or waits for) as many invocations as its reserved concurrency, it ends
  // at once with `throttled`, as AWS throttles (TooManyRequestsException).
  void invoke(Invocation invocation);
  // The function has a new revision or is gone: sandboxes of older revisions stop once idle.
  void retire(const std::string& arn, const std::string& current_revision);
  // Kills every process; invocations in progress end with `aborted`.
  void stop();

  size_t running() const;

 private:
  struct Sandbox;
  using Callbacks = std::vector<std::function<void()>>;

  void handle_runtime(uint64_t sandbox_id, protocol::RestRequest& request, protocol::Reply reply);
  // Under mu_: invocations of `arn` running or waiting for a sandbox.
  size_t concurrent(const std::string& arn) const;
  // Under mu_: hands `inv` to `s` (whose parked next is answered); the result comes later.
  void assign(Sandbox& s, Invocation inv, Callbacks& later);
  // Under mu_: starts sandboxes for waiting invocations that no starting sandbox will take.
  void start_needed(Callbacks& later);
  bool spawn(const std::shared_ptr<const FunctionImage>& image, Callbacks& later);
  // Under mu_: ends the current invocation of `s` with `result`.
  void finish(Sandbox& s, InvocationResult result, Callbacks& later);
  void on_timeout(uint64_t sandbox_id, std::string request_id);
  void read_output(std::shared_ptr<Sandbox> s);
  void on_exit(uint64_t sandbox_id, int status);
  // Under mu_: moves what the process has written so far into its log.
  void drain_output(Sandbox& s);
  // One line of the sandbox's log stream (the process's output, and Lambda's own START, END and
  // REPORT lines): to the log sink, or runnel's log without one.
  void emit(Sandbox& s, std::string_view line);
  // The most memory the sandbox's processes have held, in MB (its cgroup's peak, else the peak
  // resident sets of the init's children), for REPORT's "Max Memory Used".
  int64_t max_memory_mb(Sandbox& s) const;
  void kill_sandbox(Sandbox& s);
  // The process's environment; `log_stream` is the stream its output goes to (log_stream_name()).
  std::vector<std::string> environment_for(const FunctionImage& image, uint16_t port, const std::string& log_stream) const;
  // Under mu_: the uid the function's processes run as (-1: runnel's own).
  int uid_for(const std::string& arn);
  bool peer_allowed(const Sandbox& s, const protocol::RestRequest& request) const;

  background::Scheduler& scheduler_;
  SandboxOptions options_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Sandbox>> sandboxes_;
  std::deque<Invocation> waiting_;
  std::map<std::string, std::string> current_revision_;  // by ARN; absent: deleted or never retired
  std::vector<std::thread> readers_;
  // Held open by runnel alone: each init sees EOF on it when runnel exits, however it exits.
  int lifeline_[2] = {-1, -1};
  std::string cgroup_root_;  // runnel's memory cgroup, sandboxes' ones under it ("": none)
  std::map<std::string, int> uids_;  // by ARN
};

// Lambda's error document for a failed invocation.
std::string error_document(std::string_view type, std::string_view message);

}  // namespace runnel::lambda
