#include "admin/operations.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace runnel::admin {

void OperationsListing::add(std::string_view service, std::string_view protocol, const protocol::Operation& operation) {
  entries_.push_back({std::string(service), std::string(protocol), operation});
}

std::string OperationsListing::render() const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto string = [&w](const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  w.Key("operations");
  w.StartArray();
  for (const auto& e : entries_) {
    const protocol::OperationTraits& traits = e.operation.traits;
    w.StartObject();
    w.Key("service");
    string(e.service);
    w.Key("protocol");
    string(e.protocol);
    w.Key("name");
    string(e.operation.name);
    w.Key("mutating");
    w.Bool(traits.mutating);
    w.Key("anonymous");
    w.Bool(traits.anonymous);
    w.Key("long_poll");
    w.Bool(traits.long_poll);
    w.Key("body_limit");
    w.Uint64(traits.body_limit ? traits.body_limit : default_body_limit_);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

protocol::Response OperationsListing::response() const {
  protocol::Response r;
  r.content_type = "application/json";
  r.body = render();
  return r;
}

}  // namespace runnel::admin
