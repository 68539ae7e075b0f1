// Resource-based IAM policies (an SQS queue's Policy, an SNS topic's Policy, a Lambda function's
// AddPermission statements): parsed once, then asked whether one request is allowed.
//
// What is evaluated (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html):
//   Version "2012-10-17" / "2008-10-17" (or absent), Statement as an object or an array, Sid,
//   Effect Allow/Deny, Principal / NotPrincipal ("*", {"AWS": "*" | account id |
//   "arn:aws:iam::ACCOUNT:root" | a user/role ARN | a list}, {"Service": "sns.amazonaws.com" ...}),
//   Action / NotAction (`*` and `?` wildcards, case-insensitive), Resource / NotResource
//   (wildcards, case-sensitive), and Condition with the String*, Arn* and Null operators (and their
//   IfExists forms) on any key the caller puts in the request context (aws:SourceArn,
//   aws:SourceAccount, aws:PrincipalAccount, ...). Keys are case-insensitive, values of String*
//   case-sensitive except the IgnoreCase forms.
// Evaluation (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
//   an explicit Deny wins, then an Allow, else the request is implicitly denied.
// A condition operator runnel does not know (Numeric*, Date*, Bool, IpAddress, ForAnyValue:...)
// makes its statement fail closed: an Allow with it never applies, a Deny with it always does.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace runnel::auth {

// The request a policy is asked about.
struct PolicyRequest {
  // Exactly one of these names the caller: an account's principal ("arn:aws:iam::111111111111:root";
  // runnel has no IAM users, so a caller is always its account's root) or a service principal
  // ("sns.amazonaws.com") acting for a resource (aws:SourceArn says which).
  std::string_view principal_arn;
  std::string_view principal_account;  // the caller's account (empty for a service principal)
  std::string_view service_principal;
  std::string_view action;    // "sqs:SendMessage"
  std::string_view resource;  // the ARN of the resource the policy is attached to (or a part of it)
  // Condition keys and their values (aws:SourceArn, aws:SourceAccount, aws:PrincipalAccount, ...);
  // names compare case-insensitively.
  std::vector<std::pair<std::string, std::string>> context;
};

enum class Decision {
  kImplicitDeny,  // no statement allows it
  kAllow,
  kExplicitDeny,  // a Deny statement matched
};

// Largest document parse() takes: the largest resource-policy limit of the services runnel serves
// (SNS topic policies: 30 KiB; SQS and Lambda: 20 KiB).
inline constexpr size_t kMaxPolicyBytes = 30 * 1024;

class Policy {
 public:
  // Parses `text`; errors (MalformedPolicyDocument-like, as ValidationException text) say why.
  // `max_bytes` is the calling service's limit (at most kMaxPolicyBytes).
  static Result<Policy> parse(std::string_view text, size_t max_bytes = kMaxPolicyBytes);

  Decision evaluate(const PolicyRequest& request) const;

  size_t statement_count() const;

  struct Statement;
  Policy();
  ~Policy();
  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;

 private:
  std::vector<Statement> statements_;
};

// `pattern` with `*` (any run, also empty) and `?` (one character) against `text`; no recursion,
// O(|pattern| * |text|) at worst.
bool wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case);

// ArnLike / ArnEquals: each of the six colon-separated parts matched on its own (a wildcard in
// the first five never crosses a colon; the sixth, the resource, may hold colons).
bool arn_match(std::string_view pattern, std::string_view arn);

// The principal a caller of `account` is in AWS's error messages and policies.
std::string account_principal_arn(std::string_view account);

// AWS's wording for a refused cross-account call, e.g. "User: arn:aws:iam::222222222222:root is not
// authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:...:table/x because no
// resource-based policy allows the dynamodb:GetItem action" (or "with an explicit deny in a
// resource-based policy").
std::string not_authorized_message(std::string_view principal_arn, std::string_view action, std::string_view resource,
                                   Decision decision);

// The cross-account rule every service applies: the caller's own account's resources are its own
// (identity policies are not modelled: a key of an account may do anything in it); another
// account's resource is allowed only when `policy_text` (the resource's stored policy; empty: none)
// allows the request. An unparsable stored policy allows nothing.
Decision decide_cross_account(std::string_view resource_account, std::string_view policy_text,
                              const PolicyRequest& request);

// decide_cross_account() for a direct call by `caller_account`'s principal (its root), with the
// condition keys such a call has: aws:PrincipalAccount and aws:PrincipalArn.
Decision decide_for_account(std::string_view caller_account, std::string_view resource_account,
                            std::string_view policy_text, std::string_view action, std::string_view resource);

// The cross-account rule as DynamoDB and DynamoDB Streams answer it: a table or stream of another
// account than the caller's is AccessDeniedException (400, in the Coral namespace, "User: … is not
// authorized to perform: …") unless `policy` allows the caller for `action`.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html
Status authorize_coral(std::string_view caller_account, std::string_view resource_arn, std::string_view resource_account,
                       std::string_view action, std::string_view policy = {});

}  // namespace runnel::auth
