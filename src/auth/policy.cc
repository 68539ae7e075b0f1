#include "auth/policy.h"

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>

#include "common/json_parse.h"

namespace runnel::auth {

namespace {

// A policy is Statement -> Condition -> operator -> key -> [values]: five levels, plus room for
// the optional Principal map and its lists. Anything deeper is not a policy.
constexpr size_t kPolicyDepth = 8;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

ApiError malformed(std::string message) {
  return ApiError{"MalformedPolicyDocument", std::move(message), 400, true, "com.amazon.coral.service", {}};
}

bool is_account_id(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "arn:aws:iam::111111111111:root" -> "111111111111"; anything else -> "".
std::string_view root_account(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix) || !arn.ends_with(":root")) return {};
  std::string_view account = arn.substr(kPrefix.size(), arn.size() - kPrefix.size() - 5);
  return is_account_id(account) ? account : std::string_view();
}

// A string, a number or a boolean as text (condition values may be any of them: "Bool":
// {"aws:SecureTransport": false}); a string or an array of them for the other elements.
Result<std::vector<std::string>> strings(const rapidjson::Value& v, std::string_view element, bool scalars) {
  std::vector<std::string> out;
  auto one = [&](const rapidjson::Value& x) -> bool {
    if (x.IsString()) out.emplace_back(x.GetString(), x.GetStringLength());
    else if (scalars && x.IsBool()) out.emplace_back(x.GetBool() ? "true" : "false");
    else if (scalars && x.IsInt64()) out.emplace_back(std::to_string(x.GetInt64()));
    else if (scalars && x.IsUint64()) out.emplace_back(std::to_string(x.GetUint64()));
    else return false;
    return true;
  };
  if (v.IsArray()) {
    for (const auto& x : v.GetArray())
      if (!one(x)) return malformed(std::string("Invalid value in ") + std::string(element));
  } else if (!one(v)) {
    return malformed(std::string("Invalid value in ") + std::string(element));
  }
  return out;
}

}  // namespace

bool wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case) {
  // The classic greedy matcher with one backtrack point (the last '*'): linear in practice,
  // O(|pattern| * |text|) at worst, and no recursion for a hostile pattern to exhaust.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto same = [&](char a, char b) { return ignore_case ? lower(a) == lower(b) : a == b; };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool arn_match(std::string_view pattern, std::string_view arn) {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
  if (pattern == "*") return true;
  for (int part = 0; part < 5; ++part) {
    size_t pc = pattern.find(':'), ac = arn.find(':');
    if (pc == std::string_view::npos || ac == std::string_view::npos) return false;
    if (!wildcard_match(pattern.substr(0, pc), arn.substr(0, ac), false)) return false;
    pattern.remove_prefix(pc + 1);
    arn.remove_prefix(ac + 1);
  }
  return wildcard_match(pattern, arn, false);
}

std::string account_principal_arn(std::string_view account) {
  return "arn:aws:iam::" + std::string(account) + ":root";
}

std::string not_authorized_message(std::string_view principal_arn, std::string_view action, std::string_view resource,
                                   Decision decision) {
  std::string m = "User: " + std::string(principal_arn) + " is not authorized to perform: " + std::string(action) +
                  " on resource: " + std::string(resource);
  if (decision == Decision::kExplicitDeny) return m + " with an explicit deny in a resource-based policy";
  return m + " because no resource-based policy allows the " + std::string(action) + " action";
}

// --- statements ---------------------------------------------------------------------------------

namespace {

enum class Op { kStringEquals, kStringEqualsIgnoreCase, kStringLike, kArnLike, kBool, kNull, kUnknown };

struct Condition {
  Op op = Op::kUnknown;
  bool negated = false;
  bool if_exists = false;
  std::string key;
  std::vector<std::string> values;
};

Condition make_condition(std::string_view name) {
  Condition c;
  if (name.ends_with("IfExists")) {
    c.if_exists = true;
    name.remove_suffix(8);
  }
  struct Known {
    std::string_view name;
    Op op;
    bool negated;
  };
  static constexpr Known kKnown[] = {
      {"StringEquals", Op::kStringEquals, false},          {"StringNotEquals", Op::kStringEquals, true},
      {"StringEqualsIgnoreCase", Op::kStringEqualsIgnoreCase, false},
      {"StringNotEqualsIgnoreCase", Op::kStringEqualsIgnoreCase, true},
      {"StringLike", Op::kStringLike, false},              {"StringNotLike", Op::kStringLike, true},
      {"ArnEquals", Op::kArnLike, false},                  {"ArnNotEquals", Op::kArnLike, true},
      {"ArnLike", Op::kArnLike, false},                    {"ArnNotLike", Op::kArnLike, true},
      {"Bool", Op::kBool, false},                          {"Null", Op::kNull, false},
  };
  for (const auto& k : kKnown)
    if (name == k.name) {
      c.op = k.op;
      c.negated = k.negated;
      return c;
    }
  return c;  // kUnknown
}

bool value_matches(Op op, std::string_view pattern, std::string_view value) {
  switch (op) {
    case Op::kStringEquals: return pattern == value;
    case Op::kStringEqualsIgnoreCase:
    case Op::kBool: return iequals(pattern, value);
    case Op::kStringLike: return wildcard_match(pattern, value, false);
    case Op::kArnLike: return arn_match(pattern, value);
    case Op::kNull:
    case Op::kUnknown: return false;
  }
  return false;
}

const std::string* context_value(const PolicyRequest& r, std::string_view key) {
  for (const auto& [k, v] : r.context)
    if (iequals(k, key)) return &v;
  return nullptr;
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// A key missing from the request: a positive operator is false, a negated one true, IfExists true.
bool condition_holds(const Condition& c, const PolicyRequest& r) {
  const std::string* value = context_value(r, c.key);
  if (c.op == Op::kNull) {
    for (const auto& v : c.values)
      if (iequals(v, "true") ? value == nullptr : value != nullptr) return true;
    return false;
  }
  if (!value) return c.if_exists || c.negated;
  bool any = std::any_of(c.values.begin(), c.values.end(), [&](const std::string& p) { return value_matches(c.op, p, *value); });
  return c.negated ? !any : any;
}

}  // namespace

struct Policy::Statement {
  bool deny = false;
  bool not_principal = false;
  bool any_principal = false;            // "*" or {"AWS": "*"}
  std::vector<std::string> aws;          // account ids, root ARNs, user/role ARNs
  std::vector<std::string> services;     // "sns.amazonaws.com"
  bool not_action = false;
  std::vector<std::string> actions;
  bool has_resource = false;
  bool not_resource = false;
  std::vector<std::string> resources;
  std::vector<Condition> conditions;

