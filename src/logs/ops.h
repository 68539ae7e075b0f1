// The CloudWatch Logs operations (group_ops.cc, stream_ops.cc, event_ops.cc) and what they share:
// AWS's validation of names and identifiers and its error shapes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/result.h"
#include "logs/service.h"
#include "protocol/aws_json.h"

namespace runnel::logs {

using Ctx = protocol::RequestContext;
using Body = rapidjson::Document;
using Reply = protocol::JsonReply;

// Groups and retention, tags (group_ops.cc).
void create_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void delete_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void describe_log_groups(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void put_retention_policy(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void delete_retention_policy(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void tag_resource(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void untag_resource(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void list_tags_for_resource(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void tag_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void untag_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void list_tags_log_group(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
// Streams (stream_ops.cc).
void create_log_stream(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void delete_log_stream(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void describe_log_streams(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
// Events (event_ops.cc).
void put_log_events(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void get_log_events(Service& svc, const Ctx& ctx, const Body& body, Reply reply);
void filter_log_events(Service& svc, const Ctx& ctx, const Body& body, Reply reply);

// InvalidParameterException, as CloudWatch Logs reports every validation failure (its Coral
// messages included: "1 validation error detected: Value 'x' at 'logGroupName' failed to satisfy
// constraint: ...").
ApiError invalid_parameter(std::string message);
ApiError group_not_found();   // "The specified log group does not exist."
ApiError stream_not_found();  // "The specified log stream does not exist."

// A required logGroupName (1–512 characters of [\.\-_/#A-Za-z0-9]).
Result<std::string> required_group_name(const Body& body, std::string_view member = "logGroupName");
// An optional string member checked against the model's length bounds (and, for names, pattern).
Result<std::optional<std::string>> optional_group_name(const Body& body, std::string_view member);
Result<std::string> required_stream_name(const Body& body);
// A required string member, unchecked beyond its presence.
Result<std::string> required_member(const Body& body, std::string_view member);
Result<std::optional<std::string>> optional_stream_prefix(const Body& body);
// An optional integer member within [lo, hi].
Result<std::optional<int64_t>> optional_integer(const Body& body, std::string_view member, int64_t lo, int64_t hi);

// The group an operation names by logGroupName or logGroupIdentifier (a name or the group's ARN,
// with or without ":*"), exactly one of them; ResourceNotFoundException when it does not exist
// in the caller's account and region (another account's group is not found, never read).
Result<LogGroup> resolve_group(Service& svc, const Ctx& ctx, const Body& body);

// Tokens are opaque to clients; runnel's carry a position in decimal digits.
std::string digits(uint64_t a, uint64_t b, uint64_t c);

}  // namespace runnel::logs
