// SNS delivery retry policies: when a failed push delivery is tried again, and when it gives up.
//
// HTTP/S subscriptions follow their DeliveryPolicy's healthyRetryPolicy (or the topic's
// http.defaultHealthyRetryPolicy; default 3 retries 20 s apart); email follows AWS's fixed
// "customer managed" policy. A policy has four phases, in order: numNoDelayRetries immediate
// retries, numMinDelayRetries at minDelayTarget, the backoff phase (the retries left over) rising
// from minDelayTarget to maxDelayTarget along backoffFunction, and numMaxDelayRetries at
// maxDelayTarget. numRetries counts all of them; the total time may not exceed 3,600 s.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace runnel::sns {

enum class Backoff { kLinear, kArithmetic, kGeometric, kExponential };

struct RetryPolicy {
  int num_retries = 3;
  int num_no_delay_retries = 0;
  int num_min_delay_retries = 0;
  int num_max_delay_retries = 0;
  int min_delay_s = 20;
  int max_delay_s = 20;
  Backoff backoff = Backoff::kLinear;

  // Milliseconds to wait before retry number `retry` (1 = the first retry after the first
  // attempt); nullopt when the policy is exhausted and the delivery has failed for good.
  std::optional<int64_t> delay_before_retry_ms(int retry) const;
  // Seconds all retries take together (what the 3,600 s limit bounds).
  int64_t total_seconds() const;
};

// What an HTTP/S delivery follows: the retry policy, the Content-Type of the POST, and the
// subscription's throttle (0: none).
struct HttpDeliveryPolicy {
  RetryPolicy retry;
  std::string content_type = "text/plain; charset=UTF-8";
  int max_receives_per_second = 0;
};

// AWS's email policy: 2 retries 10 s apart, 10 backing off from 10 s to 600 s, 38 at 600 s.
RetryPolicy email_retry_policy();

// Validates a subscription DeliveryPolicy ({"healthyRetryPolicy":{...},"throttlePolicy":{...},
// "requestPolicy":{...}}). The error message follows AWS's "DeliveryPolicy: <field> must be ...".
Status validate_subscription_delivery_policy(std::string_view json);
// Validates a topic DeliveryPolicy ({"http":{"defaultHealthyRetryPolicy":{...},...}}).
Status validate_topic_delivery_policy(std::string_view json);

// The policy an HTTP/S subscription's delivery follows: the subscription's own unless the topic
// sets disableSubscriptionOverrides, then the topic's defaults, then AWS's default. Both inputs
// were validated when they were set; empty means unset.
HttpDeliveryPolicy effective_http_policy(std::string_view topic_policy, std::string_view subscription_policy);

}  // namespace runnel::sns
