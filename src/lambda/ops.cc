// Lambda's control plane: functions, resource policies and async-invocation settings.
// https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/hash.h"
#include "common/base64.h"
#include "common/clock.h"
#include "common/json_parse.h"
#include "lambda/code_dir.h"
#include "protocol/rest.h"
#include "lambda/service.h"
#include "protocol/query_codec.h"

namespace runnel::lambda {

namespace {

Result<rapidjson::Document> parse_body(const std::string& body) {
  rapidjson::Document d;
  if (body.empty()) d.SetObject();
  else json::parse(d, body);
  if (!d.IsObject())
    return ApiError{"InvalidRequestContentException", "Could not parse request body into json", 400, true,
                    "com.amazonaws.lambda", {}};
  return d;
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

// The zip of Code.ZipFile / ZipFile (base64 in JSON), checked as Lambda checks it.
Result<std::string> zip_from(const rapidjson::Value& holder) {
  auto it = holder.FindMember("ZipFile");
  if (it == holder.MemberEnd() || !it->value.IsString()) {
    if (holder.HasMember("S3Bucket") || holder.HasMember("ImageUri"))
      return invalid_parameter("runnel takes function code as ZipFile only (no S3 or container images)");
    return invalid_parameter("Please provide a source for function code.");
  }
  auto zip = base64_decode(std::string_view(it->value.GetString(), it->value.GetStringLength()));
  if (!zip) return invalid_parameter("Could not unzip uploaded file. Please check your file, then try to upload again.");
  RUNNEL_CHECK(check_zip(*zip));
  return std::move(*zip);
}

// Sets the function's code fields from `zip`.
void set_code(Function& f, const std::string& zip) {
  std::string digest = runnel::sha256(zip);
  f.code_sha256_hex = runnel::to_hex(digest);
  f.code_sha256_b64 = base64_encode(digest);
  f.code_size = zip.size();
}

void touch(Function& f) {
  f.last_modified = lambda_timestamp(wall_ms());
  f.revision_id = new_uuid();
}

std::string query_value(std::string_view query_string, std::string_view name) {
  auto params = protocol::parse_form(query_string);
  const std::string* v = protocol::find_param(params, name);
  return v ? *v : std::string();
}

std::string event_invoke_config_json(const Function& f) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("LastModified");
  w.Double(std::stod(f.event_invoke_config_modified.empty() ? "0" : f.event_invoke_config_modified));
  key_string(w, "FunctionArn", f.arn() + ":$LATEST");
  if (f.max_retry_attempts >= 0) {
    w.Key("MaximumRetryAttempts");
    w.Int(f.max_retry_attempts);
  }
  if (f.max_event_age_seconds >= 0) {
    w.Key("MaximumEventAgeInSeconds");
    w.Int(f.max_event_age_seconds);
  }
  w.Key("DestinationConfig");
  w.StartObject();
  w.Key("OnSuccess");
  w.StartObject();
  w.EndObject();
  w.Key("OnFailure");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return finish_json(sb);
}

// Percent-encodes everything but unreserved characters (RFC 3986), for the Code.Location URL.
std::string url_encode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

// S3's error document, which a presigned URL's refusal is.
protocol::Response s3_error(int status, std::string_view code, std::string_view message) {
  protocol::Response r;
  r.status = status;
  r.content_type = "application/xml";
  r.body = fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                       "\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
                       code, message, new_uuid());
  return r;
}

constexpr int64_t kCodeUrlSeconds = 600;  // AWS: "The presigned URL is valid for ten minutes"

ApiError function_not_found(const protocol::RequestContext& ctx, const std::string& name) {
  return not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}", ctx.region, ctx.account, name));
}

}  // namespace

