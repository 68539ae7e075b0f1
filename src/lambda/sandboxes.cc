#include "lambda/sandboxes.h"

#include "protocol/rest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/json_write.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/uuid.h"
#include "lambda/function.h"
#include "lambda/sandbox_init.h"

extern char** environ;

namespace runnel::lambda {

namespace {

constexpr size_t kMaxResponseBytes = 6 * 1024 * 1024;  // 6,291,456: a synchronous response's limit
constexpr size_t kTailBytes = 4096;                     // LogType Tail: the log's last 4 KB
constexpr std::string_view kRuntimePrefix = "/2018-06-01/runtime/";

protocol::Response runtime_answer(int status, std::string body) { return protocol::rest_json_response(status, std::move(body)); }

protocol::Response runtime_error(int status, std::string_view type, std::string_view message) {
  return runtime_answer(status, error_document(type, message));
}

}  // namespace

protocol::Response runtime_request_too_large(size_t limit) {
  return runtime_error(413, "RequestEntityTooLarge", fmt::format("Exceeded maximum allowed payload size ({} bytes).", limit));
}

namespace {

std::string trace_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("Root=1-{:08x}-{:012x}{:012x};Parent={:016x};Sampled=0", wall_ms() / 1000,
                     rng() & 0xFFFFFFFFFFFFULL, rng() & 0xFFFFFFFFFFFFULL, rng());
}

std::string exit_reason(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return fmt::format("signal: {}", WTERMSIG(status) == SIGKILL ? "killed" : name ? name : "unknown");
  }
  return "unknown status";
}

}  // namespace

std::string error_document(std::string_view type, std::string_view message) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "errorMessage", message);
  key_string(w, "errorType", type);
  w.EndObject();
  return finish_json(sb);
}

struct Sandboxes::Sandbox {
  uint64_t id = 0;
  std::shared_ptr<const FunctionImage> image;
  pid_t pid = -1;             // the sandbox's init (sandbox_init.h)
  int uid = -1;               // the function's processes' uid (-1: runnel's)
  uint16_t port = 0;
  int out_fd = -1;            // read end of the process's stdout/stderr (non-blocking)
  bool output_closed = false;
  bool started = false;       // has asked for an invocation
  bool killed = false;
  bool exited = false;
  bool retire_when_idle = false;
  std::optional<Invocation> current;
  std::chrono::steady_clock::time_point current_started;
  std::chrono::steady_clock::time_point spawned_at;
  std::optional<double> init_ms;  // spawn to its first GET .../next: REPORT's Init Duration, once
  bool init_reported = false;
  // Where REPORT's Max Memory Used is read (opened at the first REPORT, then read with pread: no
  // path lookup per invocation): the sandbox cgroup's peak in bytes, else the function process's
  // /proc status (VmHWM, kB).
  int memory_fd = -1;
  bool memory_in_kb = false;
  ~Sandbox() {
    if (memory_fd >= 0) ::close(memory_fd);
  }
  uint64_t timer = 0;
  std::optional<protocol::Reply> parked;  // a GET .../next waiting for an invocation
  std::string init_error;
  std::string partial_line;
  std::string log;  // the current invocation's log
  std::string log_group;   // /aws/lambda/<function>
  std::string log_stream;  // YYYY/MM/DD/[$LATEST]<32 hex>, one per sandbox as Lambda names them
};

namespace {

// A sandbox's log stream, as Lambda names it: the UTC date it started, the version, and 32 hex
// digits of its own. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
std::string log_stream_name(int64_t now_ms) {
  std::string id = new_uuid();
  std::erase(id, '-');
  std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  return fmt::format("{:%Y/%m/%d}/[$LATEST]{}", fmt::gmtime(seconds), id);
}

// The memory cgroup hierarchy runnel may make cgroups in (as root): v2 where its root offers the
// memory controller, else v1's memory hierarchy; "" when neither is writable.
std::string memory_cgroup_root() {
  std::ifstream controllers("/sys/fs/cgroup/cgroup.controllers");
  std::string text((std::istreambuf_iterator<char>(controllers)), std::istreambuf_iterator<char>());
  if (text.find("memory") != std::string::npos && ::access("/sys/fs/cgroup", W_OK) == 0) return "/sys/fs/cgroup";
  if (::access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0 && ::access("/sys/fs/cgroup/memory", W_OK) == 0)
    return "/sys/fs/cgroup/memory";
  return {};
}

void write_text(const std::string& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

// The parent of `pid` as /proc says (0 when it is gone).
pid_t parent_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return 0;
  // ") S 1234 ...": state, then the parent's pid.
  return static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));
}

