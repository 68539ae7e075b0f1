// SNS's cross-account rule, in one place: every operation passes authorize() before its handler
// (Service::register_operations), which finds the topic or subscription the request names and asks
// the topic's Policy when the caller is of another account.
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
#pragma once

#include <string_view>

#include <rapidjson/document.h>

#include "common/result.h"
#include "protocol/message.h"

namespace runnel::sns {

class Service;

// The account part of an ARN (arn:aws:<service>:<region>:<account>:...); empty when malformed.
std::string_view arn_account(std::string_view arn);

// The cross-account rule for `operation`:
// - topic operations (TopicArn / TargetArn / ResourceArn): the topic's account, or whom its Policy
//   allows "SNS:<operation>" (PublishBatch as SNS:Publish); else 403 AuthorizationError with AWS's
//   "User: ... is not authorized to perform: SNS:Publish on resource: ..." message;
// - subscription operations (Unsubscribe, Get/SetSubscriptionAttributes): the topic's owner or the
//   subscription's; an unsigned Unsubscribe (a followed link) is refused when the subscription was
//   confirmed with AuthenticateOnUnsubscribe=true;
// - ConfirmSubscription: its token is the authorization (AWS serves the link unsigned too).
Status authorize(const Service& svc, const protocol::RequestContext& ctx, std::string_view operation,
                 const rapidjson::Value& body);

}  // namespace runnel::sns
