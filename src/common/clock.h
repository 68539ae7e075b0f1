// Wall-clock time in the units AWS APIs speak (epoch milliseconds).
#pragma once

#include <chrono>
#include <cstdint>

namespace runnel {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace runnel
