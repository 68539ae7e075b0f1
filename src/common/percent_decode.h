// The one percent-decoder (RFC 3986 section 2.1): SigV4's canonical query, presigned URLs, Query
// protocol forms (where '+' also means a space, as HTML forms encode it) and REST path segments.
// A '%' not followed by two hex digits stays as it is, as AWS's front ends leave it.
#pragma once

#include <string>
#include <string_view>

namespace runnel {

enum class PlusMeans { kPlus, kSpace };

inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline std::string percent_decode(std::string_view s, PlusMeans plus = PlusMeans::kPlus) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus == PlusMeans::kSpace) {
      out.push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_digit_value(s[i + 1]), lo = hex_digit_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace runnel
