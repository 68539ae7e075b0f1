// Fuzzes the policy documents runnel parses from clients: IAM resource policies (SQS, SNS, and the
// cross-account rule's evaluator), SNS filter policies (both scopes, then matched against the input
// as a message body), and SNS delivery policies. The first byte picks the parser. Must never crash,
// hang or recurse without bound (seeded with documents nested 100,000 deep by run-fuzzer.sh).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/policy.h"
#include "sns/delivery_policy.h"
#include "pattern/filter_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto policy = runnel::auth::Policy::parse(text);
      if (policy.ok()) {
        runnel::auth::PolicyRequest r;
        r.principal_arn = "arn:aws:iam::222222222222:root";
        r.principal_account = "222222222222";
        r.action = "sqs:SendMessage";
        r.resource = "arn:aws:sqs:us-east-1:111111111111:q";
        r.context = {{"aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t"}, {"aws:SourceAccount", "111111111111"}};
        (void)policy->evaluate(r);
      }
      break;
    }
    case 1:
    case 2: {
      auto scope = data[0] % 4 == 1 ? runnel::pattern::FilterScope::kMessageAttributes : runnel::pattern::FilterScope::kMessageBody;
      auto policy = runnel::pattern::FilterPolicy::parse(text, scope);
      if (policy.ok()) {
        (void)policy->matches_body(text);
        runnel::pattern::FilterAttributes attributes;
        (void)policy->matches(attributes);
      }
      break;
    }
    case 3:
      (void)runnel::sns::validate_topic_delivery_policy(text);
      (void)runnel::sns::validate_subscription_delivery_policy(text);
      (void)runnel::sns::effective_http_policy(text, text);
      break;
  }
  return 0;
}
