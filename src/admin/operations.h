// GET /_runnel/operations: every operation runnel serves, one entry per service and protocol, with
// its traits (protocol/operation.h) — what a console or a tool discovers the API from. It names
// operations only, nothing of any account's, so it is answered without auth, as health is.
// Main fills it from the router's operation tables once every route is in.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message.h"
#include "protocol/operation.h"

namespace runnel::admin {

class OperationsListing {
 public:
  // `default_body_limit`: what an operation whose traits name no body limit reads.
  explicit OperationsListing(size_t default_body_limit) : default_body_limit_(default_body_limit) {}

  void add(std::string_view service, std::string_view protocol, const protocol::Operation& operation);

  // {"operations":[{"service":"dynamodb","protocol":"json","name":"PutItem","mutating":true,
  //   "anonymous":false,"long_poll":false,"body_limit":16842752},…]}, in the order added.
  std::string render() const;
  protocol::Response response() const;

 private:
  struct Entry {
    std::string service;
    std::string protocol;
    protocol::Operation operation;
  };
  size_t default_body_limit_;
  std::vector<Entry> entries_;
};

}  // namespace runnel::admin
