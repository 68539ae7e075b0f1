// What SNS's operation files share (ops.cc: topics, subscriptions, tags; publish_ops.cc: Publish
// and PublishBatch): the request-member helpers and the handlers register_operations lists.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/result.h"
#include "protocol/aws_json.h"
#include "sns/service.h"

namespace runnel::sns {

using JsonValue = rapidjson::Value;
using Reply = protocol::JsonReply;
using Ctx = protocol::RequestContext;
using StringMap = std::map<std::string, std::string>;

// A message with its attributes: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
inline constexpr size_t kMaxMessageBytes = 262144;

// A string member, or InvalidParameter naming it.
Result<std::string> required(const JsonValue& body, const char* name);
// A string member, or "".
std::string optional(const JsonValue& body, const char* name);
// {"<key>":"<value>"}
std::string one_member(const char* key, std::string_view value);
// The topic an ARN member names: InvalidParameter when malformed, NotFound when absent.
Result<std::shared_ptr<const Topic>> topic_param(Service& svc, const JsonValue& body, const char* name = "TopicArn");

void publish(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply);
void publish_batch(Service& svc, const Ctx& ctx, const JsonValue& body, Reply reply);

}  // namespace runnel::sns
