// The queue event-source port: how an in-process consumer (Lambda's event source mappings on SQS)
// receives and deletes a queue's messages without the wire API. The SQS service implements it; the
// consumer never sees the queue's storage, its receipt-handle format or its JSON.
//
// A receive is SQS's own long poll, on the consumer's behalf: the commit that makes a message
// visible hands it over (in the sending step itself when the consumer is already waiting), so
// nothing polls. The messages are read and typed on the writer's completion thread, never on the
// commit thread, and `done` runs there: it must only hand them to the consumer's own thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "ports/deliver.h"

namespace runnel::ports {

// What a mapping's validation asks of a queue: whose it is. (Its type is in its name: a FIFO
// queue's ends in ".fifo", and only a FIFO queue's may.)
struct QueueInfo {
  std::string account;
  std::string region;
};

// One received message, typed: what a ReceiveMessage with every attribute would return.
struct QueueMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_body;
  std::string md5_attributes;  // empty when the message has no attributes
  // System attributes by name (SenderId, SentTimestamp, ApproximateReceiveCount,
  // ApproximateFirstReceiveTimestamp; FIFO: SequenceNumber, MessageDeduplicationId,
  // MessageGroupId; AWSTraceHeader and DeadLetterQueueSourceArn when the message has them).
  std::vector<std::pair<std::string, std::string>> attributes;
  MessageAttributes message_attributes;
  int64_t sent_ms = 0;
  size_t size = 0;  // bytes counted against the queue's MaximumMessageSize
};

struct QueueReceive {
  size_t max_messages = 10;   // not bounded by ReceiveMessage's 10: a mapping's batch may be 10,000
  size_t max_bytes = 0;       // stop taking once this many bytes are taken (at least one); 0: no limit
  int64_t wait_until_ms = 0;  // wall-clock end of the long poll (0: answer at once)
};

using QueueReceiveDone = std::function<void(Result<std::vector<QueueMessage>>)>;

class QueueSource {
 public:
  virtual ~QueueSource() = default;
  // nullopt: no such queue.
  virtual std::optional<QueueInfo> describe_queue(std::string_view queue_arn) const = 0;
  // Takes up to `request.max_messages` visible messages (they are in flight for the queue's
  // visibility timeout and count a receive, as ReceiveMessage's do), waiting until
  // `request.wait_until_ms` for the first. `done` runs exactly once: with the messages, with none
  // (the wait ended, or cancel() was called), or with QueueDoesNotExist. Returns cancel(), which
  // ends a parked wait at once; calling it after the answer changes nothing.
  virtual std::function<void()> receive(std::string_view queue_arn, QueueReceive request, QueueReceiveDone done) = 0;
  // Deletes received messages by receipt handle, in one writer step; a superseded or unknown handle
  // changes nothing (as DeleteMessage). `done` runs after the commit, on the completion thread.
  virtual void delete_messages(std::string_view queue_arn, std::vector<std::string> receipt_handles,
                               std::function<void(Status)> done) = 0;
};

}  // namespace runnel::ports
