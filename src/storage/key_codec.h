// Order-preserving, prefix-free key encodings. The bytes are frozen on disk (see key_codec_test.cc's
// golden bytes): never change an encoding, add a new one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::storage {

// Big-endian fixed width: memcmp order == numeric order.
void append_u64(std::string& out, uint64_t v);
void append_u16(std::string& out, uint16_t v);
void append_u8(std::string& out, uint8_t v);
uint64_t read_u64(std::string_view in);

// Variable-length bytes, escaped so that the encoding is prefix-free and keeps memcmp order:
// 0x00 is written as 0x00 0xFF and the value ends with 0x00 0x01. ("a" < "ab" holds because the
// terminator 0x00 0x01 sorts below any continuation byte, and below an escaped 0x00 0x00 0xFF.)
void append_escaped(std::string& out, std::string_view bytes);

// The smallest key strictly greater than every key that starts with `prefix` (for iterator bounds).
// Empty when no such key exists (prefix is all 0xFF).
std::string prefix_successor(std::string_view prefix);

}  // namespace runnel::storage
