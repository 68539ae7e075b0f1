// Dead-lettering, as Lambda (asynchronous invocations) and SNS (subscriptions' RedrivePolicy) do it:
// the original payload goes to the dead-letter queue or topic with AWS's three attributes,
// RequestID, ErrorCode and ErrorMessage, in the writer step that gives up on it. An SQS queue's own
// redrive (maxReceiveCount) moves the stored message itself and stays inside SQS.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
// https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
#pragma once

#include <string>

#include "ports/deliver.h"

namespace runnel::ports {

struct DeadLetter {
  std::string target_arn;
  std::string body;
  std::string request_id;
  std::string error_code;
  std::string error_code_type = "String";  // Lambda sends the status code as a Number
  std::string error_message;               // empty: the error code
  // A FIFO dead-letter queue needs a group and a deduplication id.
  std::string group_id;
  std::string dedup_id;
  Sender sender;
  std::string sender_id;  // SQS SenderId when it is not sender.account
};

inline Status send_dead_letter(const Deliverer& deliverer, storage::WriteTxn& txn, const DeadLetter& letter) {
  Delivery d;
  d.body = letter.body;
  d.attributes["RequestID"] = {"String", letter.request_id, false};
  d.attributes["ErrorCode"] = {letter.error_code_type, letter.error_code, false};
  d.attributes["ErrorMessage"] = {"String", letter.error_message.empty() ? letter.error_code : letter.error_message, false};
  d.group_id = letter.group_id;
  d.dedup_id = letter.dedup_id;
  d.sender = letter.sender;
  d.sender_id = letter.sender_id;
  return deliverer.deliver(txn, letter.target_arn, std::move(d));
}

}  // namespace runnel::ports
