#include "sns/delivery_policy.h"

#include "common/json_parse.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <rapidjson/document.h>

namespace runnel::sns {

namespace {

ApiError policy_error(std::string message) {
  return {"InvalidParameter", "Invalid parameter: DeliveryPolicy: " + std::move(message), 400, true, "", {}};
}

// Where a backoff-phase retry sits between minDelayTarget (0) and maxDelayTarget (1). AWS shows
// these curves only as a chart; the shapes match it (linear straight, arithmetic and exponential
// rising late, geometric early), and every curve ends at maxDelayTarget.
double backoff_fraction(Backoff fn, int step, int steps) {
  double f = steps <= 1 ? 1.0 : static_cast<double>(step) / steps;
  switch (fn) {
    case Backoff::kLinear: return f;
    case Backoff::kArithmetic: return f * f;
    case Backoff::kGeometric: return 1.0 - (1.0 - f) * (1.0 - f);
    case Backoff::kExponential: return (std::pow(2.0, 8.0 * f) - 1.0) / 255.0;
  }
  return f;
}

std::optional<int> int_member(const rapidjson::Value& o, const char* name) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd()) return std::nullopt;
  if (it->value.IsInt()) return it->value.GetInt();
  return std::optional<int>(INT32_MIN);  // present but not an integer: rejected by the caller
}

Result<RetryPolicy> parse_retry_policy(const rapidjson::Value& o, std::string_view path) {
  if (!o.IsObject()) return policy_error(fmt::format("{} must be an object", path));
  RetryPolicy p;
  for (const char* required : {"minDelayTarget", "maxDelayTarget", "numRetries"})
    if (!o.HasMember(required)) return policy_error(fmt::format("{}.{} is required", path, required));
  struct Field {
    const char* name;
    int* out;
    int min;
    int max;
  };
  Field fields[] = {{"numRetries", &p.num_retries, 0, 100},
                    {"numNoDelayRetries", &p.num_no_delay_retries, 0, 100},
                    {"numMinDelayRetries", &p.num_min_delay_retries, 0, 100},
                    {"numMaxDelayRetries", &p.num_max_delay_retries, 0, 100},
                    {"minDelayTarget", &p.min_delay_s, 1, 3600},
                    {"maxDelayTarget", &p.max_delay_s, 1, 3600}};
  for (auto& f : fields) {
    auto v = int_member(o, f.name);
    if (!v) continue;
    if (*v == INT32_MIN) return policy_error(fmt::format("{}.{} must be an integer", path, f.name));
    if (*v < f.min) return policy_error(fmt::format("{}.{} must be greater than or equal to {}", path, f.name, f.min));
    if (*v > f.max) return policy_error(fmt::format("{}.{} must be less than or equal to {}", path, f.name, f.max));
    *f.out = *v;
  }
  if (p.min_delay_s > p.max_delay_s)
    return policy_error(fmt::format("{}.minDelayTarget must be less than or equal to {}.maxDelayTarget", path, path));
  if (p.num_no_delay_retries + p.num_min_delay_retries + p.num_max_delay_retries > p.num_retries)
    return policy_error(fmt::format(
        "{}.numRetries must be greater than or equal to the sum of numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries", path));
  if (auto fn = o.FindMember("backoffFunction"); fn != o.MemberEnd()) {
    std::string_view name = fn->value.IsString() ? fn->value.GetString() : "";
    if (name == "linear") p.backoff = Backoff::kLinear;
    else if (name == "arithmetic") p.backoff = Backoff::kArithmetic;
    else if (name == "geometric") p.backoff = Backoff::kGeometric;
    else if (name == "exponential") p.backoff = Backoff::kExponential;
    else return policy_error(fmt::format("{}.backoffFunction must be one of arithmetic, exponential, geometric, linear", path));
  }
  if (p.total_seconds() > 3600)
    return policy_error(fmt::format("{}: the total retry time of {} seconds is more than the limit of 3600 seconds", path, p.total_seconds()));
  return p;
}

Status parse_throttle(const rapidjson::Value& o, std::string_view path, int* out) {
  if (!o.IsObject()) return policy_error(fmt::format("{} must be an object", path));
  auto v = int_member(o, "maxReceivesPerSecond");
  if (!v) return ok_status();
  if (*v == INT32_MIN || *v < 1) return policy_error(fmt::format("{}.maxReceivesPerSecond must be greater than or equal to 1", path));
  if (out) *out = *v;
  return ok_status();
}

// The Content-Types AWS accepts in requestPolicy.headerContentType.
Status parse_request_policy(const rapidjson::Value& o, std::string_view path, std::string* out) {
  if (!o.IsObject()) return policy_error(fmt::format("{} must be an object", path));
  auto it = o.FindMember("headerContentType");
  if (it == o.MemberEnd()) return ok_status();
  static const char* kAllowed[] = {"application/json", "application/xml", "text/plain", "text/html", "text/xml",
                                   "text/csv", "application/x-www-form-urlencoded", "application/octet-stream"};
  std::string value = it->value.IsString() ? it->value.GetString() : "";
  std::string base = value.substr(0, value.find(';'));
  bool allowed = std::any_of(std::begin(kAllowed), std::end(kAllowed), [&](const char* a) { return base == a; });
  if (!allowed) return policy_error(fmt::format("{}.headerContentType: {} is not a supported content type", path, value));
  if (out) *out = value;
  return ok_status();
}

