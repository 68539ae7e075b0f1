// PeriodicTask: runs a function every interval on its own thread until stop(). For background
// upkeep (TTL sweeps, retention trims) — never for request hot paths, which are woken by commits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/thread_name.h"

namespace runnel::background {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> fn)
      : name_(std::move(name)), interval_(interval), fn_(std::move(fn)) {}
  ~PeriodicTask() { stop(); }

  void start() {
    thread_ = std::thread([this] {
      name_this_thread("rn-" + name_);
      std::unique_lock lock(mu_);
      while (!stopping_) {
        if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) break;
        lock.unlock();
        fn_();
        lock.lock();
      }
    });
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> fn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace runnel::background
