#include "auth/policy.h"

#include <string>

#include <gtest/gtest.h>

namespace runnel::auth {
namespace {

constexpr const char* kQueue = "arn:aws:sqs:us-east-1:111111111111:q";
constexpr const char* kTopic = "arn:aws:sns:us-east-1:222222222222:t";

PolicyRequest account_request(std::string_view account, std::string_view action, std::string_view resource = kQueue) {
  static thread_local std::string arn;
  arn = account_principal_arn(account);
  PolicyRequest r;
  r.principal_arn = arn;
  r.principal_account = account;
  r.action = action;
  r.resource = resource;
  r.context = {{"aws:PrincipalAccount", std::string(account)}};
  return r;
}

PolicyRequest sns_request(std::string_view topic_arn, std::string_view resource = kQueue) {
  PolicyRequest r;
  r.service_principal = "sns.amazonaws.com";
  r.action = "sqs:SendMessage";
  r.resource = resource;
  r.context = {{"aws:SourceArn", std::string(topic_arn)}, {"aws:SourceAccount", "222222222222"}};
  return r;
}

Decision eval(const std::string& text, const PolicyRequest& r) {
  auto p = Policy::parse(text);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message) << " in " << text;
  return p.ok() ? p->evaluate(r) : Decision::kImplicitDeny;
}

std::string one(const std::string& statement) { return R"({"Version":"2012-10-17","Statement":)" + statement + "}"; }

TEST(Wildcard, StarAndQuestionMark) {
  EXPECT_TRUE(wildcard_match("*", "", false));
  EXPECT_TRUE(wildcard_match("sqs:*", "sqs:SendMessage", false));
  EXPECT_TRUE(wildcard_match("sqs:Send*", "sqs:SendMessage", false));
  EXPECT_TRUE(wildcard_match("sqs:*Message", "sqs:SendMessage", false));
  EXPECT_TRUE(wildcard_match("sqs:?endMessage", "sqs:SendMessage", false));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYbZc", false));
  EXPECT_FALSE(wildcard_match("sqs:?endMessage", "sqs:endMessage", false));
  EXPECT_FALSE(wildcard_match("sqs:Send", "sqs:SendMessage", false));
  EXPECT_FALSE(wildcard_match("a*b*c", "aXXbYYbZ", false));
  EXPECT_FALSE(wildcard_match("SQS:SENDMESSAGE", "sqs:SendMessage", false));
  EXPECT_TRUE(wildcard_match("SQS:SENDMESSAGE", "sqs:SendMessage", true));
  EXPECT_TRUE(wildcard_match("Sqs:send*", "sqs:SendMessage", true));
  // A hostile pattern stays cheap (no recursion, no exponential backtracking).
  std::string text(20000, 'a'), pattern;
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "b";
  EXPECT_FALSE(wildcard_match(pattern, text, false));
}

TEST(Wildcard, ArnComponentsMatchSeparately) {
  EXPECT_TRUE(arn_match("arn:aws:sns:us-east-1:222222222222:t", kTopic));
  EXPECT_TRUE(arn_match("arn:aws:sns:*:222222222222:*", kTopic));
  EXPECT_TRUE(arn_match("arn:aws:sns:us-east-?:*:t", kTopic));
  EXPECT_TRUE(arn_match("*", kTopic));
  // A wildcard in a component does not reach across a colon into the next one.
  EXPECT_FALSE(arn_match("arn:aws:*:t", kTopic));
  EXPECT_FALSE(arn_match("arn:aws:sns:us-east-1:111111111111:t", kTopic));
  EXPECT_FALSE(arn_match("arn:aws:sns:us-east-1:222222222222:T", kTopic));  // case-sensitive
  EXPECT_FALSE(arn_match("arn:aws:sns:us-east-1:222222222222:t", "not-an-arn"));
  // The resource part may hold colons (and slashes).
  EXPECT_TRUE(arn_match("arn:aws:lambda:us-east-1:1:function:*", "arn:aws:lambda:us-east-1:1:function:f:PROD"));
}

TEST(Policy, NoStatementAllowsIsImplicitDeny) {
  EXPECT_EQ(eval(one(R"([{"Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":"sqs:*","Resource":"*"}])"),
                 account_request("222222222222", "sqs:SendMessage")),
            Decision::kImplicitDeny);
  EXPECT_EQ(eval(one("[]"), account_request("222222222222", "sqs:SendMessage")), Decision::kImplicitDeny);
}

TEST(Policy, PrincipalForms) {
  auto req = account_request("222222222222", "sqs:SendMessage");
  for (const char* principal : {R"("*")", R"({"AWS":"*"})", R"({"AWS":"222222222222"})",
                                R"({"AWS":"arn:aws:iam::222222222222:root"})",
                                R"({"AWS":["333333333333","arn:aws:iam::222222222222:root"]})"}) {
    std::string p = one(std::string(R"({"Effect":"Allow","Principal":)") + principal +
                        R"(,"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:q"})");
    EXPECT_EQ(eval(p, req), Decision::kAllow) << principal;
  }
  // A role or user of the account is not the account's root (runnel's callers are roots).
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/r"},"Action":"*"})"), req),
            Decision::kImplicitDeny);
  // Another account, a service principal, a canonical user: none names this caller.
  for (const char* principal : {R"({"AWS":"333333333333"})", R"({"Service":"sns.amazonaws.com"})",
                                R"({"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})"}) {
    std::string p = one(std::string(R"({"Effect":"Allow","Principal":)") + principal + R"(,"Action":"*"})");
    EXPECT_EQ(eval(p, req), Decision::kImplicitDeny) << principal;
  }
}

