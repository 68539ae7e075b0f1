// Reserved concurrency: PutFunctionConcurrency, GetFunctionConcurrency, DeleteFunctionConcurrency.
// A function's ReservedConcurrentExecutions bounds how many of its invocations run at once (the
// sandboxes throttle past it); 0 stops it. As on AWS, the account's unreserved part may not drop
// below 100 of its 1,000.
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
#include <fmt/format.h>

#include "common/json_parse.h"
#include "common/json_write.h"
#include "protocol/rest.h"
#include "lambda/service.h"

namespace runnel::lambda {

namespace {

constexpr int kAccountConcurrency = 1000;
constexpr int kMinUnreserved = 100;

std::string concurrency_json(const Function& f) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  if (f.reserved_concurrency >= 0) {
    w.Key("ReservedConcurrentExecutions");
    w.Int(f.reserved_concurrency);
  }
  w.EndObject();
  return finish_json(sb);
}

}  // namespace

int Service::reserved_elsewhere(const std::string& account, const std::string& region, const std::string& except_arn) const {
  int total = 0;
  std::shared_lock lock(mu_);
  for (const auto& [arn, f] : functions_)
    if (f->account == account && f->region == region && arn != except_arn && f->reserved_concurrency > 0)
      total += f->reserved_concurrency;
  return total;
}

void Service::put_concurrency(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string& given,
                              protocol::Reply reply) const {
  auto resolved = resolve_function_name(given, ctx.account, ctx.region);
  if (!resolved.ok()) return reply(render_error(resolved.error()));
  rapidjson::Document d;
  if (!json::parse(d, request.body.empty() ? std::string_view("{}") : std::string_view(request.body)) || !d.IsObject())
    return reply(render_error({"InvalidRequestContentException", "Could not parse request body into json", 400, true,
                               "com.amazonaws.lambda", {}}));
  auto it = d.FindMember("ReservedConcurrentExecutions");
  if (it == d.MemberEnd() || it->value.IsNull())
    return reply(render_error({"ValidationException",
                               "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null",
                               400, true, "com.amazonaws.lambda", {}}));
  if (!it->value.IsInt64() || it->value.GetInt64() < 0)
    return reply(render_error({"ValidationException",
                               fmt::format("1 validation error detected: Value '{}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0",
                                           it->value.IsInt64() ? std::to_string(it->value.GetInt64()) : std::string("?")),
                               400, true, "com.amazonaws.lambda", {}}));
  int64_t wanted = it->value.GetInt64();
  update(
      ctx, *resolved,
      [this, wanted](Function& f, storage::WriteTxn&) -> Status {
        if (wanted + reserved_elsewhere(f.account, f.region, f.arn()) > kAccountConcurrency - kMinUnreserved)
          return invalid_parameter(fmt::format(
              "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{}].",
              kMinUnreserved));
        f.reserved_concurrency = static_cast<int>(wanted);
        return ok_status();
      },
      [](const Function& f) { return protocol::rest_json_response(200, concurrency_json(f)); }, std::move(reply));
}

void Service::get_concurrency(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                              protocol::Reply reply) const {
  auto resolved = resolve_function_name(given, ctx.account, ctx.region);
  if (!resolved.ok()) return reply(render_error(resolved.error()));
  auto f = find(ctx.account, ctx.region, *resolved);
  if (!f)
    return reply(render_error(not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}", ctx.region,
                                                    ctx.account, *resolved))));
  reply(protocol::rest_json_response(200, concurrency_json(*f)));
}

void Service::delete_concurrency(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                                 protocol::Reply reply) const {
  auto resolved = resolve_function_name(given, ctx.account, ctx.region);
  if (!resolved.ok()) return reply(render_error(resolved.error()));
  update(
      ctx, *resolved,
      [](Function& f, storage::WriteTxn&) -> Status {
        f.reserved_concurrency = -1;
        return ok_status();
      },
      [](const Function&) { return protocol::rest_json_response(204, ""); }, std::move(reply));
}

}  // namespace runnel::lambda