#define RESOLVE_OR_REPLY(var, given)                                        \
  auto var##_resolved = resolve_function_name(given, ctx.account, ctx.region); \
  if (!var##_resolved.ok()) return reply(render_error(var##_resolved.error())); \
  std::string var = std::move(var##_resolved).value()

void Service::create_function(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string&,
                              protocol::Reply reply) const {
  auto parsed = parse_body(request.body);
  if (!parsed.ok()) return reply(render_error(parsed.error()));
  const rapidjson::Document& in = *parsed;
  std::string given = string_member(in, "FunctionName");
  if (given.empty()) return reply(render_error(invalid_parameter("FunctionName is required")));
  RESOLVE_OR_REPLY(name, given);
  auto f = std::make_shared<Function>();
  f->account = ctx.account;
  f->region = ctx.region;
  f->name = name;
  if (auto applied = apply_configuration(*f, in, true); !applied.ok()) return reply(render_error(applied.error()));
  if (auto tags = in.FindMember("Tags"); tags != in.MemberEnd() && tags->value.IsObject())
    for (const auto& t : tags->value.GetObject())
      if (t.value.IsString()) f->tags[t.name.GetString()] = t.value.GetString();
  auto code = in.FindMember("Code");
  if (code == in.MemberEnd() || !code->value.IsObject())
    return reply(render_error(invalid_parameter("Please provide a source for function code.")));
  auto zip = zip_from(code->value);
  if (!zip.ok()) return reply(render_error(zip.error()));
  set_code(*f, *zip);
  touch(*f);
  // Unpacked before the writer step, so that the step only stores: the directory is named by the
  // code's hash, so a crash before the commit leaves at most an unused directory. Off the I/O
  // thread: a zip may write 250 MB.
  auto self = const_cast<Service*>(this);
  auto shared_zip = std::make_shared<std::string>(std::move(zip).value());
  off_io_thread([self, f, shared_zip, reply]() mutable {
    if (auto dir = unpack(*shared_zip, self->options_.code_root, f->code_sha256_hex); !dir.ok())
      return reply(self->render_error(dir.error()));
    self->store_new_function(f, shared_zip, std::move(reply));
  }, reply);
}

void Service::store_new_function(std::shared_ptr<Function> f, std::shared_ptr<std::string> zip, protocol::Reply reply) {
  auto self = this;
  writer_.run<Ok>(
      [self, f, zip](storage::WriteTxn& txn) -> Status {
        if (self->find_arn(f->arn())) return conflict("Function already exist: " + f->name);
        txn.put(storage::Family::kMeta, "lambda/c/" + f->code_sha256_hex, *zip);
        self->put_function(txn, f);
        return ok_status();
      },
      [self, f, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(self->render_error(status.error()));
        reply(protocol::rest_json_response(201, configuration_json(*f)));
      });
}

void Service::get_function(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                           protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto f = find(ctx.account, ctx.region, name);
  if (!f) return reply(render_error(function_not_found(ctx, name)));
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("Configuration");
  write_configuration(w, *f);
  w.Key("Code");
  w.StartObject();
  key_string(w, "RepositoryType", "S3");
  key_string(w, "Location", code_location(ctx.host.empty() ? "localhost:4566" : ctx.host, f->arn()));
  w.EndObject();
  if (!f->tags.empty()) key_string_map(w, "Tags", f->tags);
  if (f->reserved_concurrency >= 0) {
    w.Key("Concurrency");
    w.StartObject();
    w.Key("ReservedConcurrentExecutions");
    w.Int(f->reserved_concurrency);
    w.EndObject();
  }
  w.EndObject();
  reply(protocol::rest_json_response(200, finish_json(sb)));
}

void Service::get_configuration(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                                protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto f = find(ctx.account, ctx.region, name);
  if (!f) return reply(render_error(function_not_found(ctx, name)));
  reply(protocol::rest_json_response(200, configuration_json(*f)));
}

void Service::list_functions(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string&,
                             protocol::Reply reply) const {
  std::string marker = query_value(request.query_string, "Marker");
  std::string max_text = query_value(request.query_string, "MaxItems");
  int max_items = 50;
  if (!max_text.empty()) {
    try {
      max_items = std::stoi(max_text);
    } catch (...) {
      max_items = -1;
    }
    if (max_items < 1 || max_items > 10000)
      return reply(render_error({"ValidationException",
                                 fmt::format("1 validation error detected: Value '{}' at 'maxItems' failed to satisfy constraint: "
                                             "Member must have value between 1 and 10000",
                                             max_text),
                                 400, true, "com.amazonaws.lambda", {}}));
  }
  // "ListFunctions returns a maximum of 50 items in each response", whatever MaxItems allows.
  // https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
  max_items = std::min(max_items, 50);
  std::string prefix = fmt::format("arn:aws:lambda:{}:{}:function:", ctx.region, ctx.account);
  std::vector<std::shared_ptr<const Function>> page;
  bool more = false;
  {
    std::shared_lock lock(mu_);
    // ARNs of one account and region sort by name, so the marker (the last name returned) is a
    // position in the map.
    auto it = marker.empty() ? functions_.lower_bound(prefix) : functions_.upper_bound(prefix + marker);
    for (; it != functions_.end() && it->first.starts_with(prefix); ++it) {
      if (static_cast<int>(page.size()) == max_items) {
        more = true;
        break;
      }
      page.push_back(it->second);
    }
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("Functions");
  w.StartArray();
  for (const auto& f : page) write_configuration(w, *f);
  w.EndArray();
  if (more) key_string(w, "NextMarker", page.back()->name);
  w.EndObject();
  reply(protocol::rest_json_response(200, finish_json(sb)));
}

void Service::delete_function(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string& given,
                              protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  std::string qualifier = query_value(request.query_string, "Qualifier");
  if (!qualifier.empty() && qualifier != "$LATEST")
    return reply(render_error(not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}:{}", ctx.region,
                                                    ctx.account, name, qualifier))));
  auto self = const_cast<Service*>(this);
  writer_.run<Ok>(
      [self, account = ctx.account, region = ctx.region, name](storage::WriteTxn& txn) -> Status {
        auto f = self->find(account, region, name);
        if (!f) return not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}", region, account, name));
        self->remove_function(txn, *f);
        return ok_status();
      },
      [self, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(self->render_error(status.error()));
        reply(protocol::rest_json_response(204, ""));
      });
}

