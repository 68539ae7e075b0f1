// Worker: one named thread that runs posted jobs in order. For work a commit hands off so that the
// commit thread stays quick (writer.h: a step's completion "must be quick"): reading and rendering
// the messages a receive took, for a wire client or an in-process consumer. Jobs are woken by
// post(), never by a tick. stop() runs what was posted before it, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/thread_name.h"

namespace runnel::background {

class Worker {
 public:
  explicit Worker(std::string name)
      : name_(std::move(name)), thread_([this] {
          name_this_thread("rn-" + name_);
          std::unique_lock lock(mu_);
          for (;;) {
            cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and everything posted before has run
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            lock.lock();
          }
        }) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { stop(); }

  // False (and `job` dropped) once stop() has begun.
  bool post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace runnel::background
