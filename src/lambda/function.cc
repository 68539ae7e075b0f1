#include "lambda/function.h"

#include "common/json_parse.h"

#include <chrono>
#include <random>
#include <regex>

#include <fmt/format.h>

#include "storage/record_codec.h"

namespace runnel::lambda {

namespace {

constexpr const char* kNamespace = "com.amazonaws.lambda";

// "1 validation error detected: Value 'x' at 'timeout' failed to satisfy constraint: ..." — the
// shape of every model-constraint failure Lambda reports (ValidationException, 400).
ApiError constraint(std::string_view value, std::string_view member, std::string_view what) {
  return {"ValidationException",
          fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: {}", value, member, what),
          400, true, kNamespace, {}};
}

const std::regex& name_pattern() {
  static const std::regex re(
      R"((arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9\-_]+)(:(\$LATEST|[a-zA-Z0-9\-_]+))?)");
  return re;
}

bool runtime_runs_here(std::string_view runtime) {
  return runtime == "provided.al2023" || runtime == "provided.al2" || runtime == "provided";
}

// Names Lambda sets itself; a function's Environment may not set them.
bool reserved_variable(std::string_view name) {
  static const char* kReserved[] = {"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
                                    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
                                    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
                                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"};
  for (const char* r : kReserved)
    if (name == r) return true;
  return false;
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

}  // namespace

ApiError invalid_parameter(std::string message) {
  return {"InvalidParameterValueException", std::move(message), 400, true, kNamespace, {}};
}
ApiError not_found(std::string message) {
  return {"ResourceNotFoundException", std::move(message), 404, true, kNamespace, {}};
}
ApiError conflict(std::string message) {
  return {"ResourceConflictException", std::move(message), 409, true, kNamespace, {}};
}
ApiError too_large(std::string message) {
  return {"RequestTooLargeException", std::move(message), 413, true, kNamespace, {}};
}

std::string lambda_timestamp(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

Result<FunctionRef> resolve_function_ref(std::string_view given, std::string_view account, std::string_view region) {
  std::string text(given);
  std::smatch m;
  if (text.size() > 140 || !std::regex_match(text, m, name_pattern()))
    return constraint(text, "functionName",
                      "Member must satisfy regular expression pattern: "
                      R"((arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?)");
  std::string name = m[7].str();
  if (name.size() > 64)
    return constraint(text, "functionName", "Member must have length less than or equal to 64");
  std::string region_part = m[3].str();
  std::string account_part = m[5].str();
  if (!region_part.empty() && region_part.substr(0, region_part.size() - 1) != region)
    return not_found(fmt::format("Functions from '{}' are not reachable in this region ('{}')",
                                 region_part.substr(0, region_part.size() - 1), region));
  std::string owner = account_part.empty() ? std::string(account) : account_part.substr(0, 12);
  if (m[9].matched && m[9].str() != "$LATEST")
    return not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}:{}", region, owner, name, m[9].str()));
  return FunctionRef{std::move(owner), std::move(name)};
}

Result<std::string> resolve_function_name(std::string_view given, std::string_view account, std::string_view region) {
  RUNNEL_TRY(FunctionRef ref, resolve_function_ref(given, account, region));
  if (ref.account != account)
    return ApiError{"AccessDeniedException", "The function " + std::string(given) + " belongs to another account", 403, true,
                    kNamespace, {}};
  return std::move(ref.name);
}

std::string Function::policy_document() const {
  if (policy_statements.empty()) return {};
  std::string policy = R"({"Version":"2012-10-17","Id":"default","Statement":[)";
  bool first = true;
  for (const auto& [sid, statement] : policy_statements) {
    if (!first) policy += ",";
    policy += statement;
    first = false;
  }
  return policy + "]}";
}

Status apply_configuration(Function& f, const rapidjson::Value& in, bool creating) {
  if (creating) {
    auto package = string_member(in, "PackageType");
    if (!package.empty() && package != "Zip")
      return invalid_parameter("runnel runs functions from .zip deployment packages only (PackageType Zip)");
  }
  if (in.HasMember("Runtime") || creating) {
    std::string runtime = string_member(in, "Runtime");
    std::string handler = in.HasMember("Handler") ? string_member(in, "Handler") : f.handler;
    if (creating && (runtime.empty() || handler.empty()))
      return invalid_parameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
    if (!runtime_runs_here(runtime))
      return invalid_parameter(fmt::format(
          "The runtime parameter of {} is not supported by runnel: functions run as custom runtimes "
          "(provided.al2023, provided.al2, provided), whose bootstrap is the function",
          runtime));
    f.runtime = runtime;
  }
  if (in.HasMember("Role") || creating) {
    std::string role = string_member(in, "Role");
    static const std::regex re(R"(arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)");
    // std::regex recurses per character: bound the input before matching.
    if (role.size() > 2048) return constraint(role.substr(0, 64) + "...", "role", "Member must have length less than or equal to 2048");
    if (!std::regex_match(role, re))
      return constraint(role, "role",
                        R"(Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)");
    f.role = role;
  }
  if (in.HasMember("Handler")) {
    std::string handler = string_member(in, "Handler");
    static const std::regex re(R"([^\s]+)");
    if (handler.size() > 128) return constraint(handler, "handler", "Member must have length less than or equal to 128");
    if (!std::regex_match(handler, re)) return constraint(handler, "handler", R"(Member must satisfy regular expression pattern: [^\s]+)");
    f.handler = handler;
  }
  if (in.HasMember("Description")) {
    std::string description = string_member(in, "Description");
    if (description.size() > 256) return constraint(description, "description", "Member must have length less than or equal to 256");
    f.description = description;
  }
  if (auto it = in.FindMember("Timeout"); it != in.MemberEnd()) {
    if (!it->value.IsInt()) return invalid_parameter("Timeout must be an integer");
    int v = it->value.GetInt();
    if (v < 1) return constraint(std::to_string(v), "timeout", "Member must have value greater than or equal to 1");
    if (v > 900) return constraint(std::to_string(v), "timeout", "Member must have value less than or equal to 900");
    f.timeout = v;
  }
  if (auto it = in.FindMember("MemorySize"); it != in.MemberEnd()) {
    if (!it->value.IsInt()) return invalid_parameter("MemorySize must be an integer");
    int v = it->value.GetInt();
    if (v < 128) return constraint(std::to_string(v), "memorySize", "Member must have value greater than or equal to 128");
    if (v > 10240) return constraint(std::to_string(v), "memorySize", "Member must have value less than or equal to 10240");
    f.memory_size = v;
  }
  if (auto it = in.FindMember("Environment"); it != in.MemberEnd() && it->value.IsObject()) {
    std::map<std::string, std::string> vars;
    size_t bytes = 0;
    if (auto v = it->value.FindMember("Variables"); v != it->value.MemberEnd() && v->value.IsObject()) {
      static const std::regex re(R"([a-zA-Z]([a-zA-Z0-9_])+)");
      std::vector<std::string> reserved;
      for (const auto& m : v->value.GetObject()) {
        std::string name(m.name.GetString(), m.name.GetStringLength());
        if (name.size() > 4096 || !std::regex_match(name, re))
          return constraint(name, "environment.variables",
                            R"(Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+])");
        if (reserved_variable(name)) reserved.push_back(name);
        std::string value = m.value.IsString() ? std::string(m.value.GetString(), m.value.GetStringLength()) : std::string();
        bytes += name.size() + value.size();
        vars[name] = value;
      }
      if (!reserved.empty()) {
        std::string list;
        for (const auto& r : reserved) list += (list.empty() ? "" : ",") + r;
        return invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment variables you have provided "
            "contains reserved keys that are currently not supported for modification. Reserved keys used in this request: " +
            list);
      }
      if (bytes > 4096)
        return invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment variables you have provided "
            "exceeded the 4KB limit. String measured: " + std::to_string(bytes));
    }
    f.environment = std::move(vars);
  }
  if (auto it = in.FindMember("Architectures"); it != in.MemberEnd() && it->value.IsArray()) {
    if (it->value.Size() != 1 || !it->value[0].IsString())
      return constraint("[]", "architectures", "Member must have length less than or equal to 1");
    std::string arch = it->value[0].GetString();
    if (arch != "x86_64" && arch != "arm64")
      return constraint("[" + arch + "]", "architectures", "Member must satisfy enum value set: [x86_64, arm64]");
    f.architecture = arch;
  }
  if (auto it = in.FindMember("EphemeralStorage"); it != in.MemberEnd() && it->value.IsObject()) {
    auto size = it->value.FindMember("Size");
    if (size == it->value.MemberEnd() || !size->value.IsInt() || size->value.GetInt() < 512 || size->value.GetInt() > 10240)
      return invalid_parameter("EphemeralStorage.Size must be between 512 and 10240 MB");
    f.ephemeral_storage = size->value.GetInt();
  }
  if (auto it = in.FindMember("DeadLetterConfig"); it != in.MemberEnd() && it->value.IsObject()) {
    std::string target = string_member(it->value, "TargetArn");
    if (!target.empty() && !target.starts_with("arn:aws:sqs:") && !target.starts_with("arn:aws:sns:"))
      return invalid_parameter("The provided target arn is invalid: " + target);
    f.dead_letter_target = target;
  }
  return ok_status();
}

void write_configuration(JsonWriter& w, const Function& f) {
  w.StartObject();
  key_string(w, "FunctionName", f.name);
  key_string(w, "FunctionArn", f.arn());
  key_string(w, "Runtime", f.runtime);
  key_string(w, "Role", f.role);
  key_string(w, "Handler", f.handler);
  w.Key("CodeSize");
  w.Uint64(f.code_size);
  key_string(w, "Description", f.description);
  w.Key("Timeout");
  w.Int(f.timeout);
  w.Key("MemorySize");
  w.Int(f.memory_size);
  key_string(w, "LastModified", f.last_modified);
  key_string(w, "CodeSha256", f.code_sha256_b64);
  key_string(w, "Version", "$LATEST");
  if (!f.environment.empty()) {
    w.Key("Environment");
    w.StartObject();
    key_string_map(w, "Variables", f.environment);
    w.EndObject();
  }
  if (!f.dead_letter_target.empty()) {
    w.Key("DeadLetterConfig");
    w.StartObject();
    key_string(w, "TargetArn", f.dead_letter_target);
    w.EndObject();
  }
  w.Key("TracingConfig");
  w.StartObject();
  key_string(w, "Mode", "PassThrough");
  w.EndObject();
  key_string(w, "RevisionId", f.revision_id);
  key_string(w, "State", "Active");
  key_string(w, "LastUpdateStatus", "Successful");
  key_string(w, "PackageType", "Zip");
  w.Key("Architectures");
  w.StartArray();
  write_string(w, f.architecture);
  w.EndArray();
  w.Key("EphemeralStorage");
  w.StartObject();
  w.Key("Size");
  w.Int(f.ephemeral_storage);
  w.EndObject();
  w.Key("SnapStart");
  w.StartObject();
  key_string(w, "ApplyOn", "None");
  key_string(w, "OptimizationStatus", "Off");
  w.EndObject();
  w.Key("LoggingConfig");
  w.StartObject();
  key_string(w, "LogFormat", "Text");
  key_string(w, "LogGroup", "/aws/lambda/" + f.name);
  w.EndObject();
  w.EndObject();
}

std::string configuration_json(const Function& f) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  write_configuration(w, f);
  return finish_json(sb);
}

