#include "auth/presigned.h"

#include <charconv>
#include <string>
#include <vector>

#include "auth/auth_error.h"
#include "common/hash.h"
#include "common/percent_decode.h"
#include "auth/timestamp.h"

namespace runnel::auth {

namespace {

constexpr int64_t kMaxExpiresSeconds = 604'800;  // seven days, as SigV4 allows

std::string_view query_of(const SignedRequest& req) {
  size_t q = req.target.find('?');
  return q == std::string_view::npos ? std::string_view() : req.target.substr(q + 1);
}

// The first value of query parameter `name`, decoded.
std::optional<std::string> param(const SignedRequest& req, std::string_view name) {
  std::string_view query = query_of(req);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view item = query.substr(start, amp - start);
    size_t eq = item.find('=');
    if (percent_decode(item.substr(0, eq)) == name) return eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1));
    start = amp + 1;
  }
  return std::nullopt;
}

// The target with X-Amz-Signature left out: the canonical query covers every other parameter.
std::string target_without_signature(const SignedRequest& req) {
  size_t q = req.target.find('?');
  std::string out(req.target.substr(0, q));
  std::string_view query = query_of(req);
  char sep = '?';
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view item = query.substr(start, amp - start);
    if (percent_decode(item.substr(0, item.find('='))) != "X-Amz-Signature") {
      out.push_back(sep);
      out.append(item);
      sep = '&';
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace

bool is_presigned(const SignedRequest& req) {
  std::string_view query = query_of(req);
  return query.find("X-Amz-Signature=") != std::string_view::npos ||
         query.find("X-Amz-Credential=") != std::string_view::npos;
}

Result<Presigned> parse_presigned(const SignedRequest& req) {
  auto algorithm = param(req, "X-Amz-Algorithm");
  auto credential = param(req, "X-Amz-Credential");
  auto signed_headers = param(req, "X-Amz-SignedHeaders");
  auto signature = param(req, "X-Amz-Signature");
  auto date = param(req, "X-Amz-Date");
  // The query names what a header would: the same shape checks, in the same order and words
  // (with "AWS query-string parameters" where a header says "Authorization header").
  std::string msg;
  if (!algorithm) msg += "AWS query-string parameters must include 'X-Amz-Algorithm'. ";
  if (!credential) msg += "AWS query-string parameters must include 'X-Amz-Credential'. ";
  if (!signature) msg += "AWS query-string parameters must include 'X-Amz-Signature'. ";
  if (!signed_headers) msg += "AWS query-string parameters must include 'X-Amz-SignedHeaders'. ";
  if (!date) msg += "AWS query-string parameters must include 'X-Amz-Date'. ";
  if (!msg.empty()) return make_auth_error(AuthErrorKind::kIncompleteSignature, msg + "Re-examine the query-string parameters.");
  RUNNEL_TRY(Authorization auth, parse_authorization(*algorithm + " Credential=" + *credential + ", SignedHeaders=" +
                                                         *signed_headers + ", Signature=" + *signature));
  Presigned p{std::move(auth), *date, std::chrono::seconds(900)};
  if (auto expires = param(req, "X-Amz-Expires")) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), n);
    if (ec != std::errc() || end != expires->data() + expires->size() || n < 1 || n > kMaxExpiresSeconds)
      return make_auth_error(AuthErrorKind::kIncompleteSignature,
                             "X-Amz-Expires must be a number of seconds from 1 to 604800 (seven days), got '" + *expires + "'");
    p.expires = std::chrono::seconds(n);
  }
  if (!parse_amz_date(p.amz_date))
    return make_auth_error(AuthErrorKind::kIncompleteSignature,
                           "Date must be in ISO-8601 'basic format'. Got '" + p.amz_date + "'. See http://en.wikipedia.org/wiki/ISO_8601");
  return p;
}

Status verify_presigned(const SignedRequest& req, const Presigned& p, std::string_view secret,
                        std::chrono::system_clock::time_point now) {
  const Authorization& auth = p.auth;
  if (auth.date != std::string_view(p.amz_date).substr(0, 8))
    return make_auth_error(AuthErrorKind::kSignatureMismatch,
                           "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                               auth.date + "' != '" + p.amz_date.substr(0, 8) + "', from '" + p.amz_date + "'.");
  const auto signed_at = *parse_amz_date(p.amz_date);
  const auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  if (now_s > signed_at + p.expires)
    return make_auth_error(AuthErrorKind::kSignatureExpired,
                           "Signature expired: " + p.amz_date + " is now earlier than " +
                               format_amz_date(now_s - p.expires) + " (" + format_amz_date(now_s) + " - " +
                               std::to_string(p.expires.count()) + " sec.)");
  if (signed_at > now_s + kMaxClockSkew)
    return make_auth_error(AuthErrorKind::kSignatureExpired,
                           "Signature not yet current: " + p.amz_date + " is still later than " +
                               format_amz_date(now_s + kMaxClockSkew) + " (" + format_amz_date(now_s) + " + 15 min.)");
  const std::string target = target_without_signature(req);
  for (std::string_view payload : {std::string_view("UNSIGNED-PAYLOAD"), std::string_view()}) {
    SignedRequest canonical = req;
    canonical.target = target;
    std::string body_hash;
    if (payload.empty()) {
      body_hash = runnel::sha256_hex(req.body);
      payload = body_hash;
    }
    canonical.headers.emplace_back("x-amz-content-sha256", payload);  // what payload_hash reads
    // Headers signed by name only in the query: "x-amz-content-sha256" is never among them for
    // a presigned URL, so adding it changes nothing but the payload hash.
    const std::string creq = canonical_request(canonical, auth);
    const std::string sts = string_to_sign(p.amz_date, auth, creq);
    if (runnel::constant_time_equal(signature(secret, auth, sts), auth.signature)) return ok_status();
  }
  return make_auth_error(AuthErrorKind::kSignatureMismatch, std::string(kSignatureMismatchMessage));
}

}  // namespace runnel::auth
