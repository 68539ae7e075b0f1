#include "sns/access.h"

#include "auth/policy.h"
#include "sns/service.h"

namespace runnel::sns {

namespace {

std::string_view string_member(const rapidjson::Value& body, const char* name) {
  if (!body.IsObject()) return {};
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || !it->value.IsString()) return {};
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

ApiError authorization_error(std::string message) { return {"AuthorizationError", std::move(message), 403, true, "", {}}; }

// A topic of another account: its Policy decides (the default policy grants its own account only).
Status authorize_topic(const Service& svc, const protocol::RequestContext& ctx, std::string_view operation,
                       std::string_view topic_arn) {
  std::string_view account = arn_account(topic_arn);
  if (account.empty() || account == ctx.account) return ok_status();  // malformed: the handler says so
  std::string action = "SNS:" + std::string(operation == "PublishBatch" ? "Publish" : operation);
  // A missing topic has no policy to allow anything, and its absence is not revealed.
  auto topic = svc.find_topic(topic_arn);
  std::string policy;
  if (topic)
    if (auto it = topic->attributes.find("Policy"); it != topic->attributes.end()) policy = it->second;
  auto decision = auth::decide_for_account(ctx.account, account, policy, action, topic_arn);
  if (decision == auth::Decision::kAllow) return ok_status();
  return authorization_error(auth::not_authorized_message(auth::account_principal_arn(ctx.account), action, topic_arn, decision));
}

Status authorize_subscription(const Service& svc, const protocol::RequestContext& ctx, std::string_view operation,
                              std::string_view subscription_arn) {
  auto sub = svc.find_subscription(subscription_arn);
  if (ctx.access_key.empty()) {
    // Only Unsubscribe is served unsigned (the link in every notification).
    // https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html (AuthenticateOnUnsubscribe)
    if (sub && sub->authenticate_on_unsubscribe)
      return authorization_error("Unsubscribing from this subscription requires AWS authentication");
    return ok_status();
  }
  std::string_view topic_arn = subscription_arn.substr(0, subscription_arn.rfind(':'));
  std::string_view account = arn_account(topic_arn);
  if (account.empty() || account == ctx.account || (sub && sub->owner == ctx.account)) return ok_status();
  std::string action = "SNS:" + std::string(operation);
  return authorization_error(auth::not_authorized_message(auth::account_principal_arn(ctx.account), action,
                                                          subscription_arn, auth::Decision::kImplicitDeny));
}

}  // namespace

std::string_view arn_account(std::string_view arn) {
  size_t at = 0;
  for (int i = 0; i < 4; ++i) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return {};
    ++at;
  }
  size_t end = arn.find(':', at);
  return end == std::string_view::npos ? std::string_view() : arn.substr(at, end - at);
}

Status authorize(const Service& svc, const protocol::RequestContext& ctx, std::string_view operation,
                 const rapidjson::Value& body) {
  if (operation == "ConfirmSubscription" || operation == "CreateTopic" || operation == "ListTopics" ||
      operation == "ListSubscriptions")
    return ok_status();
  if (operation == "Unsubscribe" || operation == "GetSubscriptionAttributes" || operation == "SetSubscriptionAttributes")
    return authorize_subscription(svc, ctx, operation, string_member(body, "SubscriptionArn"));
  std::string_view arn = string_member(body, "TopicArn");
  if (arn.empty()) arn = string_member(body, "TargetArn");
  if (arn.empty()) arn = string_member(body, "ResourceArn");
  return authorize_topic(svc, ctx, operation, arn);
}

}  // namespace runnel::sns