namespace {

const storage::RecordCodec<Function>& function_codec() {
  static const auto codec = storage::RecordCodec<Function>()
                                .field("account", &Function::account)
                                .field("region", &Function::region)
                                .field("name", &Function::name)
                                .field("runtime", &Function::runtime)
                                .field("role", &Function::role)
                                .field("handler", &Function::handler)
                                .field("description", &Function::description)
                                .field("timeout", &Function::timeout, 3)
                                .field("memory", &Function::memory_size, 128)
                                .field("environment", &Function::environment)
                                .field("architecture", &Function::architecture)
                                .field("ephemeral", &Function::ephemeral_storage, 512)
                                .field("dlq", &Function::dead_letter_target)
                                .field("tags", &Function::tags)
                                .field("sha_hex", &Function::code_sha256_hex)
                                .field("sha_b64", &Function::code_sha256_b64)
                                .field("code_size", &Function::code_size)
                                .field("modified", &Function::last_modified)
                                .field("revision", &Function::revision_id)
                                .field("policy", &Function::policy_statements)
                                .field("policy_revision", &Function::policy_revision_id)
                                .field("max_retry", &Function::max_retry_attempts, -1)
                                .field("max_age", &Function::max_event_age_seconds, -1)
                                .field("eic_modified", &Function::event_invoke_config_modified)
                                .field("reserved", &Function::reserved_concurrency, -1);
  return codec;
}

}  // namespace

std::string encode_function(const Function& f) { return function_codec().encode(f); }

Result<Function> decode_function(std::string_view stored) {
  auto f = function_codec().decode(stored);
  if (!f) return ApiError::internal("corrupt stored Lambda function");
  return std::move(*f);
}

}  // namespace runnel::lambda