// Removes the cgroups an earlier runnel left behind (killed with -9, it never removed its
// runnel-<pid>): those whose pid is no longer a process, once their sandboxes' cgroups (empty by
// now: their inits died with that runnel's lifeline) are gone. A cgroup directory is removed with
// rmdir, children first; one still in use stays.
void remove_stale_cgroups(const std::string& root) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("runnel-") || !entry.is_directory(ec)) continue;
    long pid = std::strtol(name.c_str() + 7, nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    for (const auto& child : std::filesystem::directory_iterator(entry.path(), ec))
      if (child.is_directory(ec) && child.path().filename().string().starts_with("sb-")) ::rmdir(child.path().c_str());
    if (::rmdir(entry.path().c_str()) == 0)
      spdlog::info(R"("event":"lambda.stale_cgroup_removed","path":{})", json_quote(entry.path().string()));
  }
}

}  // namespace

Sandboxes::Sandboxes(background::Scheduler& scheduler, SandboxOptions options)
    : scheduler_(scheduler), options_(std::move(options)) {
  if (::pipe2(lifeline_, O_CLOEXEC) != 0) lifeline_[0] = lifeline_[1] = -1;
  if (::geteuid() == 0) {
    std::string root = memory_cgroup_root();
    if (!root.empty()) remove_stale_cgroups(root);
    std::string mine = root.empty() ? std::string() : fmt::format("{}/runnel-{}", root, ::getpid());
    if (!mine.empty() && (::mkdir(mine.c_str(), 0755) == 0 || errno == EEXIST)) {
      // v2: the controller must be enabled for the children of each level.
      if (root == "/sys/fs/cgroup") {
        write_text(root + "/cgroup.subtree_control", "+memory");
        write_text(mine + "/cgroup.subtree_control", "+memory");
      }
      cgroup_root_ = mine;
    }
  }
  bool uids = ::geteuid() == 0 && options_.uid_count > 0;
  spdlog::info(R"("event":"lambda.isolation","uids":{},"uid_base":{},"namespaces":{},"memory_cgroup":{})",
               uids ? "true" : "false", uids ? options_.uid_base : -1,
               ::geteuid() == 0 && options_.namespaces ? "true" : "false", json_quote(cgroup_root_));
}

Sandboxes::~Sandboxes() {
  stop();
  for (int fd : lifeline_)
    if (fd >= 0) ::close(fd);
  if (!cgroup_root_.empty()) ::rmdir(cgroup_root_.c_str());
}

size_t Sandboxes::running() const {
  std::lock_guard lock(mu_);
  return sandboxes_.size();
}

namespace {
// Reader threads end on their own (they are detached); stop() waits for them here.
std::mutex readers_mu;
std::condition_variable readers_cv;
int readers_alive = 0;
}  // namespace

void Sandboxes::invoke(Invocation inv) {
  Callbacks later;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      later.push_back([done = std::move(inv.done)] { done(InvocationResult{{}, {}, {}, true}); });
    } else if (int limit = inv.image->reserved_concurrency; limit >= 0 && concurrent(inv.image->arn) >= static_cast<size_t>(limit)) {
      InvocationResult throttled;
      throttled.throttled = true;
      later.push_back([done = std::move(inv.done), throttled = std::move(throttled)]() mutable { done(std::move(throttled)); });
    } else {
      Sandbox* free = nullptr;
      for (auto& [id, s] : sandboxes_) {
        if (s->parked && !s->current && !s->exited && s->image->revision == inv.image->revision) {
          free = s.get();
          break;
        }
      }
      if (free) {
        assign(*free, std::move(inv), later);
      } else {
        waiting_.push_back(std::move(inv));
        start_needed(later);
      }
    }
  }
  for (auto& fn : later) fn();
}

