// Presigned (query-string) SigV4: the signature travels in the URL instead of an Authorization
// header, as botocore's generate_presigned_url and the SDKs' presigners make it.
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
//   (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
//   X-Amz-Signature; the canonical query is every parameter but X-Amz-Signature)
// The payload hash of a presigned request is "UNSIGNED-PAYLOAD" (what botocore's SigV4QueryAuth
// signs for every service); a hash of the body is accepted too. Unlike a header signature, which
// must be within 15 minutes of the server's clock, a presigned URL is good from X-Amz-Date for
// X-Amz-Expires seconds (1 to 604,800, a week), and never before X-Amz-Date less 15 minutes.
#pragma once

#include <chrono>
#include <optional>

#include "auth/sigv4.h"

namespace runnel::auth {

// Whether the request's query carries a presigned signature (X-Amz-Signature or X-Amz-Credential).
bool is_presigned(const SignedRequest& req);

// The authorization the URL carries, checked for shape (the same errors as a header's), and
// the signing time and lifetime it gives.
struct Presigned {
  Authorization auth;
  std::string amz_date;
  std::chrono::seconds expires{900};
};
Result<Presigned> parse_presigned(const SignedRequest& req);

// Checks the signature with `secret` at `now`, and the URL's lifetime.
Status verify_presigned(const SignedRequest& req, const Presigned& p, std::string_view secret,
                        std::chrono::system_clock::time_point now);

}  // namespace runnel::auth
