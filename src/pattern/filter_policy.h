// SNS subscription filter policies: validation (Subscribe / SetSubscriptionAttributes) and matching
// (Publish), for both FilterPolicyScope values.
//
// AWS evaluates filter policies with its event-ruler library (github.com/aws/event-ruler): the
// policy is compiled like a ruler rule and the message (its attributes, or its JSON body) is matched
// like a ruler event. This module follows the SNS developer guide where it speaks and event-ruler's
// behaviour where it does not; filter_policy.cc cites the source of every rule and limit.
// https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace runnel::pattern {

// An SNS message attribute: data_type String, String.Array (string_value is JSON array text),
// Number or Binary, optionally with a custom suffix ("Number.float"). Binary attributes are ignored.
struct FilterAttribute {
  std::string data_type;
  std::string string_value;
};
using FilterAttributes = std::map<std::string, FilterAttribute>;

enum class FilterScope { kMessageAttributes, kMessageBody };
// SNS's quotas (5 keys, 150 combinations, wildcard points) apply to subscription filter policies;
// Lambda's FilterCriteria patterns have no such limits (only the complexity bound every pattern has).
enum class Limits { kSns, kNone };

class FilterPolicy {
 public:
  // Validates like SNS. Errors are ApiError{"InvalidParameter", "Invalid parameter: FilterPolicy:
  // <reason>", 400}, worded as AWS words them. Subscribe words the same errors "Invalid parameter:
  // Attributes Reason: FilterPolicy: <reason>"; the caller rewrites the prefix for that operation.
  static Result<FilterPolicy> parse(std::string_view json, FilterScope scope, Limits limits = Limits::kSns);

  bool matches(const FilterAttributes& attributes) const;    // FilterPolicyScope MessageAttributes
  bool matches_body(std::string_view message_body) const;    // MessageBody; a non-JSON body never matches

  struct Compiled;  // defined in filter_policy.cc

 private:
  explicit FilterPolicy(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace runnel::pattern
