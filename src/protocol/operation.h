// What runnel knows about an operation besides its handler, declared once beside it in the
// service's operation table (JsonService::add for JSON 1.0/1.1 and the Query protocol, which share
// handlers; RestRoutes::add for REST-JSON). The router reads it on every request: whether the
// operation may be called unsigned, how large a body it reads, whether it may park; the operations
// listing (GET /_runnel/operations) serves it to tools and the console; per-operation metrics
// attach to the same entries.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "protocol/operation_stats.h"

namespace runnel::protocol {

struct OperationTraits {
  // Changes state: writes through the writer, sends or deletes messages, runs a function. A
  // read-only operation has no effect a retry could repeat.
  bool mutating = false;
  // Served without a signature even when signatures are verified: SNS's ConfirmSubscription and
  // Unsubscribe, which AWS serves to the links in its mails (a browser's GET). The handler then
  // sees the default account and region and takes the account from the ARN it is given.
  bool anonymous = false;
  // May park for long (SQS ReceiveMessage's long poll): the server stops counting it as in flight
  // once parked and ends it when its client leaves.
  bool long_poll = false;
  // The largest body the server reads for it, in bytes; 0: the server's default (DynamoDB's
  // 16 MB BatchWriteItem plus envelope). Over it the caller gets RequestEntityTooLargeException
  // (413) in its own protocol, before the body is buffered.
  size_t body_limit = 0;
};

inline constexpr OperationTraits kReads{};
inline constexpr OperationTraits kWrites{.mutating = true};

struct Operation {
  std::string name;  // as the service model names it: "PutItem", "Invoke"
  OperationTraits traits;
  // Its requests, counted by the router (shared by the entry's copies, such as the listing's).
  std::shared_ptr<OperationStats> stats = std::make_shared<OperationStats>();
};

}  // namespace runnel::protocol
