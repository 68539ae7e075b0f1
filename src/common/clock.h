// Wall-clock time in the units AWS APIs speak (epoch milliseconds).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace runnel {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ISO 8601 in UTC with milliseconds, "2019-11-14T00:13:49.717Z", as AWS's JSON timestamps read.
inline std::string iso8601_ms(int64_t ms) {
  auto seconds = std::chrono::system_clock::time_point(std::chrono::seconds(ms / 1000));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)), ms % 1000);
}

}  // namespace runnel
