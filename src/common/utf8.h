// UTF-8 validation with RapidJSON's own decoder (strict: no overlong forms, no surrogates, nothing
// past U+10FFFF), so a Query request's values are checked exactly as json::parse checks a JSON
// request's strings.
#pragma once

#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>

#include <string_view>

namespace runnel {

inline bool valid_utf8(std::string_view s) {
  struct Discard {
    void Put(char) {}
  } sink;
  rapidjson::MemoryStream in(s.data(), s.size());
  while (in.Tell() < s.size())
    if (!rapidjson::UTF8<>::Validate(in, sink)) return false;
  return true;
}

}  // namespace runnel
