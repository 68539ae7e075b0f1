// Scheduler: one thread that runs callbacks at given times — long-poll deadlines, the instant a
// delayed or in-flight message becomes visible again. It sleeps until the earliest entry is due (or
// an earlier one is added); it never wakes on a fixed tick. Callbacks must be quick.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/thread_name.h"

namespace runnel::background {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  Scheduler()
      : thread_([this] {
          name_this_thread("rn-sched");
          loop();
        }) {}
  ~Scheduler() { stop(); }

  // Runs fn after `delay_ms` (<= 0: as soon as possible). Returns an id for cancel().
  uint64_t after_ms(int64_t delay_ms, std::function<void()> fn) {
    auto when = Clock::now() + std::chrono::milliseconds(delay_ms > 0 ? delay_ms : 0);
    std::lock_guard lock(mu_);
    uint64_t id = next_id_++;
    auto it = entries_.emplace(when, Entry{id, std::move(fn)});
    index_[id] = it;
    if (it == entries_.begin()) cv_.notify_one();
    return id;
  }

  // Best effort: a callback already running is not waited for.
  void cancel(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return;
    entries_.erase(it->second);
    index_.erase(it);
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Entry {
    uint64_t id;
    std::function<void()> fn;
  };

  void loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (entries_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto first = entries_.begin();
      if (first->first > Clock::now()) {
        cv_.wait_until(lock, first->first);
        continue;
      }
      auto fn = std::move(first->second.fn);
      index_.erase(first->second.id);
      entries_.erase(first);
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, Entry> entries_;
  std::unordered_map<uint64_t, std::multimap<Clock::time_point, Entry>::iterator> index_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace runnel::background