TEST(Policy, ServicePrincipal) {
  std::string p = one(R"({"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","sns.amazonaws.com"]},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:q"})");
  EXPECT_EQ(eval(p, sns_request(kTopic)), Decision::kAllow);
  // An account principal statement does not cover the service.
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sqs:SendMessage"})"), sns_request(kTopic)),
            Decision::kImplicitDeny);
}

TEST(Policy, ActionWildcardsAreCaseInsensitive) {
  auto req = account_request("222222222222", "sqs:ReceiveMessage");
  for (const char* action : {R"("SQS:ReceiveMessage")", R"("sqs:*")", R"("*")", R"("sqs:receive*")",
                             R"(["sqs:SendMessage","sqs:Receive?essage"])"}) {
    std::string p = one(std::string(R"({"Effect":"Allow","Principal":"*","Action":)") + action + "}");
    EXPECT_EQ(eval(p, req), Decision::kAllow) << action;
  }
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"})"), req), Decision::kImplicitDeny);
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"sns:*"})"), req), Decision::kImplicitDeny);
}

TEST(Policy, NotAction) {
  std::string p = one(R"({"Effect":"Allow","Principal":"*","NotAction":["sqs:DeleteQueue","sqs:Purge*"]})");
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:SendMessage")), Decision::kAllow);
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:DeleteQueue")), Decision::kImplicitDeny);
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:PurgeQueue")), Decision::kImplicitDeny);
}

TEST(Policy, ResourceAndNotResource) {
  auto req = account_request("222222222222", "sqs:SendMessage");
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sqs:*:111111111111:*"})"), req),
            Decision::kAllow);
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sqs:us-east-1:111111111111:other"})"), req),
            Decision::kImplicitDeny);
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:sqs:us-east-1:111111111111:q"})"), req),
            Decision::kImplicitDeny);
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","NotResource":["arn:aws:sqs:*:*:x"]})"), req),
            Decision::kAllow);
  // ARNs are case-sensitive.
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sqs:us-east-1:111111111111:Q"})"), req),
            Decision::kImplicitDeny);
}

