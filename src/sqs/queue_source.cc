// SQS as an event source for in-process consumers (ports/queue_source.h): Lambda's event source
// mappings receive through the same long polls, visibility timeouts, receive counts and redrive as
// ReceiveMessage, and get typed messages read on the writer's completion thread, never on the
// commit thread.
#include <algorithm>
#include <mutex>

#include "sqs/service.h"

namespace runnel::sqs {

namespace {

ports::MessageAttributes to_port(const MessageAttributes& attributes) {
  ports::MessageAttributes out;
  for (const auto& [name, a] : attributes) out.emplace(name, ports::MessageAttribute{a.data_type, a.value, a.binary});
  return out;
}

ports::QueueMessage to_port(const ReceivedMessage& received, bool fifo) {
  const MessageInput& m = received.stored.input;
  ports::QueueMessage out;
  out.message_id = m.message_id;
  out.receipt_handle = received.receipt_handle;
  out.body = m.body;
  out.md5_body = received.stored.md5_body;
  out.md5_attributes = received.stored.md5_attributes;
  out.attributes = system_attributes(received, fifo);
  out.message_attributes = to_port(m.attributes);
  out.sent_ms = m.sent_ms;
  out.size = received.state.size;
  return out;
}

}  // namespace

std::optional<ports::QueueInfo> Service::describe_queue(std::string_view queue_arn) const {
  auto q = find_arn(queue_arn);
  if (!q) return std::nullopt;
  std::lock_guard lock(q->mu);
  if (q->deleted) return std::nullopt;
  return ports::QueueInfo{q->account, q->region};
}

std::function<void()> Service::receive(std::string_view queue_arn, ports::QueueReceive request,
                                       ports::QueueReceiveDone done) {
  auto q = find_arn(queue_arn);
  if (!q) {
    done(queue_does_not_exist());
    return [] {};
  }
  ReceiveOptions o;
  o.max_messages = static_cast<int>(std::min<size_t>(request.max_messages, 10000));
  o.max_bytes = request.max_bytes;
  o.deadline_ms = request.wait_until_ms;
  return receive(q, std::move(o), [this, done = std::move(done)](Result<Received> received) mutable {
    if (!received.ok()) return done(std::move(received).error());
    if (received->taken.empty()) {
      // The queue went away while the consumer waited, or the wait ended with nothing.
      bool gone = false;
      if (received->queue) {
        std::lock_guard lock(received->queue->mu);
        gone = received->queue->deleted;
      }
      return gone ? done(queue_does_not_exist()) : done(std::vector<ports::QueueMessage>{});
    }
    bool fifo = false;
    {
      std::lock_guard lock(received->queue->mu);
      fifo = received->queue->config.fifo;
    }
    std::vector<ports::QueueMessage> out;
    for (const auto& m : read_received(*received)) out.push_back(to_port(m, fifo));
    done(std::move(out));
  });
}

void Service::delete_messages(std::string_view queue_arn, std::vector<std::string> receipt_handles,
                              std::function<void(Status)> done) {
  auto q = find_arn(queue_arn);
  if (!q) return done(queue_does_not_exist());
  writer_.submit(
      [this, q, handles = std::move(receipt_handles)](storage::WriteTxn& txn) {
        std::lock_guard lock(q->mu);
        if (q->deleted) return true;
        for (const auto& text : handles)
          if (auto h = decode_receipt_handle(text)) delete_received_locked(txn, q, *h);
        return true;
      },
      [done = std::move(done)](bool committed) {
        done(committed ? ok_status() : Status(ApiError::internal("The deletion was not committed")));
      });
}

}  // namespace runnel::sqs