void Service::update_code(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string& given,
                          protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto parsed = parse_body(request.body);
  if (!parsed.ok()) return reply(render_error(parsed.error()));
  auto zip = zip_from(*parsed);
  if (!zip.ok()) return reply(render_error(zip.error()));
  std::string revision = string_member(*parsed, "RevisionId");
  auto shared_zip = std::make_shared<std::string>(std::move(zip).value());
  // Unpacked off the I/O thread, before the step (as CreateFunction's).
  off_io_thread([this, ctx, name, revision, shared_zip, reply]() mutable {
    Function probe;
    set_code(probe, *shared_zip);
    if (auto dir = unpack(*shared_zip, options_.code_root, probe.code_sha256_hex); !dir.ok())
      return reply(render_error(dir.error()));
    update(
      ctx, name,
      [shared_zip, revision, this](Function& f, storage::WriteTxn& txn) -> Status {
        if (!revision.empty() && revision != f.revision_id)
          return ApiError{"PreconditionFailedException",
                          "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias "
                          "API to retrieve the latest Revision Id",
                          412, true, "com.amazonaws.lambda", {}};
        // The new zip is stored in the same step (once: functions with equal code share it); the
        // old one goes when no other function uses it.
        std::string old_sha = f.code_sha256_hex;
        set_code(f, *shared_zip);
        touch(f);
        std::string key = "lambda/c/" + f.code_sha256_hex;
        if (!txn.get(storage::Family::kMeta, key)) txn.put(storage::Family::kMeta, key, *shared_zip);
        if (old_sha != f.code_sha256_hex && !code_in_use(old_sha, f.arn())) txn.del(storage::Family::kMeta, "lambda/c/" + old_sha);
        return ok_status();
      },
      [](const Function& f) { return protocol::rest_json_response(200, configuration_json(f)); }, std::move(reply));
  }, reply);
}