size_t Sandboxes::concurrent(const std::string& arn) const {
  size_t n = 0;
  for (const auto& [id, s] : sandboxes_)
    if (s->current && s->image->arn == arn) ++n;
  for (const auto& w : waiting_)
    if (w.image->arn == arn) ++n;
  return n;
}

void Sandboxes::assign(Sandbox& s, Invocation inv, Callbacks& later) {
  const auto& image = *inv.image;
  protocol::Response r = runtime_answer(200, inv.payload);
  r.headers.emplace_back("Lambda-Runtime-Aws-Request-Id", inv.request_id);
  r.headers.emplace_back("Lambda-Runtime-Deadline-Ms", std::to_string(wall_ms() + image.timeout_seconds * 1000LL));
  r.headers.emplace_back("Lambda-Runtime-Invoked-Function-Arn", image.arn);
  r.headers.emplace_back("Lambda-Runtime-Trace-Id", trace_id());
  s.log = fmt::format("START RequestId: {} Version: $LATEST\n", inv.request_id);
  // After mu_ is released, and before the runtime is handed the event (the next callback), so the
  // function's own lines come after it.
  later.push_back([this, self = sandboxes_.at(s.id), start = s.log.substr(0, s.log.size() - 1)] { emit(*self, start); });
  s.current_started = std::chrono::steady_clock::now();
  s.timer = scheduler_.after_ms(image.timeout_seconds * 1000LL,
                                [this, id = s.id, request_id = inv.request_id] { on_timeout(id, request_id); });
  s.current = std::move(inv);
  later.push_back([reply = std::move(*s.parked), r = std::move(r)]() mutable { reply(std::move(r)); });
  s.parked.reset();
}

void Sandboxes::start_needed(Callbacks& later) {
  // Per revision: invocations waiting, and sandboxes that will ask for one (starting, or between a
  // response and their next request).
  std::map<std::string, std::pair<size_t, std::shared_ptr<const FunctionImage>>> waiting;
  for (const auto& inv : waiting_) {
    auto& [count, image] = waiting[inv.image->revision];
    ++count;
    image = inv.image;
  }
  for (auto& [revision, entry] : waiting) {
    auto& [need, image] = entry;
    size_t coming = 0, of_function = 0;
    for (const auto& [id, s] : sandboxes_) {
      if (s->exited || s->killed) continue;
      if (s->image->arn == image->arn) ++of_function;
      if (s->image->revision == revision && !s->current && !s->parked && !s->retire_when_idle) ++coming;
    }
    while (coming < need && of_function < static_cast<size_t>(options_.max_per_function)) {
      if (!spawn(image, later)) break;
      ++coming;
      ++of_function;
    }
  }
}

// Fails the oldest waiting invocation of `revision` (a sandbox for it could not start) with the
// error document `document(request id)` makes.
static void fail_first_waiting(std::deque<Invocation>& waiting, const std::string& revision,
                               const std::function<std::string(const std::string& request_id)>& document,
                               std::vector<std::function<void()>>& later) {
  for (auto it = waiting.begin(); it != waiting.end(); ++it) {
    if (it->image->revision != revision) continue;
    InvocationResult result{document(it->request_id), "Unhandled",
                            fmt::format("START RequestId: {} Version: $LATEST\nEND RequestId: {}\n", it->request_id,
                                        it->request_id),
                            false};
    later.push_back([done = std::move(it->done), result = std::move(result)] { done(result); });
    waiting.erase(it);
    return;
  }
}

// An error document "RequestId: <id> Error: <why>" of `type`, for fail_first_waiting.
static std::function<std::string(const std::string&)> request_error(std::string type, std::string why) {
  return [type = std::move(type), why = std::move(why)](const std::string& id) {
    return error_document(type, fmt::format("RequestId: {} Error: {}", id, why));
  };
}

