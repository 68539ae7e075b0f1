// Sandboxes without a network: the test plays the runtime, calling the Runtime API handler a
// sandbox registers, while the sandbox's process is a shell script that only sleeps or exits. What
// is checked is the hand-over (a parked /next answered by an invoke, or an invoke waiting for
// /next), results, the deadline, and processes that exit or cannot start.
#include "lambda/sandboxes.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "lambda/function.h"
#include "lambda/sandbox_init.h"

namespace runnel::lambda {
namespace {

// The sandboxes exec their init from /proc/self/exe (this binary here, runnel in production):
// answer that before GoogleTest's main sees the arguments.
[[maybe_unused]] const int dispatch_init = [] {
  std::ifstream in("/proc/self/cmdline");
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> words;
  for (size_t start = 0, end; start < cmdline.size(); start = end + 1) {
    end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    words.push_back(cmdline.substr(start, end - start));
  }
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  if (is_sandbox_init(static_cast<int>(words.size()), argv.data()))
    std::exit(sandbox_init_main(static_cast<int>(words.size()), argv.data()));
  return 0;
}();

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using RuntimeHandler = std::function<void(protocol::RestRequest&, protocol::Reply)>;

// The log port as a test sees it: every event, in order.
class RecordedLogs final : public ports::LogSink {
 public:
  struct Event {
    std::string account, region, group, stream, message;
    int64_t timestamp_ms;
  };
  void write(const ports::LogTarget& to, int64_t timestamp_ms, std::string_view message) override {
    std::lock_guard lock(mu);
    events.push_back({std::string(to.account), std::string(to.region), std::string(to.group), std::string(to.stream),
                      std::string(message), timestamp_ms});
  }
  std::vector<Event> snapshot() {
    std::lock_guard lock(mu);
    return events;
  }
  std::mutex mu;
  std::vector<Event> events;
};

class SandboxesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("runnel-sandbox-" + new_uuid());
    fs::create_directories(dir_);
    SandboxOptions options;
    options.endpoint_url = "http://127.0.0.1:1";
    options.check_peer = false;  // the test plays the runtime (PeerCheck below turns it on)
    options.logs = &logs_;
    options.open_listener = [this](RuntimeHandler handler) {
      std::lock_guard lock(mu_);
      uint16_t port = next_port_++;
      listeners_[port] = std::move(handler);
      cv_.notify_all();
      return port;
    };
    options.close_listener = [this](uint16_t port) {
      std::lock_guard lock(mu_);
      listeners_.erase(port);
      cv_.notify_all();
    };
    sandboxes_ = std::make_unique<Sandboxes>(scheduler_, options);
  }
  void TearDown() override {
    sandboxes_->stop();
    fs::remove_all(dir_);
  }

  std::shared_ptr<const FunctionImage> image(const std::string& script, int timeout = 3) {
    if (!script.empty()) {
      std::ofstream(dir_ / "bootstrap") << script;
      // As unpack() leaves code: readable and executable by the function's uid (not root's).
      fs::permissions(dir_ / "bootstrap", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                               fs::perms::others_read | fs::perms::others_exec);
    }
    auto im = std::make_shared<FunctionImage>();
    im->arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    im->name = "f";
    im->region = "us-east-1";
    im->account = "000000000000";
    im->code_dir = dir_.string();
    im->revision = "r1";
    im->timeout_seconds = timeout;
    return im;
  }

  // Waits for the sandbox's Runtime API to be registered; returns its handler.
  RuntimeHandler runtime() {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, 10s, [this] { return !listeners_.empty(); }));
    return listeners_.empty() ? RuntimeHandler() : listeners_.begin()->second;
  }
  bool listeners_closed() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [this] { return listeners_.empty(); });
  }

  // Calls the Runtime API; the response may come later (a parked /next).
  std::shared_future<protocol::Response> call(const RuntimeHandler& handler, std::string method, std::string path,
                                              std::string body = {}) {
    auto promise = std::make_shared<std::promise<protocol::Response>>();
    protocol::RestRequest request{method, path, {}, {}, std::move(body)};
    handler(request, [promise](protocol::Response r) { promise->set_value(std::move(r)); });
    return promise->get_future().share();
  }

  std::future<InvocationResult> invoke(std::shared_ptr<const FunctionImage> im, std::string payload,
                                       std::string request_id = "req-1") {
    auto promise = std::make_shared<std::promise<InvocationResult>>();
    auto future = promise->get_future();
    sandboxes_->invoke(Invocation{im, request_id, std::move(payload),
                                  [promise](InvocationResult r) { promise->set_value(std::move(r)); }});
    return future;
  }

  static std::string header(const protocol::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return {};
  }

  fs::path dir_;
  RecordedLogs logs_;
  background::Scheduler scheduler_;
  std::unique_ptr<Sandboxes> sandboxes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint16_t, RuntimeHandler> listeners_;
  uint16_t next_port_ = 9001;
};