  bool principal_listed(const PolicyRequest& r) const {
    if (any_principal) return true;
    if (!r.service_principal.empty())
      return std::any_of(services.begin(), services.end(), [&](const std::string& s) { return iequals(s, r.service_principal); });
    for (const auto& p : aws) {
      if (p == "*") return true;
      if (is_account_id(p) && p == r.principal_account) return true;
      if (std::string_view acct = root_account(p); !acct.empty() && acct == r.principal_account) return true;
      if (p == r.principal_arn) return true;
    }
    return false;
  }

  bool applies(const PolicyRequest& r) const {
    if (principal_listed(r) == not_principal) return false;
    bool action = std::any_of(actions.begin(), actions.end(), [&](const std::string& a) { return wildcard_match(a, r.action, true); });
    if (action == not_action) return false;
    if (has_resource) {
      bool res = std::any_of(resources.begin(), resources.end(), [&](const std::string& p) { return wildcard_match(p, r.resource, false); });
      if (res == not_resource) return false;
    }
    for (const auto& c : conditions) {
      // Fail closed on what is not understood: such a Deny applies, such an Allow does not.
      if (c.op == Op::kUnknown) return deny;
      if (!condition_holds(c, r)) return false;
    }
    return true;
  }
};

Policy::Policy() = default;
Policy::~Policy() = default;
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;
size_t Policy::statement_count() const { return statements_.size(); }

namespace {

Status parse_principal(const rapidjson::Value& v, Policy::Statement& s) {
  if (v.IsString()) {
    if (std::string_view(v.GetString(), v.GetStringLength()) != "*") return malformed("Invalid principal in policy");
    s.any_principal = true;
    return ok_status();
  }
  if (!v.IsObject()) return malformed("Invalid principal in policy");
  for (const auto& m : v.GetObject()) {
    std::string_view kind(m.name.GetString(), m.name.GetStringLength());
    RUNNEL_TRY(auto list, strings(m.value, "Principal", false));
    if (kind == "AWS") {
      for (auto& p : list) {
        if (p == "*") s.any_principal = true;
        else if (!is_account_id(p) && !p.starts_with("arn:")) return malformed("Invalid principal in policy: \"AWS\":\"" + p + "\"");
        s.aws.push_back(std::move(p));
      }
    } else if (kind == "Service") {
      for (auto& p : list) s.services.push_back(std::move(p));
    } else if (kind != "CanonicalUser" && kind != "Federated") {
      return malformed("Invalid principal in policy: " + std::string(kind));
    }
    // CanonicalUser and Federated principals are valid but never name a runnel caller.
  }
  return ok_status();
}

Status parse_condition(const rapidjson::Value& v, Policy::Statement& s) {
  if (!v.IsObject()) return malformed("Condition must be an object");
  for (const auto& op : v.GetObject()) {
    if (!op.value.IsObject()) return malformed("Condition operator must map keys to values");
    std::string_view op_name(op.name.GetString(), op.name.GetStringLength());
    for (const auto& key : op.value.GetObject()) {
      Condition c = make_condition(op_name);
      c.key.assign(key.name.GetString(), key.name.GetStringLength());
      RUNNEL_TRY(c.values, strings(key.value, "Condition", true));
      s.conditions.push_back(std::move(c));
    }
  }
  return ok_status();
}

Result<Policy::Statement> parse_statement(const rapidjson::Value& v) {
  if (!v.IsObject()) return malformed("Statement must be an object");
  Policy::Statement s;
  bool effect = false, principal = false, action = false;
  for (const auto& m : v.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "Sid") {
      if (!m.value.IsString()) return malformed("Sid must be a string");
    } else if (name == "Effect") {
      std::string_view e = m.value.IsString() ? std::string_view(m.value.GetString(), m.value.GetStringLength()) : "";
      if (e != "Allow" && e != "Deny") return malformed("Invalid effect: " + std::string(e));
      s.deny = e == "Deny";
      effect = true;
    } else if (name == "Principal" || name == "NotPrincipal") {
      if (principal) return malformed("Statement may have only one of Principal and NotPrincipal");
      principal = true;
      s.not_principal = name == "NotPrincipal";
      RUNNEL_CHECK(parse_principal(m.value, s));
    } else if (name == "Action" || name == "NotAction") {
      if (action) return malformed("Statement may have only one of Action and NotAction");
      action = true;
      s.not_action = name == "NotAction";
      RUNNEL_TRY(s.actions, strings(m.value, name, false));
    } else if (name == "Resource" || name == "NotResource") {
      if (s.has_resource) return malformed("Statement may have only one of Resource and NotResource");
      s.has_resource = true;
      s.not_resource = name == "NotResource";
      RUNNEL_TRY(s.resources, strings(m.value, name, false));
    } else if (name == "Condition") {
      RUNNEL_CHECK(parse_condition(m.value, s));
    } else {
      return malformed("Policy statement has an unknown element: " + std::string(name));
    }
  }
  if (!effect) return malformed("Missing required field Effect");
  if (!action) return malformed("Missing required field Action");
  // A resource-based policy names who it is for; one without a principal grants nothing to anyone.
  if (!principal) return malformed("Missing required field Principal");
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
  if (s.not_principal && !s.deny) return malformed("NotPrincipal is supported only with \"Effect\": \"Deny\"");
  return s;
}

}  // namespace