bool Sandboxes::spawn(const std::shared_ptr<const FunctionImage>& image, Callbacks& later) {
  std::string bootstrap = image->code_dir + "/bootstrap";
  if (::access(bootstrap.c_str(), X_OK) != 0) {
    std::string why = errno == ENOENT ? "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
                                      : "fork/exec /var/task/bootstrap: permission denied";
    fail_first_waiting(waiting_, image->revision, request_error("Runtime.InvalidEntrypoint", why), later);
    return false;
  }
  auto s = std::make_shared<Sandbox>();
  s->id = next_id_++;
  s->image = image;
  s->port = options_.open_listener(
      [this, id = s->id](protocol::RestRequest& request, protocol::Reply reply) { handle_runtime(id, request, std::move(reply)); });
  int fds[2];
  if (s->port == 0 || ::pipe2(fds, O_CLOEXEC) != 0) {
    if (s->port) options_.close_listener(s->port);
    fail_first_waiting(waiting_, image->revision, request_error("Runtime.Unknown", "could not start the sandbox"), later);
    return false;
  }
  s->uid = uid_for(image->arn);
  s->log_group = "/aws/lambda/" + image->name;
  s->log_stream = log_stream_name(wall_ms());
  std::vector<std::string> env = environment_for(*image, s->port, s->log_stream);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  // The init (sandbox_init.h) sets up the isolation, then runs the bootstrap.
  std::vector<std::string> args = {
      options_.init_program, std::string(kSandboxInitCommand),
      "--code-dir", image->code_dir,
      "--uid", std::to_string(s->uid),
      "--gid", std::to_string(s->uid),
      "--memory-mb", std::to_string(image->memory_size),
      "--tmp-mb", std::to_string(image->ephemeral_storage),
      "--tmp-dir", options_.scratch_root.empty() ? std::string() : fmt::format("{}/sb-{}-{}", options_.scratch_root, ::getpid(), s->id),
      "--cgroup", cgroup_root_.empty() ? std::string() : fmt::format("{}/sb-{}", cgroup_root_, s->id),
      "--namespaces", options_.namespaces ? "1" : "0",
      "--", bootstrap};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  if (lifeline_[0] >= 0) posix_spawn_file_actions_adddup2(&actions, lifeline_[0], 3);
  // Nothing of runnel's (listening sockets, database files, the lifeline's write end) may stay
  // open in a function process.
  posix_spawn_file_actions_addclosefrom_np(&actions, lifeline_[0] >= 0 ? 4 : 3);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setpgroup(&attributes, 0);  // its own group
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  s->spawned_at = std::chrono::steady_clock::now();
  int rc = posix_spawn(&s->pid, options_.init_program.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    options_.close_listener(s->port);
    std::string why = fmt::format("fork/exec /var/task/bootstrap: {}", std::strerror(rc));
    fail_first_waiting(waiting_, image->revision, request_error("Runtime.InvalidEntrypoint", why), later);
    return false;
  }
  s->out_fd = fds[0];
  ::fcntl(s->out_fd, F_SETFL, ::fcntl(s->out_fd, F_GETFL) | O_NONBLOCK);
  sandboxes_[s->id] = s;
  spdlog::info(R"("event":"lambda.sandbox_started","function":"{}","pid":{},"uid":{},"runtime_api_port":{})", image->arn,
               s->pid, s->uid, s->port);
  {
    std::lock_guard readers(readers_mu);
    ++readers_alive;
  }
  std::thread([this, s] { read_output(s); }).detach();
  return true;
}

