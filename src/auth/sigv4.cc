#include "auth/sigv4.h"

#include <algorithm>

#include "auth/auth_error.h"
#include "common/hash.h"
#include "common/percent_decode.h"
#include "auth/text.h"
#include "auth/timestamp.h"

namespace runnel::auth {
namespace {

using detail::ascii_iequals;
using detail::ascii_lower;
using detail::is_space;
using detail::trim;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kMissingDateSentence =
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";

ApiError incomplete(std::string message) {
  return make_auth_error(AuthErrorKind::kIncompleteSignature, std::move(message));
}
ApiError mismatch(std::string message) {
  return make_auth_error(AuthErrorKind::kSignatureMismatch, std::move(message));
}

// Splits the parameter list after the algorithm into tokens. AWS separates on commas and on
// whitespace alike: "Credential=AKID /2015..." is reported as "'/2015...' not a valid key=value
// pair", which is what a whitespace split produces.
std::vector<std::string_view> split_params(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ',' || is_space(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ',' && !is_space(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? s.npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

// Canonical header value: trimmed, every run of whitespace (obs-fold line breaks included) one
// space. botocore does ' '.join(value.split()); AWS's doc says "sequential spaces to a single".
void append_collapsed(std::string& out, std::string_view value) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

// RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded (besides '/' in paths).
bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void append_encoded(std::string& out, std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
}

// RFC 3986 section 5.2.4 dot-segment removal as botocore applies it (utils.remove_dot_segments),
// which also drops empty segments: AWS's non-S3 services sign "//example//" as "/example/".
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> kept;
  for (std::string_view seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(seg);
  }
  std::string out;
  if (!path.empty() && path.front() == '/') out.push_back('/');
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(kept[i]);
  }
  if (!kept.empty() && path.back() == '/') out.push_back('/');
  return out;
}

std::string format_seconds(Seconds t) {
  return format_amz_date(std::chrono::system_clock::time_point{t});
}

}  // namespace



std::string Authorization::scope() const {
  std::string s;
  s.reserve(date.size() + region.size() + service.size() + kTerminator.size() + 3);
  s.append(date).append("/").append(region).append("/").append(service).append("/");
  s.append(kTerminator);
  return s;
}

Result<Authorization> parse_authorization(std::string_view header_value, bool has_date_header) {
  const std::string_view value = trim(header_value);
  if (!value.starts_with("AWS4-")) return missing_authentication_token();
  size_t sp = 0;
  while (sp < value.size() && !is_space(value[sp])) ++sp;
  const std::string_view algorithm = value.substr(0, sp);

  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view param : split_params(value.substr(sp))) {
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return incomplete("'" + std::string(param) +
                        "' not a valid key=value pair (missing equal-sign) in Authorization "
                        "header: '" + std::string(value) + "'.");
    }
    const std::string_view key = param.substr(0, eq), val = param.substr(eq + 1);
    // First occurrence wins; AWS does not document repeats and no SDK sends them. An empty
    // Credential or Signature counts as missing; an empty SignedHeaders is present (and then
    // fails the Host check), as in DynamoDB.
    if (key == "Credential" && !credential && !val.empty()) credential = val;
    if (key == "SignedHeaders" && !signed_headers) signed_headers = val;
    if (key == "Signature" && !signature && !val.empty()) signature = val;
  }
  std::string msg;
  if (!credential) msg += "Authorization header requires 'Credential' parameter. ";
  if (!signature) msg += "Authorization header requires 'Signature' parameter. ";
  if (!signed_headers) msg += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!has_date_header) msg += std::string(kMissingDateSentence) + " ";
  if (!msg.empty()) return incomplete(msg + "Authorization=" + std::string(value));

  if (algorithm != kAlgorithm) {
    return incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) +
                      "' (only AWS4-HMAC-SHA256 for now). ");
  }

  // Trailing slashes are ignored before counting ("a/b/c/d/e/" is five elements).
  std::string_view cred = *credential;
  while (cred.ends_with('/')) cred.remove_suffix(1);
  const std::vector<std::string_view> parts = split(cred, '/');
  const bool parts_ok = parts.size() == 5 && std::none_of(parts.begin(), parts.end() - 1,
                                                          [](auto p) { return p.empty(); });
  if (!parts_ok) {
    return incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" + std::string(*credential) + "'");
  }
  if (parts[4] != kTerminator) {
    return mismatch("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                    std::string(parts[4]) + "'.");
  }

  Authorization auth;
  auth.access_key = std::string(parts[0]);
  auth.date = std::string(parts[1]);
  auth.region = std::string(parts[2]);
  auth.service = std::string(parts[3]);
  auth.signature = std::string(*signature);
  for (std::string_view h : split(*signed_headers, ';')) {
    if (!h.empty()) auth.signed_headers.push_back(ascii_lower(h));
  }
  std::sort(auth.signed_headers.begin(), auth.signed_headers.end());
  auth.signed_headers.erase(std::unique(auth.signed_headers.begin(), auth.signed_headers.end()),
                            auth.signed_headers.end());
  return auth;
}

