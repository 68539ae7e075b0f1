// The authentication failures runnel reports, with AWS's wording, and their per-service shapes.
//
// Every function in runnel_auth reports failures in DynamoDB's (JSON 1.0 / Coral) style: HTTP 400
// and json_namespace "com.amazon.coral.service", because that is what DynamoDB prints, e.g.
//   {"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request ..."}
// Other services spell the same failures differently (aws-reference.md 7.1): the HTTP layer calls
// error_for_service() once the signing service is known, or switches on auth_error_kind() itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace runnel::auth {

enum class AuthErrorKind {
  kMissingToken,         // no Authorization header at all
  kIncompleteSignature,  // Authorization header present but malformed, or no X-Amz-Date
  kSignatureMismatch,    // signature (or credential scope) does not match what we computed
  kSignatureExpired,     // X-Amz-Date more than 15 minutes away from our clock
  kUnrecognizedClient,   // access key not in the credential store
};

// Builds the DynamoDB-style ApiError for `kind`. The message is used verbatim.
ApiError make_auth_error(AuthErrorKind kind, std::string message);

// "Request is missing Authentication Token" (MissingAuthenticationTokenException): what AWS
// answers when a request carries no Authorization header (and no presigned query).
ApiError missing_authentication_token();

// "The security token included in the request is invalid." (UnrecognizedClientException).
ApiError unrecognized_client();

// The standard signature-mismatch text, identical across DynamoDB, SQS, SNS and Lambda.
inline constexpr std::string_view kSignatureMismatchMessage =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

// Recovers the kind from an ApiError made by this module; nullopt for any other error.
std::optional<AuthErrorKind> auth_error_kind(const ApiError& error);

// Re-shapes an auth error for the service named in the credential scope ("dynamodb", "sqs",
// "sns", "lambda", "logs", ...). Non-auth errors and unknown services are returned unchanged.
// SQS and SNS (Query protocol) use 403 and the IAM-style codes SignatureDoesNotMatch,
// InvalidClientTokenId, IncompleteSignature, MissingAuthenticationToken; Lambda keeps the
// *Exception codes with 403. [status codes partly unverified, see aws-reference.md 7.1]
ApiError error_for_service(ApiError error, std::string_view signing_service);

}  // namespace runnel::auth