std::vector<std::string> Sandboxes::environment_for(const FunctionImage& image, uint16_t port,
                                                    const std::string& log_stream) const {
  std::vector<std::string> env;
  // The function's own variables first; the reserved ones cannot be set by it (CreateFunction
  // refuses them) and are added after. PATH, LANG, TZ (AWS's "unreserved" ones) and runnel's
  // AWS_ENDPOINT_URL are defaults the function may override.
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
  for (const auto& [k, v] : image.environment) env.push_back(k + "=" + v);
  const char* path = std::getenv("PATH");
  auto [key, secret] = options_.credentials ? options_.credentials(image.account)
                                            : std::pair<std::string, std::string>{"test", "test"};
  for (auto& e : std::vector<std::string>{
           "_HANDLER=" + image.handler,
           fmt::format("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{}", port),
           "AWS_REGION=" + image.region,
           "AWS_DEFAULT_REGION=" + image.region,
           "AWS_LAMBDA_FUNCTION_NAME=" + image.name,
           fmt::format("AWS_LAMBDA_FUNCTION_MEMORY_SIZE={}", image.memory_size),
           "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
           "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
           "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + image.name,
           "AWS_LAMBDA_LOG_STREAM_NAME=" + log_stream,
           "AWS_ACCESS_KEY_ID=" + key,
           "AWS_SECRET_ACCESS_KEY=" + secret,
           "AWS_SESSION_TOKEN=",
           "LAMBDA_TASK_ROOT=" + image.code_dir,
           "LAMBDA_RUNTIME_DIR=" + image.code_dir,
       })
    env.push_back(std::move(e));
  for (auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"AWS_ENDPOINT_URL", options_.endpoint_url},
           {"LANG", "en_US.UTF-8"},
           {"TZ", ":UTC"},
           {"PATH", path ? path : "/usr/local/bin:/usr/bin:/bin"},
       })
    if (!image.environment.count(name)) env.push_back(name + "=" + value);
  return env;
}

void Sandboxes::handle_runtime(uint64_t sandbox_id, protocol::RestRequest& request, protocol::Reply reply) {
  Callbacks later;
  std::optional<protocol::Response> answer;
  {
    std::lock_guard lock(mu_);
    auto found = sandboxes_.find(sandbox_id);
    std::string_view path = request.path;
    if (found == sandboxes_.end() || found->second->exited) {
      answer = runtime_error(500, "Runtime.Shutdown", "This sandbox is shutting down");
    } else if (!peer_allowed(*found->second, request)) {
      // Another function (or anyone else on the machine) must not take this sandbox's
      // invocations or answer them.
      answer = runtime_error(403, "AccessDeniedException", "This Runtime API serves its own sandbox's processes only");
    } else if (!path.starts_with(kRuntimePrefix)) {
      answer = runtime_error(404, "InvalidPath", "Unknown Runtime API path: " + std::string(path));
    } else {
      Sandbox& s = *found->second;
      path.remove_prefix(kRuntimePrefix.size());
      if (request.method == "GET" && path == "invocation/next") {
        if (!s.started)
          s.init_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s.spawned_at).count();
        s.started = true;
        auto current = current_revision_.find(s.image->arn);
        bool stale = s.retire_when_idle || stopping_ ||
                     (current != current_revision_.end() && current->second != s.image->revision);
        auto match = std::find_if(waiting_.begin(), waiting_.end(),
                                  [&](const Invocation& inv) { return inv.image->revision == s.image->revision; });
        if (s.current) {
          answer = runtime_error(400, "InvalidStateTransition", "The previous invocation has not been answered");
        } else if (match != waiting_.end()) {
          Invocation inv = std::move(*match);
          waiting_.erase(match);
          s.parked = std::move(reply);
          assign(s, std::move(inv), later);
        } else if (stale) {
          kill_sandbox(s);
          answer = runtime_error(500, "Runtime.Shutdown", "This sandbox is shutting down");
        } else {
          s.parked = std::move(reply);
        }
      } else if (request.method == "POST" && path == "init/error") {
        s.init_error = request.body.empty()
                           ? error_document(request.header("Lambda-Runtime-Function-Error-Type"), "")
                           : request.body;
        answer = runtime_answer(202, R"({"status":"OK"})");
        if (s.current) {
          finish(s, InvocationResult{s.init_error, "Unhandled", {}, false}, later);
        } else {
          fail_first_waiting(waiting_, s.image->revision, [error = s.init_error](const std::string&) { return error; }, later);
        }
        kill_sandbox(s);
      } else if (request.method == "POST" && path.starts_with("invocation/")) {
        std::string_view rest = path.substr(11);
        size_t slash = rest.find('/');
        std::string_view id = rest.substr(0, slash);
        std::string_view what = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if ((what != "response" && what != "error")) {
          answer = runtime_error(404, "InvalidPath", "Unknown Runtime API path: " + std::string(request.path));
        } else if (!s.current || s.current->request_id != id) {
          answer = runtime_error(400, "InvalidRequestID", "Invalid request ID");
        } else if (what == "response" && request.body.size() > kMaxResponseBytes) {
          answer = runtime_error(413, "RequestEntityTooLarge",
                                 fmt::format("Exceeded maximum allowed payload size ({} bytes).", kMaxResponseBytes));
          finish(s,
                 InvocationResult{error_document("Function.ResponseSizeTooLarge",
                                                 fmt::format("Response payload size exceeded maximum allowed payload size ({} bytes).",
                                                             kMaxResponseBytes)),
                                  "Unhandled", {}, false},
                 later);
        } else {
          answer = runtime_answer(202, R"({"status":"OK"})");
          if (what == "response") {
            finish(s, InvocationResult{std::move(request.body), "", {}, false}, later);
          } else {
            std::string body = request.body.empty()
                                   ? error_document(request.header("Lambda-Runtime-Function-Error-Type"), "")
                                   : std::move(request.body);
            finish(s, InvocationResult{std::move(body), "Unhandled", {}, false}, later);
          }
        }
      } else {
        answer = runtime_error(404, "InvalidPath", "Unknown Runtime API path: " + std::string(request.path));
      }
    }
  }
  if (answer) reply(std::move(*answer));
  for (auto& fn : later) fn();
}

