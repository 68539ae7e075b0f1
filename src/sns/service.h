// The SNS service (Query protocol, API 2010-03-31): topics, subscriptions, and Publish with its
// fan-out. A Publish stores its deliveries in the writer step that accepts it: SQS subscriptions
// are an in-process enqueue into the same batch, so an acknowledged publish is never lost.
//
// Storage (meta family):
//   "sns/t/<account>/<region>/<name>" -> topic (attributes, tags)
//   "sns/s/<subscription id>"         -> subscription (topic, protocol, endpoint, attributes, state)
// https://docs.aws.amazon.com/sns/latest/api/API_Operations.html
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/aws_json.h"
#include "common/clock.h"  // iso8601_ms: SNS envelopes print 2012-05-02T00:54:06.655Z
#include "pattern/filter_policy.h"
#include "sns/signer.h"
#include "ports/deliver.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::sns {

// Filter policies are AWS event patterns (src/pattern), shared with Lambda's FilterCriteria.
using pattern::FilterAttribute;
using pattern::FilterAttributes;
using pattern::FilterPolicy;
using pattern::FilterScope;

ApiError not_found(std::string message);
ApiError invalid_parameter(std::string message);  // "Invalid parameter: <message>"

struct Topic {
  std::string account;
  std::string region;
  std::string name;
  std::map<std::string, std::string> attributes;  // settable ones, as set
  std::map<std::string, std::string> tags;
  bool fifo = false;
  bool content_based_dedup = false;
  std::string arn() const { return "arn:aws:sns:" + region + ":" + account + ":" + name; }
  // fifo and content_based_dedup as the attributes set them (on creation, a change, a load).
  void read_flags() {
    auto is_true = [&](const char* name) {
      auto it = attributes.find(name);
      return it != attributes.end() && it->second == "true";
    };
    fifo = is_true("FifoTopic");
    content_based_dedup = is_true("ContentBasedDeduplication");
  }
};

struct Subscription {
  std::string id;  // the ARN's last part
  std::string topic_arn;
  std::string owner;
  std::string protocol;  // sqs, http, https, email, email-json, lambda
  std::string endpoint;
  std::map<std::string, std::string> attributes;  // RawMessageDelivery, FilterPolicy, ...
  bool confirmed = false;
  bool authenticated = false;  // confirmed by a signed call (or auto-confirmed), not by an unsigned link
  // ConfirmSubscription's AuthenticateOnUnsubscribe=true (in a signed call): an unsigned
  // Unsubscribe (the notifications' link) is refused.
  bool authenticate_on_unsubscribe = false;
  std::string token;  // confirmation token while pending
  std::shared_ptr<const FilterPolicy> policy;  // parsed FilterPolicy (null: none)
  bool body_scope = false;                     // FilterPolicyScope MessageBody
  std::string arn() const { return topic_arn + ":" + id; }
};

// Validates and parses a subscription's FilterPolicy / FilterPolicyScope into `policy`.
Status compile_policy(Subscription& sub);

// The stored forms (storage/record_codec.h); nullptr: not a topic / subscription.
std::string encode_topic(const Topic& t);
std::shared_ptr<Topic> decode_topic(std::string_view stored);
std::string encode_subscription(const Subscription& s);
std::shared_ptr<Subscription> decode_subscription(std::string_view stored);  // its filter policy compiled

class Pusher;
struct PushTask;

// SNS reaches queues and functions through the deliver port (`deliverer`, wired by main), and is
// itself the DeliveryTarget for topics (a Lambda dead-letter topic, an on-failure destination).
class Service final : public ports::DeliveryTarget {
 public:
  Service(storage::Engine& engine, storage::Writer& writer, const ports::Deliverer& deliverer, const Signer& signer);

  Status start();
  void register_operations(protocol::JsonService& json);

  // --- for the operation handlers ---
  std::shared_ptr<const Topic> find_topic(std::string_view arn) const;
  std::vector<std::shared_ptr<const Topic>> topics(std::string_view account, std::string_view region) const;
  std::shared_ptr<const Subscription> find_subscription(std::string_view arn) const;
  std::vector<std::shared_ptr<const Subscription>> subscriptions(std::string_view topic_arn = {}) const;
  storage::Writer& writer() { return writer_; }

  // Writer thread only (inside steps): catalog changes staged in the step's batch.
  void put_topic(storage::WriteTxn& txn, std::shared_ptr<const Topic> topic);
  void remove_topic(storage::WriteTxn& txn, const Topic& topic);
  void put_subscription(storage::WriteTxn& txn, std::shared_ptr<const Subscription> sub);
  void remove_subscription(storage::WriteTxn& txn, const Subscription& sub);

