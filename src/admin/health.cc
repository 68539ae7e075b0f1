#include "admin/health.h"

namespace runnel::admin {

std::string Health::render() const {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("status");
  w.String("ok");
  w.Key("services");
  w.StartObject();
  for (const auto& name : services_) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.String("running");
  }
  w.EndObject();
  for (const auto& [key, write] : sections_) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    write(w);
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

protocol::Response Health::response() const {
  protocol::Response r;
  r.content_type = "application/json";
  r.body = render();
  return r;
}

}  // namespace runnel::admin