void Sandboxes::finish(Sandbox& s, InvocationResult result, Callbacks& later) {
  scheduler_.cancel(s.timer);
  drain_output(s);
  if (!s.partial_line.empty()) {
    emit(s, s.partial_line);
    s.log += s.partial_line + "\n";
  }
  s.partial_line.clear();
  Invocation inv = std::move(*s.current);
  s.current.reset();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s.current_started).count();
  // As Lambda writes them: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
  std::string end = fmt::format("END RequestId: {}", inv.request_id);
  std::string report_head = fmt::format("REPORT RequestId: {}\tDuration: {:.2f} ms\tBilled Duration: {} ms\t"
                                        "Memory Size: {} MB\tMax Memory Used: ",
                                        inv.request_id, ms, std::max<int64_t>(1, static_cast<int64_t>(std::ceil(ms))),
                                        inv.image->memory_size);
  std::string report_tail;
  if (s.init_ms && !s.init_reported) {
    report_tail = fmt::format("Init Duration: {:.2f} ms\t", *s.init_ms);
    s.init_reported = true;
  }
  std::string log = std::move(s.log) + end + "\n";
  s.log.clear();
  // The memory read and the END and REPORT events happen after mu_ is released (measured: under
  // it they cost a busy function a fifth of its Invoke rate). The sandbox stays alive for it; its
  // log target and memory file are not changed by anyone else meanwhile (it runs one invocation
  // at a time, and this one has ended).
  std::shared_ptr<Sandbox> self = sandboxes_.at(s.id);
  later.push_back([this, self = std::move(self), end = std::move(end), report_head = std::move(report_head),
                   report_tail = std::move(report_tail), log = std::move(log), done = std::move(inv.done),
                   result = std::move(result)]() mutable {
    std::string report = fmt::format("{}{} MB\t{}", report_head, max_memory_mb(*self), report_tail);
    emit(*self, end);
    emit(*self, report);
    log += report + "\n";
    result.log = log.size() > kTailBytes ? log.substr(log.size() - kTailBytes) : std::move(log);
    done(result);
  });
}

