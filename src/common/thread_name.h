// Names the calling thread (Linux keeps 15 characters), so `top -H`, `perf` and /proc/<pid>/task
// show which stage a thread is: rn-io-0, rn-apply, rn-commit, rn-sched, rn-push, ...
#pragma once

#include <pthread.h>

#include <string>

namespace runnel {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace runnel
