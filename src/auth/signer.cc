#include "auth/signer.h"

#include <algorithm>
#include <array>

#include "common/hash.h"
#include "auth/text.h"
#include "auth/timestamp.h"

namespace runnel::auth {
namespace {

// botocore's auth.SIGNED_HEADERS_BLACKLIST plus the headers sign_headers() adds itself.
bool skipped(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kSkip = {
      "authorization", "x-amz-date",       "x-amz-security-token", "x-amz-content-sha256",
      "user-agent",    "expect",           "x-amzn-trace-id"};
  return std::any_of(kSkip.begin(), kSkip.end(),
                     [&](std::string_view s) { return detail::ascii_iequals(s, name); });
}

}  // namespace

SigningResult sign_headers(const SignedRequest& req, const SigningParams& p) {
  SigningResult out;
  out.amz_date = format_amz_date(p.time);
  const std::string content_sha = p.add_content_sha256 ? runnel::sha256_hex(req.body) : "";

  SignedRequest signed_req;
  signed_req.method = req.method;
  signed_req.target = req.target;
  signed_req.body = req.body;
  for (const auto& h : req.headers) {
    if (!skipped(h.first)) signed_req.headers.push_back(h);
  }
  signed_req.headers.emplace_back("X-Amz-Date", out.amz_date);
  if (!p.session_token.empty() && p.sign_session_token) {
    signed_req.headers.emplace_back("X-Amz-Security-Token", p.session_token);
  }
  if (p.add_content_sha256) signed_req.headers.emplace_back("x-amz-content-sha256", content_sha);

  Authorization auth;
  auth.access_key = std::string(p.access_key);
  auth.date = out.amz_date.substr(0, 8);
  auth.region = std::string(p.region);
  auth.service = std::string(p.service);
  for (const auto& h : signed_req.headers) auth.signed_headers.push_back(detail::ascii_lower(h.first));
  std::sort(auth.signed_headers.begin(), auth.signed_headers.end());
  auth.signed_headers.erase(std::unique(auth.signed_headers.begin(), auth.signed_headers.end()),
                            auth.signed_headers.end());

  const std::string creq = canonical_request(signed_req, auth, p.rules);
  const std::string sts = string_to_sign(out.amz_date, auth, creq);
  auth.signature = signature(p.secret, auth, sts);

  std::string names;
  for (const std::string& n : auth.signed_headers) {
    if (!names.empty()) names.push_back(';');
    names.append(n);
  }
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + auth.access_key + "/" + auth.scope() +
                      ", SignedHeaders=" + names + ", Signature=" + auth.signature;

  out.headers_to_add.emplace_back("X-Amz-Date", out.amz_date);
  if (!p.session_token.empty()) {
    out.headers_to_add.emplace_back("X-Amz-Security-Token", std::string(p.session_token));
  }
  if (p.add_content_sha256) out.headers_to_add.emplace_back("x-amz-content-sha256", content_sha);
  out.headers_to_add.emplace_back("Authorization", out.authorization);
  return out;
}

}  // namespace runnel::auth
