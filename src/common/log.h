// Structured logging: spdlog prints one JSON object per line (pattern set in src/main), and each
// message supplies its members: R"("event":"storage.open_failed","error":{})" with
// json_quote(text) for any free text, so a quote or newline in it cannot break the line.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace runnel {

inline std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace runnel
