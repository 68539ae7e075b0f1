// SigV4 signing for runnel's own outbound calls (src/client, benchmarks, tests): the client-side
// mirror of verify(), producing the headers botocore would add.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"

namespace runnel::auth {

struct SigningParams {
  std::string_view region;      // "us-east-1"
  std::string_view service;     // signing name: "dynamodb", "sqs", "sns", "lambda", ...
  std::string_view access_key;
  std::string_view secret;
  std::chrono::system_clock::time_point time;
  std::string_view session_token;   // empty: no X-Amz-Security-Token
  // STS-style clients add the token after signing; AWS's suite covers both orders.
  bool sign_session_token = true;
  // Add and sign x-amz-content-sha256 (S3 needs it; other services accept it).
  bool add_content_sha256 = false;
  SigningRules rules;
};

struct SigningResult {
  std::string authorization;  // the Authorization header value
  std::string amz_date;       // the X-Amz-Date header value
  // Every header to add to the request, in this order: X-Amz-Date, X-Amz-Security-Token (if a
  // token), x-amz-content-sha256 (if asked), Authorization.
  std::vector<std::pair<std::string, std::string>> headers_to_add;
};

// Signs `req` (which must carry a Host header). Every header in `req` is signed except those
// botocore never signs (User-Agent, Expect, X-Amzn-Trace-Id) and those this function supplies
// itself (Authorization, X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256), which are
// ignored if present.
SigningResult sign_headers(const SignedRequest& req, const SigningParams& params);

}  // namespace runnel::auth