Result<Policy> Policy::parse(std::string_view text, size_t max_bytes) {
  if (text.size() > std::min(max_bytes, kMaxPolicyBytes))
    return malformed("Policy document exceeds the maximum size of " + std::to_string(std::min(max_bytes, kMaxPolicyBytes)) + " bytes");
  rapidjson::Document d;
  if (auto r = json::parse(d, text, kPolicyDepth); !r) return malformed("Policy is not valid JSON: " + r.message);
  if (!d.IsObject()) return malformed("Policy must be a JSON object");
  Policy p;
  bool has_statement = false;
  for (const auto& m : d.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "Version") {
      std::string_view ver = m.value.IsString() ? std::string_view(m.value.GetString(), m.value.GetStringLength()) : "";
      if (ver != "2012-10-17" && ver != "2008-10-17") return malformed("Invalid policy version: " + std::string(ver));
    } else if (name == "Id") {
      if (!m.value.IsString()) return malformed("Id must be a string");
    } else if (name == "Statement") {
      has_statement = true;
      if (m.value.IsArray()) {
        for (const auto& s : m.value.GetArray()) {
          RUNNEL_TRY(auto st, parse_statement(s));
          p.statements_.push_back(std::move(st));
        }
      } else {
        RUNNEL_TRY(auto st, parse_statement(m.value));
        p.statements_.push_back(std::move(st));
      }
    } else {
      return malformed("Policy has an unknown element: " + std::string(name));
    }
  }
  if (!has_statement) return malformed("Missing required field Statement");
  return p;
}

Decision Policy::evaluate(const PolicyRequest& request) const {
  bool allowed = false;
  for (const auto& s : statements_) {
    if (!s.applies(request)) continue;
    if (s.deny) return Decision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

Decision decide_cross_account(std::string_view resource_account, std::string_view policy_text,
                              const PolicyRequest& request) {
  if (request.service_principal.empty() && resource_account == request.principal_account) return Decision::kAllow;
  if (policy_text.empty()) return Decision::kImplicitDeny;
  auto policy = Policy::parse(policy_text);
  if (!policy.ok()) return Decision::kImplicitDeny;
  return policy->evaluate(request);
}

Decision decide_for_account(std::string_view caller_account, std::string_view resource_account,
                            std::string_view policy_text, std::string_view action, std::string_view resource) {
  std::string principal = account_principal_arn(caller_account);
  PolicyRequest request;
  request.principal_arn = principal;
  request.principal_account = caller_account;
  request.action = action;
  request.resource = resource;
  request.context = {{"aws:PrincipalAccount", std::string(caller_account)}, {"aws:PrincipalArn", principal}};
  return decide_cross_account(resource_account, policy_text, request);
}

Status authorize_coral(std::string_view caller_account, std::string_view resource_arn, std::string_view resource_account,
                       std::string_view action, std::string_view policy) {
  auto decision = decide_for_account(caller_account, resource_account, policy, action, resource_arn);
  if (decision == Decision::kAllow) return ok_status();
  return ApiError{"AccessDeniedException",
                  not_authorized_message(account_principal_arn(caller_account), action, resource_arn, decision), 400,
                  true, "com.amazon.coral.service", {}};
}

}  // namespace runnel::auth