void Sandboxes::on_timeout(uint64_t sandbox_id, std::string request_id) {
  Callbacks later;
  {
    std::lock_guard lock(mu_);
    auto it = sandboxes_.find(sandbox_id);
    if (it == sandboxes_.end()) return;
    Sandbox& s = *it->second;
    if (!s.current || s.current->request_id != request_id) return;
    int timeout = s.current->image->timeout_seconds;
    finish(s,
           InvocationResult{error_document("Sandbox.Timedout", fmt::format("RequestId: {} Error: Task timed out after {}.00 seconds",
                                                                           request_id, timeout)),
                            "Unhandled", {}, false},
           later);
    kill_sandbox(s);
  }
  for (auto& fn : later) fn();
}

void Sandboxes::emit(Sandbox& s, std::string_view line) {
  if (options_.logs)
    options_.logs->write({s.image->account, s.image->region, s.log_group, s.log_stream}, wall_ms(), line);
  else
    spdlog::info(R"("event":"lambda.log","function":"{}","line":{})", s.image->name, json_quote(line));
}

int64_t Sandboxes::max_memory_mb(Sandbox& s) const {
  if (s.memory_fd < 0) {
    if (!cgroup_root_.empty()) {
      // cgroup v2 (memory.peak, kernel 5.19 and later), else v1.
      for (const char* file : {"/memory.peak", "/memory.max_usage_in_bytes"}) {
        s.memory_fd = ::open(fmt::format("{}/sb-{}{}", cgroup_root_, s.id, file).c_str(), O_RDONLY | O_CLOEXEC);
        if (s.memory_fd >= 0) break;
      }
    }
    if (s.memory_fd < 0) {
      // The function process: the first child of the sandbox's init (the init itself without one).
      pid_t process = s.pid;
      std::ifstream children(fmt::format("/proc/{}/task/{}/children", s.pid, s.pid));
      if (pid_t child; children >> child) process = child;
      s.memory_fd = ::open(fmt::format("/proc/{}/status", process).c_str(), O_RDONLY | O_CLOEXEC);
      s.memory_in_kb = true;
    }
    if (s.memory_fd < 0) return 0;
  }
  char text[4096];
  ssize_t n = ::pread(s.memory_fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  const char* at = text;
  if (s.memory_in_kb) {
    at = std::strstr(text, "VmHWM:");
    if (!at) return 0;
    at += 6;
  }
  int64_t value = std::strtoll(at, nullptr, 10);
  return s.memory_in_kb ? (value + 1023) / 1024 : (value + (1 << 20) - 1) / (1 << 20);
}

void Sandboxes::drain_output(Sandbox& s) {
  if (s.output_closed) return;
  char buffer[16 * 1024];
  for (;;) {
    ssize_t n = ::read(s.out_fd, buffer, sizeof buffer);
    if (n > 0) {
      s.partial_line.append(buffer, static_cast<size_t>(n));
      size_t start = 0, newline;
      while ((newline = s.partial_line.find('\n', start)) != std::string::npos) {
        std::string_view line(s.partial_line.data() + start, newline - start);
        emit(s, line);
        if (s.current) {
          s.log.append(line);
          s.log.push_back('\n');
        }
        start = newline + 1;
      }
      s.partial_line.erase(0, start);
      continue;
    }
    if (n == 0) s.output_closed = true;
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

void Sandboxes::read_output(std::shared_ptr<Sandbox> s) {
  name_this_thread("rn-lambda-out");
  for (;;) {
    pollfd p{s->out_fd, POLLIN, 0};
    int rc = ::poll(&p, 1, -1);
    if (rc < 0 && errno == EINTR) continue;
    std::lock_guard lock(mu_);
    drain_output(*s);
    if (s->output_closed || rc < 0) break;
  }
  int status = 0;
  while (::waitpid(s->pid, &status, 0) < 0 && errno == EINTR) {
  }
  on_exit(s->id, status);
  std::lock_guard readers(readers_mu);
  --readers_alive;
  readers_cv.notify_all();
}

void Sandboxes::on_exit(uint64_t sandbox_id, int status) {
  Callbacks later;
  {
    std::lock_guard lock(mu_);
    auto it = sandboxes_.find(sandbox_id);
    if (it == sandboxes_.end()) return;
    std::shared_ptr<Sandbox> s = it->second;
    s->exited = true;
    ::close(s->out_fd);
    std::string reason = exit_reason(status);
    spdlog::info(R"("event":"lambda.sandbox_exited","function":"{}","pid":{},"status":"{}")", s->image->arn, s->pid, reason);
    if (s->current) {
      std::string id = s->current->request_id;
      finish(*s,
             stopping_ ? InvocationResult{{}, {}, {}, true}
                       : InvocationResult{error_document("Runtime.ExitError",
                                                         fmt::format("RequestId: {} Error: Runtime exited with error: {}", id, reason)),
                                          "Unhandled", {}, false},
             later);
    } else if (!s->started && s->init_error.empty() && !stopping_) {
      // It died before asking for work: the invocation it was started for fails, so a crashing
      // bootstrap cannot loop. (One that posted an init error has failed one already.)
      fail_first_waiting(waiting_, s->image->revision,
                         request_error("Runtime.ExitError", "Runtime exited with error: " + reason), later);
    }
    if (s->parked) {
      later.push_back([reply = std::move(*s->parked)] { reply(runtime_error(500, "Runtime.Shutdown", "This sandbox has stopped")); });
      s->parked.reset();
    }
    later.push_back([this, port = s->port] { options_.close_listener(port); });
    sandboxes_.erase(it);
    if (!stopping_) start_needed(later);
  }
  for (auto& fn : later) fn();
}

void Sandboxes::kill_sandbox(Sandbox& s) {
  if (s.killed || s.pid <= 0) return;
  s.killed = true;
  // The init kills the whole tree (its namespace, its orphans, its cgroup), then itself.
  ::kill(s.pid, SIGTERM);
}

int Sandboxes::uid_for(const std::string& arn) {
  if (::geteuid() != 0 || options_.uid_count <= 0) return -1;
  auto [it, added] = uids_.try_emplace(arn, -1);
  if (added) {
    // One uid per function: two functions never share one (they could signal, ptrace and read
    // each other's files). Past the range, the last uid is shared (logged).
    size_t index = uids_.size() - 1;
    if (index >= static_cast<size_t>(options_.uid_count)) {
      index = static_cast<size_t>(options_.uid_count) - 1;
      spdlog::warn(R"("event":"lambda.uids_exhausted","function":"{}","uid_count":{})", arn, options_.uid_count);
    }
    it->second = options_.uid_base + static_cast<int>(index);
  }
  return it->second;
}

bool Sandboxes::peer_allowed(const Sandbox& s, const protocol::RestRequest& request) const {
  if (!options_.check_peer) return true;
  // With a uid per function (runnel is root), the peer socket's owner must be this function's.
  if (s.uid >= 0 && request.peer_uid != s.uid) return false;
  // Over TCP the kernel names no peer pid (SO_PEERCRED is for Unix sockets): the uid is the check.
  // Without per-function uids that leaves processes of runnel's own user unchecked (documented).
  if (request.peer_pid <= 0) return true;
  // A known pid must be the init's descendant (orphans reparent to the init, a subreaper, so a
  // double-forked process still is).
  pid_t pid = request.peer_pid;
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    if (pid == s.pid) return true;
    pid = parent_of(pid);
  }
  return false;
}

void Sandboxes::retire(const std::string& arn, const std::string& current_revision) {
  std::lock_guard lock(mu_);
  current_revision_[arn] = current_revision;
  for (auto& [id, s] : sandboxes_) {
    if (s->image->arn != arn || s->image->revision == current_revision) continue;
    s->retire_when_idle = true;
    if (s->parked && !s->current) kill_sandbox(*s);
  }
}

void Sandboxes::stop() {
  Callbacks later;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& inv : waiting_)
      later.push_back([done = std::move(inv.done)] { done(InvocationResult{{}, {}, {}, true}); });
    waiting_.clear();
    for (auto& [id, s] : sandboxes_) kill_sandbox(*s);
  }
  for (auto& fn : later) fn();
  std::unique_lock readers(readers_mu);
  readers_cv.wait_for(readers, std::chrono::seconds(10), [] { return readers_alive == 0; });
}

}  // namespace runnel::lambda
