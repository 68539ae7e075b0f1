#include "storage/key_codec.h"

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::storage {
namespace {

std::string esc(std::string_view s) {
  std::string out;
  append_escaped(out, s);
  return out;
}

// Golden bytes: these encodings are on disk. A change here breaks every existing data directory.
TEST(KeyCodec, GoldenBytes) {
  std::string out;
  append_u64(out, 0x0102030405060708ULL);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(esc("ab"), std::string("ab\x00\x01", 4));
  EXPECT_EQ(esc(std::string("a\0b", 3)), std::string("a\x00\xff" "b\x00\x01", 6));
  EXPECT_EQ(esc(""), std::string("\x00\x01", 2));
}

TEST(KeyCodec, EscapedKeepsOrderAndIsPrefixFree) {
  std::mt19937 rng(7);
  std::vector<std::string> values;
  for (int i = 0; i < 500; ++i) {
    std::string s(rng() % 6, '\0');
    for (auto& c : s) c = static_cast<char>("\x00\x01\xff" "ab"[rng() % 5]);
    values.push_back(s);
  }
  for (const auto& a : values) {
    for (const auto& b : values) {
      // Compose with a suffix to prove prefix-freedom: order of (a,x) vs (b,y) follows a vs b.
      std::string ka = esc(a) + "\xff\xff";
      std::string kb = esc(b) + std::string("\x00", 1);
      if (a < b) {
        EXPECT_LT(ka, kb) << "a=" << a.size() << " b=" << b.size();
      }
      if (b < a) {
        EXPECT_GT(ka, kb);
      }
    }
  }
}

TEST(KeyCodec, PrefixSuccessor) {
  EXPECT_EQ(prefix_successor("ab"), "ac");
  EXPECT_EQ(prefix_successor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_successor(std::string("\xff\xff", 2)), "");
}

}  // namespace
}  // namespace runnel::storage