void Service::off_io_thread(std::function<void()> job, const protocol::Reply& reply) const {
  bool taken = unpacker_.submit([this, job = std::move(job), reply](bool stopping) {
    if (stopping) return reply(render_error({"ServiceException", "runnel is stopping", 500, false, "com.amazonaws.lambda", {}}));
    job();
  });
  // AWS's answer to more requests than it takes at once (429).
  if (!taken)
    reply(render_error({"TooManyRequestsException", "Rate exceeded", 429, true, "com.amazonaws.lambda", {}}));
}

void Service::update_configuration(const protocol::RequestContext& ctx, protocol::RestRequest& request,
                                   const std::string& given, protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto parsed = parse_body(request.body);
  if (!parsed.ok()) return reply(render_error(parsed.error()));
  auto input = std::make_shared<rapidjson::Document>(std::move(parsed).value());
  update(
      ctx, name,
      [input](Function& f, storage::WriteTxn&) -> Status {
        std::string revision = string_member(*input, "RevisionId");
        if (!revision.empty() && revision != f.revision_id)
          return ApiError{"PreconditionFailedException",
                          "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias "
                          "API to retrieve the latest Revision Id",
                          412, true, "com.amazonaws.lambda", {}};
        RUNNEL_CHECK(apply_configuration(f, *input, false));
        touch(f);
        return ok_status();
      },
      [](const Function& f) { return protocol::rest_json_response(200, configuration_json(f)); }, std::move(reply));
}