TEST(Policy, ExplicitDenyWins) {
  std::string p = one(R"([
    {"Sid":"all","Effect":"Allow","Principal":"*","Action":"sqs:*"},
    {"Sid":"nodelete","Effect":"Deny","Principal":{"AWS":"222222222222"},"Action":"sqs:DeleteQueue"}])");
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:SendMessage")), Decision::kAllow);
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:DeleteQueue")), Decision::kExplicitDeny);
  EXPECT_EQ(eval(p, account_request("333333333333", "sqs:DeleteQueue")), Decision::kAllow);
  // Order does not matter.
  std::string reversed = one(R"([
    {"Effect":"Deny","Principal":"*","Action":"*"},
    {"Effect":"Allow","Principal":"*","Action":"*"}])");
  EXPECT_EQ(eval(reversed, account_request("222222222222", "sqs:SendMessage")), Decision::kExplicitDeny);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
// deny everyone but the named account.
TEST(Policy, NotPrincipalWithDeny) {
  std::string p = one(R"([
    {"Effect":"Allow","Principal":"*","Action":"*"},
    {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:root"]},"Action":"sqs:*"}])");
  EXPECT_EQ(eval(p, account_request("444455556666", "sqs:SendMessage")), Decision::kAllow);
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:SendMessage")), Decision::kExplicitDeny);
  EXPECT_EQ(eval(p, sns_request(kTopic)), Decision::kExplicitDeny);
  EXPECT_FALSE(Policy::parse(one(R"({"Effect":"Allow","NotPrincipal":"*","Action":"*"})")).ok());
}

// The policy SNS's documentation gives a queue so that a topic can send to it
// (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
TEST(Policy, SnsToSqsDocumentedPolicy) {
  std::string p = R"({
    "Statement": [{
      "Effect": "Allow",
      "Principal": {"Service": "sns.amazonaws.com"},
      "Action": "sqs:SendMessage",
      "Resource": "arn:aws:sqs:us-east-1:111111111111:q",
      "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:222222222222:t"}}
    }]})";
  EXPECT_EQ(eval(p, sns_request(kTopic)), Decision::kAllow);
  EXPECT_EQ(eval(p, sns_request("arn:aws:sns:us-east-1:222222222222:other")), Decision::kImplicitDeny);
  PolicyRequest no_source = sns_request(kTopic);
  no_source.context.clear();
  EXPECT_EQ(eval(p, no_source), Decision::kImplicitDeny);
}

// The older console form: any principal, restricted by the source ARN (2008-10-17, "AWS": "*",
// StringLike, with the capitalised "SQS:" action and "AWS:SourceArn" key).
TEST(Policy, ConsoleSnsPolicyOfVersion2008) {
  std::string p = R"({"Version":"2008-10-17","Id":"arn:aws:sqs:us-east-1:111111111111:q/SQSDefaultPolicy",
    "Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SQS:SendMessage",
    "Resource":"arn:aws:sqs:us-east-1:111111111111:q",
    "Condition":{"StringLike":{"AWS:SourceArn":"arn:aws:sns:us-east-1:222222222222:*"}}}]})";
  EXPECT_EQ(eval(p, sns_request(kTopic)), Decision::kAllow);
  EXPECT_EQ(eval(p, sns_request("arn:aws:sns:us-east-1:333333333333:t")), Decision::kImplicitDeny);
  // A direct call has no aws:SourceArn: the condition fails.
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:SendMessage")), Decision::kImplicitDeny);
}

// SNS's AddPermission statement (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
TEST(Policy, SnsAddPermissionStatement) {
  std::string p = R"({"Statement":[{"Sid":"grant-1234-publish","Effect":"Allow","Principal":{"AWS":"111122223333"},
    "Action":["sns:Publish"],"Resource":"arn:aws:sns:us-east-2:444455556666:MyTopic"}]})";
  const char* topic = "arn:aws:sns:us-east-2:444455556666:MyTopic";
  EXPECT_EQ(eval(p, account_request("111122223333", "SNS:Publish", topic)), Decision::kAllow);
  EXPECT_EQ(eval(p, account_request("111122223333", "SNS:Subscribe", topic)), Decision::kImplicitDeny);
  EXPECT_EQ(eval(p, account_request("999999999999", "SNS:Publish", topic)), Decision::kImplicitDeny);
}