Result<rapidjson::Document> parse_object(std::string_view json) {
  rapidjson::Document d;
  json::parse(d, json);
  if (d.HasParseError() || !d.IsObject()) return policy_error("failed to parse JSON");
  return d;
}

// Reads a subscription-level policy object into `out` (members absent keep their values).
Status read_subscription_policy(const rapidjson::Value& d, HttpDeliveryPolicy* out) {
  if (auto it = d.FindMember("healthyRetryPolicy"); it != d.MemberEnd()) {
    auto p = parse_retry_policy(it->value, "healthyRetryPolicy");
    if (!p.ok()) return p.error();
    if (out) out->retry = *p;
  }
  if (auto it = d.FindMember("throttlePolicy"); it != d.MemberEnd())
    if (auto s = parse_throttle(it->value, "throttlePolicy", out ? &out->max_receives_per_second : nullptr); !s.ok()) return s;
  if (auto it = d.FindMember("requestPolicy"); it != d.MemberEnd())
    if (auto s = parse_request_policy(it->value, "requestPolicy", out ? &out->content_type : nullptr); !s.ok()) return s;
  return ok_status();
}

// Reads a topic-level policy's "http" member; sets *no_overrides from disableSubscriptionOverrides.
Status read_topic_policy(const rapidjson::Value& d, HttpDeliveryPolicy* out, bool* no_overrides) {
  auto http = d.FindMember("http");
  if (http == d.MemberEnd()) return ok_status();
  const auto& h = http->value;
  if (!h.IsObject()) return policy_error("http must be an object");
  if (auto it = h.FindMember("defaultHealthyRetryPolicy"); it != h.MemberEnd()) {
    auto p = parse_retry_policy(it->value, "http.defaultHealthyRetryPolicy");
    if (!p.ok()) return p.error();
    if (out) out->retry = *p;
  }
  if (auto it = h.FindMember("defaultThrottlePolicy"); it != h.MemberEnd())
    if (auto s = parse_throttle(it->value, "http.defaultThrottlePolicy", out ? &out->max_receives_per_second : nullptr); !s.ok()) return s;
  if (auto it = h.FindMember("defaultRequestPolicy"); it != h.MemberEnd())
    if (auto s = parse_request_policy(it->value, "http.defaultRequestPolicy", out ? &out->content_type : nullptr); !s.ok()) return s;
  if (auto it = h.FindMember("disableSubscriptionOverrides"); it != h.MemberEnd()) {
    if (!it->value.IsBool()) return policy_error("http.disableSubscriptionOverrides must be a boolean");
    if (no_overrides) *no_overrides = it->value.GetBool();
  }
  return ok_status();
}

}  // namespace

std::optional<int64_t> RetryPolicy::delay_before_retry_ms(int retry) const {
  if (retry < 1 || retry > num_retries) return std::nullopt;
  if (retry <= num_no_delay_retries) return 0;
  retry -= num_no_delay_retries;
  if (retry <= num_min_delay_retries) return int64_t{min_delay_s} * 1000;
  retry -= num_min_delay_retries;
  int backoff_steps = num_retries - num_no_delay_retries - num_min_delay_retries - num_max_delay_retries;
  if (retry <= backoff_steps) {
    double f = backoff_fraction(backoff, retry, backoff_steps);
    return static_cast<int64_t>(std::llround((min_delay_s + (max_delay_s - min_delay_s) * f) * 1000.0));
  }
  return int64_t{max_delay_s} * 1000;
}

int64_t RetryPolicy::total_seconds() const {
  int64_t ms = 0;
  for (int r = 1; r <= num_retries; ++r) ms += *delay_before_retry_ms(r);
  return (ms + 999) / 1000;
}

RetryPolicy email_retry_policy() {
  RetryPolicy p;
  p.num_retries = 50;
  p.num_no_delay_retries = 0;
  p.num_min_delay_retries = 2;
  p.num_max_delay_retries = 38;
  p.min_delay_s = 10;
  p.max_delay_s = 600;
  p.backoff = Backoff::kExponential;
  return p;
}

Status validate_subscription_delivery_policy(std::string_view json) {
  auto d = parse_object(json);
  if (!d.ok()) return d.error();
  return read_subscription_policy(*d, nullptr);
}

Status validate_topic_delivery_policy(std::string_view json) {
  auto d = parse_object(json);
  if (!d.ok()) return d.error();
  return read_topic_policy(*d, nullptr, nullptr);
}

HttpDeliveryPolicy effective_http_policy(std::string_view topic_policy, std::string_view subscription_policy) {
  HttpDeliveryPolicy out;
  bool no_overrides = false;
  if (!topic_policy.empty())
    if (auto d = parse_object(topic_policy); d.ok()) (void)read_topic_policy(*d, &out, &no_overrides);
  if (!subscription_policy.empty() && !no_overrides)
    if (auto d = parse_object(subscription_policy); d.ok()) (void)read_subscription_policy(*d, &out);
  return out;
}

}  // namespace runnel::sns