void Service::add_permission(const protocol::RequestContext& ctx, protocol::RestRequest& request, const std::string& given,
                             protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto parsed = parse_body(request.body);
  if (!parsed.ok()) return reply(render_error(parsed.error()));
  const rapidjson::Document& in = *parsed;
  std::string sid = string_member(in, "StatementId");
  std::string action = string_member(in, "Action");
  std::string principal = string_member(in, "Principal");
  if (sid.empty() || action.empty() || principal.empty())
    return reply(render_error(invalid_parameter("StatementId, Action and Principal are required")));
  static const std::regex sid_re(R"(([a-zA-Z0-9-_.]+))");
  static const std::regex action_re(R"((lambda:[*]|lambda:[a-zA-Z]+|[*]))");
  if (sid.size() > 100 || !std::regex_match(sid, sid_re))
    return reply(render_error({"ValidationException",
                               "1 validation error detected: Value '" + sid +
                                   "' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression "
                                   "pattern: ([a-zA-Z0-9-_.]+)",
                               400, true, "com.amazonaws.lambda", {}}));
  if (action.size() > 256 || !std::regex_match(action, action_re))
    return reply(render_error({"ValidationException",
                               "1 validation error detected: Value '" + action +
                                   "' at 'action' failed to satisfy constraint: Member must satisfy regular expression "
                                   "pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
                               400, true, "com.amazonaws.lambda", {}}));
  std::string source_arn = string_member(in, "SourceArn");
  std::string source_account = string_member(in, "SourceAccount");
  auto statement_for = [=](const Function& f) {
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    key_string(w, "Sid", sid);
    key_string(w, "Effect", "Allow");
    w.Key("Principal");
    w.StartObject();
    if (principal.find('.') != std::string::npos) key_string(w, "Service", principal);
    else if (principal == "*") key_string(w, "AWS", "*");
    else key_string(w, "AWS", principal.starts_with("arn:") ? principal : "arn:aws:iam::" + principal + ":root");
    w.EndObject();
    key_string(w, "Action", action);
    key_string(w, "Resource", f.arn());
    if (!source_arn.empty() || !source_account.empty()) {
      w.Key("Condition");
      w.StartObject();
      if (!source_account.empty()) {
        w.Key("StringEquals");
        w.StartObject();
        key_string(w, "AWS:SourceAccount", source_account);
        w.EndObject();
      }
      if (!source_arn.empty()) {
        w.Key("ArnLike");
        w.StartObject();
        key_string(w, "AWS:SourceArn", source_arn);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndObject();
    return finish_json(sb);
  };
  update(
      ctx, name,
      [sid, statement_for](Function& f, storage::WriteTxn&) -> Status {
        if (f.policy_statements.count(sid))
          return conflict("The statement id (" + sid +
                          ") provided already exists. Please provide a new statement id, or remove the existing statement.");
        f.policy_statements[sid] = statement_for(f);
        f.policy_revision_id = new_uuid();
        return ok_status();
      },
      [sid](const Function& f) {
        rapidjson::StringBuffer sb;
        JsonWriter w(sb);
        w.StartObject();
        key_string(w, "Statement", f.policy_statements.at(sid));
        w.EndObject();
        return protocol::rest_json_response(201, finish_json(sb));
      },
      std::move(reply));
}

void Service::get_policy(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                         protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto f = find(ctx.account, ctx.region, name);
  if (!f) return reply(render_error(function_not_found(ctx, name)));
  if (f->policy_statements.empty()) return reply(render_error(not_found("The resource you requested does not exist.")));
  std::string policy = f->policy_document();
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "Policy", policy);
  key_string(w, "RevisionId", f->policy_revision_id);
  w.EndObject();
  reply(protocol::rest_json_response(200, finish_json(sb)));
}

void Service::remove_permission(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                                protocol::Reply reply) const {
  size_t newline = given.find('\n');
  std::string sid = given.substr(newline + 1);
  RESOLVE_OR_REPLY(name, given.substr(0, newline));
  update(
      ctx, name,
      [sid](Function& f, storage::WriteTxn&) -> Status {
        if (!f.policy_statements.erase(sid)) return not_found("Statement " + sid + " is not found in resource policy.");
        f.policy_revision_id = new_uuid();
        return ok_status();
      },
      [](const Function&) { return protocol::rest_json_response(204, ""); }, std::move(reply));
}

void Service::put_event_invoke_config(const protocol::RequestContext& ctx, protocol::RestRequest& request,
                                      const std::string& given, protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto parsed = parse_body(request.body);
  if (!parsed.ok()) return reply(render_error(parsed.error()));
  const rapidjson::Document& in = *parsed;
  const bool merge = request.method == "POST";  // UpdateFunctionEventInvokeConfig keeps what it does not name
  int retries = -1, age = -1;
  if (auto it = in.FindMember("MaximumRetryAttempts"); it != in.MemberEnd()) {
    if (!it->value.IsInt() || it->value.GetInt() < 0 || it->value.GetInt() > 2)
      return reply(render_error({"ValidationException",
                                 "1 validation error detected: Value at 'maximumRetryAttempts' failed to satisfy constraint: "
                                 "Member must have value between 0 and 2",
                                 400, true, "com.amazonaws.lambda", {}}));
    retries = it->value.GetInt();
  }
  if (auto it = in.FindMember("MaximumEventAgeInSeconds"); it != in.MemberEnd()) {
    if (!it->value.IsInt() || it->value.GetInt() < 60 || it->value.GetInt() > 21600)
      return reply(render_error({"ValidationException",
                                 "1 validation error detected: Value at 'maximumEventAgeInSeconds' failed to satisfy "
                                 "constraint: Member must have value between 60 and 21600",
                                 400, true, "com.amazonaws.lambda", {}}));
    age = it->value.GetInt();
  }
  if (auto it = in.FindMember("DestinationConfig"); it != in.MemberEnd() && it->value.IsObject()) {
    for (const char* which : {"OnSuccess", "OnFailure"}) {
      auto d = it->value.FindMember(which);
      if (d != it->value.MemberEnd() && d->value.IsObject() && !string_member(d->value, "Destination").empty())
        return reply(render_error(invalid_parameter(
            "runnel does not send to invocation destinations yet; use the function's DeadLetterConfig for failures")));
    }
  }
  update(
      ctx, name,
      [retries, age, merge](Function& f, storage::WriteTxn&) -> Status {
        if (!merge || retries >= 0) f.max_retry_attempts = retries;
        if (!merge || age >= 0) f.max_event_age_seconds = age;
        f.event_invoke_config_modified = fmt::format("{:.3f}", static_cast<double>(wall_ms()) / 1000.0);
        return ok_status();
      },
      [](const Function& f) { return protocol::rest_json_response(200, event_invoke_config_json(f)); }, std::move(reply));
}

void Service::get_event_invoke_config(const protocol::RequestContext& ctx, protocol::RestRequest&, const std::string& given,
                                      protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  auto f = find(ctx.account, ctx.region, name);
  if (!f) return reply(render_error(function_not_found(ctx, name)));
  if (f->event_invoke_config_modified.empty())
    return reply(render_error(not_found("The function " + f->arn() + " doesn't have an EventInvokeConfig")));
  reply(protocol::rest_json_response(200, event_invoke_config_json(*f)));
}

void Service::delete_event_invoke_config(const protocol::RequestContext& ctx, protocol::RestRequest&,
                                         const std::string& given, protocol::Reply reply) const {
  RESOLVE_OR_REPLY(name, given);
  update(
      ctx, name,
      [](Function& f, storage::WriteTxn&) -> Status {
        if (f.event_invoke_config_modified.empty())
          return not_found("The function " + f.arn() + " doesn't have an EventInvokeConfig");
        f.max_retry_attempts = -1;
        f.max_event_age_seconds = -1;
        f.event_invoke_config_modified.clear();
        return ok_status();
      },
      [](const Function&) { return protocol::rest_json_response(204, ""); }, std::move(reply));
}

// The code URL's token: HMAC-SHA256 of the ARN and the expiry, with this process's key.
static std::string code_url_signature(const std::string& key, std::string_view function_arn, std::string_view expires) {
  return runnel::to_hex(runnel::hmac_sha256(key, fmt::format("{}\n{}", function_arn, expires)));
}

std::string Service::code_location(std::string_view host, const std::string& function_arn) const {
  int64_t expires = wall_ms() / 1000 + kCodeUrlSeconds;
  std::string signature = code_url_signature(code_url_key_, function_arn, std::to_string(expires));
  return fmt::format("http://{}/_runnel/lambda/code?FunctionArn={}&Expires={}&Signature={}", host, url_encode(function_arn),
                     expires, signature);
}

protocol::Response Service::code_download(std::string_view query) const {
  auto params = protocol::parse_form(query);
  const std::string* arn = protocol::find_param(params, "FunctionArn");
  const std::string* expires = protocol::find_param(params, "Expires");
  const std::string* signature = protocol::find_param(params, "Signature");
  if (!arn || !expires || !signature)
    return s3_error(403, "AccessDenied", "Query-string authentication requires the Signature and Expires parameters");
  if (!runnel::constant_time_equal(*signature, code_url_signature(code_url_key_, *arn, *expires)))
    return s3_error(403, "AccessDenied",
                    "The request signature we calculated does not match the signature you provided.");
  int64_t until = 0;
  try {
    until = std::stoll(*expires);
  } catch (...) {
  }
  if (until < wall_ms() / 1000) return s3_error(403, "AccessDenied", "Request has expired");
  std::string zip = code_zip(*arn);
  if (zip.empty()) return s3_error(404, "NoSuchKey", "The specified key does not exist.");
  protocol::Response r;
  r.content_type = "application/zip";
  r.body = std::move(zip);
  return r;
}

}  // namespace runnel::lambda
