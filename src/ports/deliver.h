// The deliver port: one service hands a payload to another's resource (an SQS queue, an SNS topic,
// a Lambda function), named by its ARN, inside the caller's writer step, so the delivery commits
// in the same atomic batch as the change that caused it (an SNS fan-out, a spent asynchronous
// invocation, an event source mapping's on-failure record). Each service implements
// DeliveryTarget for its own ARNs; main registers them with one Deliverer and hands that to the
// services that deliver. No service includes another to reach it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace runnel::storage {
class WriteTxn;
}

namespace runnel::ports {

struct MessageAttribute {
  std::string data_type;  // String, Number, Binary (optionally ".custom"), String.Array
  std::string value;      // the text, or a Binary attribute's raw bytes
  bool binary = false;
};
using MessageAttributes = std::map<std::string, MessageAttribute>;  // by name, byte order

// Who delivers. A resource of another service acting for its owner (an SNS topic, a Lambda
// function) names itself, so the target can apply its resource policy as AWS does: a queue of
// another account takes a topic's message only when its Policy allows that topic.
struct Sender {
  std::string account;            // the sending resource's account (SQS SenderId)
  std::string service_principal;  // e.g. "sns.amazonaws.com"; empty: the account itself sends
  std::string source_arn;         // the sending resource
};

struct Delivery {
  std::string body;  // a queue's message body, a topic's Message, a function's event
  MessageAttributes attributes;
  std::string subject;   // SNS Subject, when the target is a topic
  std::string group_id;  // FIFO targets
  std::string dedup_id;
  Sender sender;
  std::string sender_id;  // SQS SenderId when it is not sender.account (an SNS subscription's owner)
};

class DeliveryTarget {
 public:
  virtual ~DeliveryTarget() = default;
  // Writer (apply) thread, inside the step that owns `txn`. Errors are the target's own API's
  // (QueueDoesNotExist, AccessDenied, NotFound, ResourceNotFoundException...), for the caller to
  // log, dead-letter or report; the step itself goes on.
  virtual Status deliver(storage::WriteTxn& txn, std::string_view arn, Delivery delivery) = 0;
};

// Routes a delivery by the service named in its ARN ("arn:aws:<service>:..."). Filled by main
// before any service starts serving; read-only afterwards, so it needs no lock.
class Deliverer {
 public:
  void add(std::string service, DeliveryTarget* target) { targets_[std::move(service)] = target; }

  Status deliver(storage::WriteTxn& txn, std::string_view arn, Delivery delivery) const {
    auto it = targets_.find(service_of(arn));
    if (it == targets_.end())
      return ApiError{"InvalidParameterValueException", "Cannot deliver to " + std::string(arn), 400, true, "", {}};
    return it->second->deliver(txn, arn, std::move(delivery));
  }

  // "sqs" of "arn:aws:sqs:us-east-1:...", "" when `arn` is not an ARN.
  static std::string_view service_of(std::string_view arn) {
    constexpr std::string_view kPrefix = "arn:aws:";
    if (!arn.starts_with(kPrefix)) return {};
    arn.remove_prefix(kPrefix.size());
    return arn.substr(0, arn.find(':'));
  }

 private:
  std::map<std::string, DeliveryTarget*, std::less<>> targets_;
};

}  // namespace runnel::ports
