// SQS messages: the send input as decoded from a request (or handed over in process by SNS), its
// validation, the MD5 digests SDKs verify, the stored form, and receipt handles.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/hash.h"
#include "common/result.h"

namespace runnel::sqs {

struct MessageAttribute {
  std::string data_type;  // String, Number, Binary, optionally with a ".custom" suffix
  std::string value;      // StringValue text, or BinaryValue's raw bytes
  bool binary = false;
};
// Ordered by name (byte order): the order the MD5 of attributes is computed in.
using MessageAttributes = std::map<std::string, MessageAttribute>;

struct MessageInput {
  std::string body;
  MessageAttributes attributes;
  MessageAttributes system_attributes;  // AWSTraceHeader
  std::optional<int> delay_seconds;     // per message (standard queues only)
  std::string group_id;
  std::string dedup_id;
  // Set by the service, not by the sender:
  std::string sender_id;
  std::string message_id;               // kept when a message moves to or from a dead-letter queue
  std::string dead_letter_source_arn;
  int64_t sent_ms = 0;                  // kept on moves
};

// Decodes the members of a SendMessage request or a batch entry (JSON-protocol shape), with SQS's
// validation of the body characters and attributes (not of sizes or queue-type rules).
Result<MessageInput> decode_message_input(const rapidjson::Value& obj);
// Attribute maps of a request or a stored message.
Result<MessageAttributes> decode_attributes(const rapidjson::Value& obj, bool system);
void write_attributes(rapidjson::Writer<rapidjson::StringBuffer>& w, const MessageAttributes& attrs);

// Bytes the message counts against MaximumMessageSize: body plus attribute names, types and values.
size_t message_size(const MessageInput& m);

// MD5OfMessageAttributes (aws-reference.md 6.5); empty when there are none.
std::string md5_of_attributes(const MessageAttributes& attrs);

// The stored message (immutable after the send).
struct StoredMessage {
  MessageInput input;
  std::string md5_body;
  std::string md5_attributes;
  std::string md5_system;
  uint64_t sequence = 0;  // FIFO SequenceNumber
};
std::string encode_stored(const StoredMessage& m);
std::optional<StoredMessage> decode_stored(std::string_view json);

// Receipt handles name the message and the receive that issued them.
struct ReceiptHandle {
  uint64_t queue_id = 0;
  uint64_t seq = 0;
  uint64_t nonce = 0;
};
std::string encode_receipt_handle(const ReceiptHandle& h);
std::optional<ReceiptHandle> decode_receipt_handle(std::string_view text);

std::string new_message_id();  // a UUID
uint64_t new_nonce();

}  // namespace runnel::sqs
