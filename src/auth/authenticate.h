// The whole per-request auth step the HTTP layer runs: find and parse the Authorization header,
// check the signature when verification is on, and name the caller's account, region and service.
#pragma once

#include <chrono>
#include <string>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "common/result.h"

namespace runnel::auth {

// Who is calling and where: everything routing and resource isolation need from auth.
struct RequestIdentity {
  std::string access_key;
  std::string account_id;  // account_for_access_key(access_key)
  std::string region;      // from the credential scope
  std::string service;     // signing name from the scope: "dynamodb", "sqs", "sns", "lambda", ...
};

// `store` == nullptr turns signature verification off (the default for local use, like
// DynamoDB Local): the header must still parse, since region and service come from it, but any
// key and signature are accepted. With a store, an unknown key is UnrecognizedClientException and
// the signature and clock are checked by verify(). No Authorization header at all is
// MissingAuthenticationTokenException. Errors are DynamoDB-style; see error_for_service().
Result<RequestIdentity> authenticate(const SignedRequest& req, const CredentialStore* store,
                                     std::chrono::system_clock::time_point now);

}  // namespace runnel::auth