// SNS's default topic policy: any principal, but only of the owner's account (AWS:SourceOwner).
TEST(Policy, SnsDefaultTopicPolicy) {
  std::string p = R"({"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID",
    "Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:Publish"],
    "Resource":"arn:aws:sns:us-east-1:222222222222:t","Condition":{"StringEquals":{"AWS:SourceOwner":"222222222222"}}}]})";
  auto other = account_request("111111111111", "SNS:Publish", kTopic);
  other.context.emplace_back("aws:SourceOwner", "111111111111");
  EXPECT_EQ(eval(p, other), Decision::kImplicitDeny);
}

TEST(Policy, ConditionOperators) {
  auto req = account_request("222222222222", "sqs:SendMessage");
  req.context.emplace_back("aws:SourceArn", kTopic);
  req.context.emplace_back("aws:SourceAccount", "222222222222");
  auto with = [&](const std::string& condition) {
    return eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","Condition":)" + condition + "}"), req);
  };
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceAccount":"222222222222"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceAccount":["1","222222222222"]}})"), Decision::kAllow);  // any value
  EXPECT_EQ(with(R"({"StringEquals":{"aws:sourceaccount":"222222222222"}})"), Decision::kAllow);  // key case
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceAccount":"333333333333"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"StringNotEquals":{"aws:SourceAccount":"333333333333"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringNotEquals":{"aws:SourceAccount":["333333333333","222222222222"]}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"StringEqualsIgnoreCase":{"aws:SourceArn":"ARN:AWS:SNS:US-EAST-1:222222222222:T"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceArn":"ARN:AWS:SNS:US-EAST-1:222222222222:T"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"StringLike":{"aws:SourceArn":"arn:aws:sns:*:222222222222:*"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringNotLike":{"aws:SourceArn":"arn:aws:sns:*"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:*:t"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:222222222222:t"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:222222222222:t"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"ArnNotLike":{"aws:SourceArn":"arn:aws:sqs:*"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringEquals":{"aws:PrincipalAccount":"222222222222"}})"), Decision::kAllow);
  // Operators and keys are ANDed.
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceAccount":"222222222222","aws:PrincipalAccount":"1"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceAccount":"222222222222"},"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:t"}})"),
            Decision::kAllow);
  // Missing keys: positive false, negated true, IfExists true; Null tests presence.
  EXPECT_EQ(with(R"({"StringEquals":{"aws:SourceVpc":"vpc-1"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"StringNotEquals":{"aws:SourceVpc":"vpc-1"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"StringEqualsIfExists":{"aws:SourceAccount":"1"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:t"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"Null":{"aws:SourceVpc":"true"}})"), Decision::kAllow);
  EXPECT_EQ(with(R"({"Null":{"aws:SourceArn":"true"}})"), Decision::kImplicitDeny);
  EXPECT_EQ(with(R"({"Null":{"aws:SourceArn":false}})"), Decision::kAllow);
}

TEST(Policy, UnknownConditionOperatorFailsClosed) {
  auto req = account_request("222222222222", "sqs:SendMessage");
  EXPECT_EQ(eval(one(R"({"Effect":"Allow","Principal":"*","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}})"), req),
            Decision::kImplicitDeny);
  EXPECT_EQ(eval(one(R"([{"Effect":"Allow","Principal":"*","Action":"*"},
    {"Effect":"Deny","Principal":"*","Action":"*","Condition":{"NumericLessThan":{"sqs:MaxMessageSize":1}}}])"), req),
            Decision::kExplicitDeny);
}

TEST(Policy, StatementAsObject) {
  std::string p = R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}})";
  EXPECT_EQ(eval(p, account_request("222222222222", "sqs:SendMessage")), Decision::kAllow);
}

TEST(Policy, MalformedDocumentsAreRefused) {
  for (const char* bad : {
           "", "[]", "not json", R"({"Version":"2012-10-17"})", R"({"Version":"2020-01-01","Statement":[]})",
           R"({"Statement":[{"Principal":"*","Action":"*"}]})",                       // no Effect
           R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":"*"}]})",                   // no Action
           R"({"Statement":[{"Effect":"Allow","Action":"*"}]})",                      // no Principal
           R"({"Statement":[{"Effect":"Allow","Principal":"someone","Action":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":{"Alien":"x"},"Action":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","NotResource":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":[1]}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":"x"}}]})",
           R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Extra":1}]})",
           R"({"Statement":[],"Unknown":1})",
       }) {
    EXPECT_FALSE(Policy::parse(bad).ok()) << bad;
  }
}