TEST_F(SandboxesTest, AnInvocationWaitsForNextAndItsResponseEndsIt) {
  auto im = image("#!/bin/sh\nexec sleep 30\n");
  auto result = invoke(im, R"({"a":1})");
  auto api = runtime();
  auto next = call(api, "GET", "/2018-06-01/runtime/invocation/next");
  ASSERT_EQ(next.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(next.get().status, 200);
  EXPECT_EQ(next.get().body, R"({"a":1})");
  EXPECT_EQ(header(next.get(), "Lambda-Runtime-Aws-Request-Id"), "req-1");
  EXPECT_EQ(header(next.get(), "Lambda-Runtime-Invoked-Function-Arn"), im->arn);
  EXPECT_FALSE(header(next.get(), "Lambda-Runtime-Deadline-Ms").empty());
  EXPECT_EQ(result.wait_for(100ms), std::future_status::timeout);  // not before the response

  auto wrong = call(api, "POST", "/2018-06-01/runtime/invocation/other/response", "x");
  EXPECT_EQ(wrong.get().status, 400);
  auto done = call(api, "POST", "/2018-06-01/runtime/invocation/req-1/response", R"({"ok":true})");
  EXPECT_EQ(done.get().status, 202);
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  auto r = result.get();
  EXPECT_EQ(r.payload, R"({"ok":true})");
  EXPECT_EQ(r.function_error, "");
  EXPECT_NE(r.log.find("START RequestId: req-1"), std::string::npos);
  EXPECT_NE(r.log.find("REPORT RequestId: req-1"), std::string::npos);
  // The same lines are events of the sandbox's stream: START, END, then a REPORT with a measured
  // Max Memory Used (a sleeping shell's few MB, not the memory size) and this cold start's Init
  // Duration.
  auto events = logs_.snapshot();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].message, "START RequestId: req-1 Version: $LATEST");
  EXPECT_EQ(events[1].message, "END RequestId: req-1");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(events[2].message, m,
                               std::regex(R"(REPORT RequestId: req-1\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t)"
                                          R"(Memory Size: (\d+) MB\tMax Memory Used: (\d+) MB\tInit Duration: \d+\.\d\d ms\t)")))
      << events[2].message;
  EXPECT_EQ(std::stoi(m[1]), im->memory_size);
  EXPECT_GE(std::stoi(m[2]), 1);
  EXPECT_LT(std::stoi(m[2]), im->memory_size);
}

TEST_F(SandboxesTest, AParkedNextIsAnsweredByTheNextInvokeAndErrorsAreUnhandled) {
  auto im = image("#!/bin/sh\nexec sleep 30\n");
  auto first = invoke(im, "1", "a");
  auto api = runtime();
  call(api, "GET", "/2018-06-01/runtime/invocation/next").get();
  call(api, "POST", "/2018-06-01/runtime/invocation/a/response", "one").get();
  ASSERT_EQ(first.wait_for(5s), std::future_status::ready);

  auto parked = call(api, "GET", "/2018-06-01/runtime/invocation/next");
  EXPECT_EQ(parked.wait_for(100ms), std::future_status::timeout);  // nothing to hand out: it waits
  auto second = invoke(im, "2", "b");
  ASSERT_EQ(parked.wait_for(5s), std::future_status::ready);       // the invoke answered it, same sandbox
  EXPECT_EQ(parked.get().body, "2");
  call(api, "POST", "/2018-06-01/runtime/invocation/b/error", R"({"errorMessage":"no","errorType":"E"})").get();
  ASSERT_EQ(second.wait_for(5s), std::future_status::ready);
  auto r = second.get();
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(r.payload, R"({"errorMessage":"no","errorType":"E"})");
  EXPECT_EQ(sandboxes_->running(), 1u);
}

TEST_F(SandboxesTest, TheDeadlineKillsTheProcess) {
  auto im = image("#!/bin/sh\nexec sleep 30\n", 1);
  auto result = invoke(im, "{}");
  auto api = runtime();
  call(api, "GET", "/2018-06-01/runtime/invocation/next").get();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  auto r = result.get();
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_NE(r.payload.find("Task timed out after 1.00 seconds"), std::string::npos) << r.payload;
  EXPECT_TRUE(listeners_closed());  // the killed process is reaped and its Runtime API closed
  EXPECT_EQ(sandboxes_->running(), 0u);
}

TEST_F(SandboxesTest, AProcessThatExitsFailsItsInvocation) {
  auto im = image("#!/bin/sh\necho starting\nexit 3\n");
  auto result = invoke(im, "{}");
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  auto r = result.get();
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_NE(r.payload.find("Runtime.ExitError"), std::string::npos) << r.payload;
  EXPECT_NE(r.payload.find("exit status 3"), std::string::npos) << r.payload;
}

