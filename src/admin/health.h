// GET /_runnel/health: the services that serve, and each component's own section (storage's
// writer counters, SNS push deliveries, Lambda's asynchronous invocations and event source
// mappings), written as JSON by the component itself into one document — never spliced as text.
// Main registers the sections; the router answers the path with response().
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/message.h"

namespace runnel::admin {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

class Health {
 public:
  // Writes one JSON value (usually an object) for the section's key.
  using Section = std::function<void(JsonWriter&)>;

  void add_service(std::string name) { services_.push_back(std::move(name)); }
  void add_section(std::string key, Section write) { sections_.emplace_back(std::move(key), std::move(write)); }

  // {"status":"ok","services":{"<name>":"running",…},"<section>":…}
  std::string render() const;
  protocol::Response response() const;

 private:
  std::vector<std::string> services_;
  std::vector<std::pair<std::string, Section>> sections_;
};

}  // namespace runnel::admin
