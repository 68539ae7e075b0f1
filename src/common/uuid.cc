#include "common/uuid.h"

#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace runnel {

std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & ~0xF000ULL) | 0x4000ULL;                  // version 4
  b = (b & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48,
                     b & 0xFFFFFFFFFFFFULL);
}

}  // namespace runnel