std::optional<std::string_view> find_header(const SignedRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (ascii_iequals(k, name)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> request_timestamp(const SignedRequest& req) {
  // X-Amz-Date wins over Date when both are present (AWS: "x-amz-date takes precedence").
  if (auto amz = find_header(req, "x-amz-date")) {
    const std::string_view v = trim(*amz);
    if (parse_amz_date(v)) return std::string(v);
    return std::nullopt;
  }
  if (auto date = find_header(req, "date")) {
    const std::string_view v = trim(*date);
    if (parse_amz_date(v)) return std::string(v);
    if (auto t = parse_http_date(v)) return format_seconds(*t);
  }
  return std::nullopt;
}

std::string canonical_uri(std::string_view path, const SigningRules& rules) {
  std::string normalized = rules.normalize_path ? normalize_path(path) : std::string(path);
  if (normalized.empty()) normalized = "/";
  std::string out;
  out.reserve(normalized.size() + 16);
  // The path arrives percent-encoded once; encoding it again is the non-S3 "double encoding".
  append_encoded(out, normalized, /*keep_slash=*/true);
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::string_view item : split(query, '&')) {
    if (item.empty()) continue;  // "a=1&&b=2" and a bare "?" contribute nothing
    const size_t eq = item.find('=');
    std::string key, val;
    append_encoded(key, percent_decode(item.substr(0, eq)), false);
    if (eq != std::string_view::npos) append_encoded(val, percent_decode(item.substr(eq + 1)), false);
    pairs.emplace_back(std::move(key), std::move(val));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

std::string payload_hash(const SignedRequest& req) {
  if (auto h = find_header(req, "x-amz-content-sha256")) return std::string(trim(*h));
  return runnel::sha256_hex(req.body);
}

std::string canonical_request(const SignedRequest& req, const Authorization& auth,
                              const SigningRules& rules) {
  const size_t q = req.target.find('?');
  const std::string_view path = req.target.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view{} : req.target.substr(q + 1);

  std::string out;
  out.reserve(256 + req.target.size());
  out.append(req.method).push_back('\n');
  out.append(canonical_uri(path, rules)).push_back('\n');
  out.append(canonical_query(query)).push_back('\n');
  for (const std::string& name : auth.signed_headers) {
    out.append(name).push_back(':');
    bool first = true;
    for (const auto& [k, v] : req.headers) {
      if (!ascii_iequals(k, name)) continue;
      if (!first) out.push_back(',');  // repeated headers: values in arrival order, ','-joined
      first = false;
      append_collapsed(out, v);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < auth.signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(auth.signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash(req));
  return out;
}

std::string string_to_sign(std::string_view amz_date, const Authorization& auth,
                           std::string_view canonical_request) {
  std::string out;
  out.append(kAlgorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(auth.scope()).push_back('\n');
  out.append(runnel::sha256_hex(canonical_request));
  return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = runnel::hmac_sha256("AWS4" + std::string(secret), date);
  k = runnel::hmac_sha256(k, region);
  k = runnel::hmac_sha256(k, service);
  return runnel::hmac_sha256(k, kTerminator);
}

std::string signature(std::string_view secret, const Authorization& auth,
                      std::string_view string_to_sign) {
  const std::string key = signing_key(secret, auth.date, auth.region, auth.service);
  return runnel::to_hex(runnel::hmac_sha256(key, string_to_sign));
}

Status verify(const SignedRequest& req, const Authorization& auth, std::string_view secret,
              std::chrono::system_clock::time_point now, const SigningRules& rules) {
  const auto amz_date = request_timestamp(req);
  if (!amz_date) {
    if (!find_header(req, "x-amz-date") && !find_header(req, "date")) {
      std::string msg(kMissingDateSentence);
      if (auto h = find_header(req, "authorization")) {
        msg += " Authorization=" + std::string(trim(*h));
      }
      return incomplete(std::move(msg));
    }
    const auto given = find_header(req, "x-amz-date") ? *find_header(req, "x-amz-date")
                                                      : *find_header(req, "date");
    return incomplete("Date must be in ISO-8601 'basic format'. Got '" +
                      std::string(trim(given)) + "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  const std::string_view day = std::string_view(*amz_date).substr(0, 8);
  if (auth.date != day) {
    return mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                    "date from HTTP: '" + auth.date + "' != '" + std::string(day) + "', from '" +
                    *amz_date + "'.");
  }
  // Signing Host binds the signature to the endpoint; AWS refuses a signature that leaves it out.
  if (!std::binary_search(auth.signed_headers.begin(), auth.signed_headers.end(), "host")) {
    return mismatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  // Clock skew, in AWS's words: "Signature expired: 20150830T123600Z is now earlier than
  // 20150830T124100Z (20150830T125600Z - 15 min.)", and the mirror image for the future.
  const Seconds signed_at = *parse_amz_date(*amz_date);
  const Seconds now_s = std::chrono::floor<std::chrono::seconds>(now);
  if (signed_at < now_s - kMaxClockSkew) {
    return make_auth_error(AuthErrorKind::kSignatureExpired,
                           "Signature expired: " + *amz_date + " is now earlier than " +
                               format_seconds(now_s - kMaxClockSkew) + " (" +
                               format_seconds(now_s) + " - 15 min.)");
  }
  if (signed_at > now_s + kMaxClockSkew) {
    return make_auth_error(AuthErrorKind::kSignatureExpired,
                           "Signature not yet current: " + *amz_date + " is still later than " +
                               format_seconds(now_s + kMaxClockSkew) + " (" +
                               format_seconds(now_s) + " + 15 min.)");
  }

  // A client-supplied payload hash is what the signature covers, so it must also be the body's
  // hash or the body could be swapped under a valid signature. UNSIGNED-PAYLOAD is the one
  // documented opt-out (the signature then covers headers only), accepted as AWS does.
  if (auto claimed = find_header(req, "x-amz-content-sha256")) {
    const std::string_view c = trim(*claimed);
    if (c != "UNSIGNED-PAYLOAD" && c != runnel::sha256_hex(req.body)) {
      return mismatch("The provided 'x-amz-content-sha256' header does not match what was "
                      "computed.");
    }
  }

  const std::string creq = canonical_request(req, auth, rules);
  const std::string sts = string_to_sign(*amz_date, auth, creq);
  if (!runnel::constant_time_equal(signature(secret, auth, sts), auth.signature)) {
    return mismatch(std::string(kSignatureMismatchMessage));
  }
  return ok_status();
}

}  // namespace runnel::auth