TEST(Policy, BoundedSizeAndDepth) {
  std::string big = one(R"({"Effect":"Allow","Principal":"*","Action":"*","Sid":")" + std::string(kMaxPolicyBytes, 'x') + "\"}");
  EXPECT_FALSE(Policy::parse(big).ok());
  std::string small = one(R"({"Effect":"Allow","Principal":"*","Action":"*"})");
  EXPECT_TRUE(Policy::parse(small).ok());
  EXPECT_FALSE(Policy::parse(small, 10).ok());  // the service's own, smaller limit
  std::string deep = R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"k":)" +
                     std::string(100000, '[') + std::string(100000, ']') + "}}}]}";
  EXPECT_FALSE(Policy::parse(deep).ok());  // refused, not a stack overflow (and over the size anyway)
  std::string nested = R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"k":)" +
                       std::string(10, '[') + std::string(10, ']') + "}}}]}";
  EXPECT_FALSE(Policy::parse(nested).ok());
}

TEST(CrossAccount, OwnAccountAlwaysAllowedOthersNeedThePolicy) {
  auto mine = account_request("111111111111", "sqs:DeleteQueue");
  EXPECT_EQ(decide_cross_account("111111111111", "", mine), Decision::kAllow);
  auto theirs = account_request("222222222222", "sqs:DeleteQueue");
  EXPECT_EQ(decide_cross_account("111111111111", "", theirs), Decision::kImplicitDeny);
  EXPECT_EQ(decide_cross_account("111111111111", "{broken", theirs), Decision::kImplicitDeny);
  std::string allow = one(R"({"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sqs:*"})");
  EXPECT_EQ(decide_cross_account("111111111111", allow, theirs), Decision::kAllow);
  // A service acting for another resource is never "the owner", even in the same account.
  EXPECT_EQ(decide_cross_account("111111111111", "", sns_request(kTopic)), Decision::kImplicitDeny);
}

TEST(CrossAccount, DirectCallCarriesPrincipalKeys) {
  std::string only_b = one(R"({"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage",
    "Condition":{"StringEquals":{"aws:PrincipalAccount":"222222222222"},"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:root"}}})");
  EXPECT_EQ(decide_for_account("222222222222", "111111111111", only_b, "sqs:SendMessage", kQueue), Decision::kAllow);
  EXPECT_EQ(decide_for_account("333333333333", "111111111111", only_b, "sqs:SendMessage", kQueue), Decision::kImplicitDeny);
  EXPECT_EQ(decide_for_account("222222222222", "111111111111", only_b, "sqs:DeleteQueue", kQueue), Decision::kImplicitDeny);
  EXPECT_EQ(decide_for_account("111111111111", "111111111111", "", "sqs:DeleteQueue", kQueue), Decision::kAllow);
}

TEST(CrossAccount, Messages) {
  EXPECT_EQ(not_authorized_message("arn:aws:iam::222222222222:root", "dynamodb:GetItem",
                                   "arn:aws:dynamodb:us-east-1:111111111111:table/x", Decision::kImplicitDeny),
            "User: arn:aws:iam::222222222222:root is not authorized to perform: dynamodb:GetItem on resource: "
            "arn:aws:dynamodb:us-east-1:111111111111:table/x because no resource-based policy allows the "
            "dynamodb:GetItem action");
  EXPECT_EQ(not_authorized_message("arn:aws:iam::222222222222:root", "SNS:Publish", kTopic, Decision::kExplicitDeny),
            "User: arn:aws:iam::222222222222:root is not authorized to perform: SNS:Publish on resource: "
            "arn:aws:sns:us-east-1:222222222222:t with an explicit deny in a resource-based policy");
}

}  // namespace
}  // namespace runnel::auth
