// A function's code on disk: the stored zip, unpacked once into a directory named by its SHA-256,
// which becomes the process's LAMBDA_TASK_ROOT and working directory. Unpacking goes to a temporary
// sibling renamed into place, so a crash never leaves a half-unpacked tree under the final name.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"

namespace runnel::lambda {

// Lambda's limits for a direct upload (50 MB zipped) and its contents (250 MB unzipped).
inline constexpr uint64_t kMaxZipBytes = 50ULL * 1024 * 1024;
inline constexpr uint64_t kMaxUnzippedBytes = 250ULL * 1024 * 1024;

// Checks that `zip` is a zip archive Lambda would take (readable, within the unzipped limit as
// declared, no entry escaping its root, no entries colliding) without writing anything.
Status check_zip(std::string_view zip);

// Unpacks `zip` into `<root>/<sha_hex>` unless that directory exists; returns its path. Unix modes
// in the archive are kept (the bootstrap must stay executable), plus read for all (the function's
// uid is not runnel's). The bytes written are counted: an archive whose entries inflate past their
// declared sizes stops at the unzipped limit with Lambda's InvalidParameterValueException. Slow
// (up to 250 MB written): call it off the HTTP I/O threads.
Result<std::string> unpack(std::string_view zip, const std::string& root, const std::string& sha_hex);

// The thread that unpacks uploaded code (CreateFunction, UpdateFunctionCode): up to 250 MB written
// per zip must not stall an HTTP I/O thread and every connection on it. Jobs run one at a time in
// order; at most `max_waiting` wait, beyond which a request is refused (Lambda's
// TooManyRequestsException) instead of queueing memory without bound — each holds its zip.
class Unpacker {
 public:
  // A job runs once: on the worker with `stopping` false, or, if stop() comes first, on the
  // stopping thread with `stopping` true (it answers its request with an error).
  using Job = std::function<void(bool stopping)>;

  explicit Unpacker(size_t max_waiting = 16);
  ~Unpacker();

  // False (and `job` not run) when stopped or full.
  bool submit(Job job);
  // Finishes the job in progress, hands the waiting ones `stopping`, joins the thread.
  void stop();

 private:
  void run();

  const size_t max_waiting_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace runnel::lambda