  struct Message {
    std::string message_id;
    std::string message;            // or the MessageStructure=json document
    bool structure_json = false;
    std::string subject;
    FilterAttributes attributes;    // name -> {DataType, value (Binary: raw bytes)}
    std::string group_id;           // FIFO
    std::string dedup_id;           // FIFO
    uint64_t sequence = 0;          // FIFO
    int64_t timestamp_ms = 0;
    std::string timestamp;          // ISO 8601 with milliseconds
    int signature_version = 1;
    std::string signature;          // over the notification's string-to-sign (same for every subscriber)
    bool signed_ = false;           // signatures made (only when a subscriber gets a signed document)
    // MessageStructure=json: each protocol's text has its own signature (text -> signature).
    std::map<std::string, std::string> signatures;
    const std::string& signature_for(const std::string& text) const {
      auto it = signatures.find(text);
      return it == signatures.end() ? signature : it->second;
    }
  };
  // Fills id, timestamp and signature of a message about to be published to `topic`; skips the
  // signature when no confirmed subscription would receive a signed document (raw and plain-email
  // subscribers do not), since it is most of a publish's CPU.
  void stamp(const Topic& topic, Message& m) const;
  void sign(const Topic& topic, Message& m) const;
  bool needs_signature(const Topic& topic) const;
  // Writer thread: delivers `m` to every confirmed subscription of `topic` whose filter policy
  // matches, in the caller's batch. `host` names this server in UnsubscribeURL.
  void fan_out(storage::WriteTxn& txn, const Topic& topic, const Message& m, std::string_view host);
  // Writer thread: publishes `message` with `attributes` to the standard topic `topic_arn` in the
  // caller's batch, as Publish would (a Lambda function's dead-letter topic). NotFound when there is
  // no such topic; InvalidParameter for a FIFO topic (it needs a MessageGroupId nobody gave).
  Status publish_in(storage::WriteTxn& txn, std::string_view topic_arn, std::string message, FilterAttributes attributes,
                    std::string_view host, std::string subject = {});
  // FIFO topics: the publish a deduplication id already names (5-minute window), if any.
  std::optional<std::pair<std::string, uint64_t>> duplicate(const Topic& topic, const std::string& dedup_id, int64_t now_ms);
  void remember(const Topic& topic, const std::string& dedup_id, const std::string& message_id, uint64_t seq, int64_t now_ms);
  uint64_t next_sequence(const Topic& topic);

  // ports::DeliveryTarget: publish_in() of the delivery's body, attributes and subject.
  Status deliver(storage::WriteTxn& txn, std::string_view topic_arn, ports::Delivery delivery) override;
  // The host:port notifications name in their UnsubscribeURL when a publish comes through the
  // deliver port (no request names a host). Set once the server listens, before serving.
  void set_public_host(std::string host) { public_host_ = std::move(host); }

  // Push deliveries (HTTP/S, email) go through `pusher`; set once before serving.
  void set_pusher(Pusher* pusher) { pusher_ = pusher; }
  Pusher* pusher() const { return pusher_; }
  // I/O thread: the SubscriptionConfirmation (HTTP/S, email-json) or confirmation mail (email) a
  // new pending subscription is sent, signed. `host` names this server in the SubscribeURL.
  PushTask confirmation(const Topic& topic, const Subscription& sub, std::string_view host) const;
  // Writer thread: puts a message that could not be delivered on `subscription_arn`'s RedrivePolicy
  // dead-letter queue, in the caller's batch, with AWS's ErrorCode / ErrorMessage / RequestID
  // attributes. False when the subscription has no (existing) dead-letter queue: the message is
  // dropped, as AWS drops it.
  bool dead_letter(storage::WriteTxn& txn, std::string_view subscription_arn, const std::string& body,
                   const std::string& message_id, const std::string& error_code, const std::string& error_message,
                   const std::string& group_id = {});

 private:
  storage::Engine& engine_;
  storage::Writer& writer_;
  const ports::Deliverer& deliverer_;
  const Signer& signer_;
  Pusher* pusher_ = nullptr;
  std::string public_host_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const Topic>, std::less<>> topics_;  // by ARN
  std::map<std::string, std::shared_ptr<const Subscription>, std::less<>> subscriptions_;  // by ARN
  // FIFO topics: dedup id -> (message id, sequence, expiry) and sequence counters; in memory.
  std::mutex fifo_mu_;
  std::map<std::string, std::map<std::string, std::tuple<std::string, uint64_t, int64_t>>> dedup_;
  std::map<std::string, uint64_t> sequences_;
};

// The event a Lambda subscription's function receives: {"Records":[{"EventSource":"aws:sns",...,
// "Sns":{...}}]}. Its "Sns" member is the envelope with Lambda's spellings (SigningCertUrl,
// UnsubscribeUrl, Subject null when absent, MessageAttributes always present).
// https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
std::string lambda_event(const Topic& topic, const Subscription& sub, const Service::Message& m, std::string_view message,
                         std::string_view host);

// The JSON envelope SQS (non-raw) and HTTP subscribers receive.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
std::string notification_envelope(const Topic& topic, const Subscription& sub, const Service::Message& m,
                                   std::string_view message, std::string_view host);

}  // namespace runnel::sns
