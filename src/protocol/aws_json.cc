#include "protocol/aws_json.h"

#include "common/json_parse.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <zlib.h>

namespace runnel::protocol {

std::string render_json_error_body(const ApiError& error) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("__type");
  std::string type = error.json_namespace.empty() ? error.code : error.json_namespace + "#" + error.code;
  w.String(type.c_str(), static_cast<rapidjson::SizeType>(type.size()));
  // DynamoDB spells the key "message" for most errors and "Message" for a few; botocore reads both.
  w.Key("message");
  w.String(error.message.c_str(), static_cast<rapidjson::SizeType>(error.message.size()));
  w.EndObject();
  std::string body(sb.GetString(), sb.GetSize());
  if (!error.extra_json.empty()) {
    body.pop_back();
    body += ',';
    body += error.extra_json;
    body += '}';
  }
  return body;
}

void JsonService::finish(Response& r) const {
  r.content_type = options_.content_type;
  if (options_.crc32_header) {
    // The unsigned CRC-32 of the exact body bytes, in decimal (aws-reference.md 1.2).
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(r.body.data()), static_cast<uInt>(r.body.size()));
    r.headers.emplace_back("x-amz-crc32", std::to_string(crc));
  }
}

Response JsonService::render_error(const ApiError& error) const {
  Response r;
  r.status = error.http_status;
  r.body = render_json_error_body(error);
  if (options_.query_compatible) {
    const std::string& code = error.query_code.empty() ? error.code : error.query_code;
    r.headers.emplace_back("x-amzn-query-error", code + (error.sender_fault ? ";Sender" : ";Receiver"));
  }
  finish(r);
  return r;
}

Response JsonService::render_success(std::string body) const {
  Response r;
  r.body = std::move(body);
  finish(r);
  return r;
}

bool JsonService::invoke(const RequestContext& ctx, std::string_view operation, const rapidjson::Document& input,
                         JsonReply reply) const {
  auto it = operations_.find(operation);
  if (it == operations_.end()) return false;
  it->second.handler(ctx, input, std::move(reply));
  return true;
}

void JsonService::dispatch(RequestContext ctx, std::string_view operation, std::string_view body,
                           Reply reply) const {
  auto it = operations_.find(operation);
  if (it == operations_.end()) {
    ApiError e{"UnknownOperationException", "", 400, true, "com.amazon.coral.service", {}};
    reply(render_error(e));
    return;
  }
  ctx.operation = std::string(operation);
  // The document's nodes come from a per-thread arena instead of RapidJSON's default 64 KB heap
  // chunk per document: a request body rarely needs more, and the hot path then allocates nothing
  // here. The handler copies what it keeps before it returns, so the arena is free again after.
  thread_local char arena[32 * 1024];
  rapidjson::MemoryPoolAllocator<> allocator(arena, sizeof(arena));
  rapidjson::Document doc(&allocator);
  if (body.empty()) {
    doc.SetObject();
  } else {
    if (json::ParseOutcome parsed = json::parse(doc, body); !parsed) {
      reply(render_error(ApiError::serialization("Malformed JSON: " + parsed.message)));
      return;
    }
    if (!doc.IsObject()) {
      reply(render_error(ApiError::serialization("Request body must be a JSON object")));
      return;
    }
  }
  it->second.handler(ctx, doc, [this, reply = std::move(reply)](Result<std::string> result) {
    if (result.ok()) {
      reply(render_success(std::move(result).value()));
    } else {
      reply(render_error(result.error()));
    }
  });
}

}  // namespace runnel::protocol