TEST_F(SandboxesTest, EachOutputLineIsAnEventOfTheSandboxsLogStream) {
  auto im = image("#!/bin/sh\necho starting\necho 'to stderr' >&2\necho \"$AWS_LAMBDA_LOG_STREAM_NAME\"\nexit 3\n");
  auto result = invoke(im, "{}");
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  // The process exits before asking for its invocation: no START, only its own lines.
  auto events = logs_.snapshot();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].message, "starting");
  EXPECT_EQ(events[1].message, "to stderr");
  // The process is told the stream its lines go to.
  EXPECT_EQ(events[2].message, events[0].stream);
  EXPECT_EQ(events[0].group, "/aws/lambda/f");
  EXPECT_EQ(events[0].account, im->account);
  EXPECT_EQ(events[0].region, im->region);
  // YYYY/MM/DD/[$LATEST]<32 hex>, as Lambda names a sandbox's stream; one stream per sandbox.
  EXPECT_TRUE(std::regex_match(events[0].stream, std::regex(R"(\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32})"))) << events[0].stream;
  EXPECT_EQ(events[1].stream, events[0].stream);
  EXPECT_GT(events[0].timestamp_ms, 1700000000000);
}

TEST_F(SandboxesTest, AMissingBootstrapIsAnInvalidEntrypoint) {
  auto im = image("");
  auto result = invoke(im, "{}");
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  auto r = result.get();
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_NE(r.payload.find("Runtime.InvalidEntrypoint"), std::string::npos) << r.payload;
}

TEST_F(SandboxesTest, StopAbortsWhatIsRunning) {
  auto im = image("#!/bin/sh\nexec sleep 30\n");
  auto result = invoke(im, "{}");
  auto api = runtime();
  call(api, "GET", "/2018-06-01/runtime/invocation/next").get();
  sandboxes_->stop();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(result.get().aborted);
}

// Processes whose command line contains `marker` (pid and uid).
std::vector<std::pair<pid_t, int>> processes_with(const std::string& marker) {
  std::vector<std::pair<pid_t, int>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmd(entry.path() / "cmdline");
    std::string line((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (line.find(marker) == std::string::npos || line.find("__lambda-sandbox") != std::string::npos) continue;
    std::ifstream status(entry.path() / "status");
    int uid = -1;
    for (std::string l; std::getline(status, l);)
      if (l.starts_with("Uid:")) uid = std::stoi(l.substr(4));
    found.emplace_back(std::stoi(name), uid);
  }
  return found;
}

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST_F(SandboxesTest, ASetsidGrandchildEndsWithTheSandbox) {
  std::string marker = "1000." + std::to_string(::getpid());
  auto im = image("#!/bin/sh\nsetsid sleep " + marker + " &\nexec sleep 30\n");
  auto result = invoke(im, "{}");
  runtime();
  ASSERT_TRUE(eventually([&] { return !processes_with(marker).empty(); }));
  sandboxes_->stop();
  EXPECT_TRUE(eventually([&] { return processes_with(marker).empty(); }));
}

TEST_F(SandboxesTest, TheRuntimeApiAnswersOnlyItsOwnSandboxAndItRunsUnderItsOwnUid) {
  SandboxOptions options;
  options.open_listener = [this](RuntimeHandler handler) {
    std::lock_guard lock(mu_);
    listeners_[next_port_] = std::move(handler);
    cv_.notify_all();
    return next_port_++;
  };
  options.close_listener = [](uint16_t) {};
  Sandboxes checked(scheduler_, options);
  std::string marker = "30." + std::to_string(::getpid());
  auto im = image("#!/bin/sh\nexec sleep " + marker + "\n");
  auto promise = std::make_shared<std::promise<InvocationResult>>();
  checked.invoke(Invocation{im, "req-1", "{}", [promise](InvocationResult r) { promise->set_value(std::move(r)); }});
  auto api = runtime();
  std::vector<std::pair<pid_t, int>> bootstrap;
  ASSERT_TRUE(eventually([&] { return !(bootstrap = processes_with(marker)).empty(); }));
  auto [pid, uid] = bootstrap.front();
  if (::geteuid() == 0) {
    EXPECT_EQ(uid, options.uid_base);  // the first function's uid, not root
  }

  auto as = [&](pid_t peer_pid, int peer_uid) {
    auto answer = std::make_shared<std::promise<protocol::Response>>();
    protocol::RestRequest request{"GET", "/2018-06-01/runtime/invocation/next", {}, {}, {}};
    request.peer_pid = peer_pid;
    request.peer_uid = peer_uid;
    api(request, [answer](protocol::Response r) { answer->set_value(std::move(r)); });
    return answer->get_future();
  };
  EXPECT_EQ(as(::getpid(), static_cast<int>(::getuid())).get().status, 403);  // not in the sandbox
  if (::geteuid() == 0) {
    EXPECT_EQ(as(-1, -1).get().status, 403);  // no pid (TCP) and not the function's uid
    EXPECT_EQ(as(pid, 0).get().status, 403);  // its pid, another uid
    EXPECT_EQ(as(-1, 0).get().status, 403);   // root's socket
  }
  auto next = as(pid, uid);
  ASSERT_EQ(next.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(next.get().status, 200);
  checked.stop();
}

}  // namespace
}  // namespace runnel::lambda
