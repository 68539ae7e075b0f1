// Small helpers for building JSON replies with RapidJSON's Writer, shared by the services.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace runnel {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_string(JsonWriter& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

// "key":"value"
inline void key_string(JsonWriter& w, const char* key, std::string_view v) {
  w.Key(key);
  write_string(w, v);
}

// "key":{"k":"v",...}
inline void key_string_map(JsonWriter& w, const char* key, const std::map<std::string, std::string>& m) {
  w.Key(key);
  w.StartObject();
  for (const auto& [k, v] : m) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    write_string(w, v);
  }
  w.EndObject();
}

inline std::string finish_json(const rapidjson::StringBuffer& sb) { return std::string(sb.GetString(), sb.GetSize()); }

}  // namespace runnel
