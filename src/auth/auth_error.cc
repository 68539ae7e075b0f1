#include "auth/auth_error.h"

#include <utility>

namespace runnel::auth {
namespace {

constexpr std::string_view kCoralNamespace = "com.amazon.coral.service";

constexpr std::string_view code_for(AuthErrorKind kind) {
  switch (kind) {
    case AuthErrorKind::kMissingToken: return "MissingAuthenticationTokenException";
    case AuthErrorKind::kIncompleteSignature: return "IncompleteSignatureException";
    case AuthErrorKind::kSignatureMismatch: return "InvalidSignatureException";
    case AuthErrorKind::kSignatureExpired: return "InvalidSignatureException";
    case AuthErrorKind::kUnrecognizedClient: return "UnrecognizedClientException";
  }
  return "InvalidSignatureException";
}

// AWS reports clock skew under the same code as a bad signature; only the message tells them
// apart, and these two prefixes are AWS's own ("Signature expired: ... is now earlier than ...",
// "Signature not yet current: ... is still later than ...").
bool is_expiry_message(std::string_view message) {
  return message.starts_with("Signature expired:") ||
         message.starts_with("Signature not yet current:");
}

}  // namespace

ApiError make_auth_error(AuthErrorKind kind, std::string message) {
  ApiError e;
  e.code = std::string(code_for(kind));
  e.message = std::move(message);
  e.http_status = 400;
  e.sender_fault = true;
  e.json_namespace = std::string(kCoralNamespace);
  return e;
}

ApiError missing_authentication_token() {
  return make_auth_error(AuthErrorKind::kMissingToken, "Request is missing Authentication Token");
}

ApiError unrecognized_client() {
  return make_auth_error(AuthErrorKind::kUnrecognizedClient,
                         "The security token included in the request is invalid.");
}

std::optional<AuthErrorKind> auth_error_kind(const ApiError& error) {
  if (error.json_namespace != kCoralNamespace) return std::nullopt;
  if (error.code == "MissingAuthenticationTokenException") return AuthErrorKind::kMissingToken;
  if (error.code == "IncompleteSignatureException") return AuthErrorKind::kIncompleteSignature;
  if (error.code == "UnrecognizedClientException") return AuthErrorKind::kUnrecognizedClient;
  if (error.code == "InvalidSignatureException") {
    return is_expiry_message(error.message) ? AuthErrorKind::kSignatureExpired
                                            : AuthErrorKind::kSignatureMismatch;
  }
  return std::nullopt;
}

ApiError error_for_service(ApiError error, std::string_view service) {
  const auto kind = auth_error_kind(error);
  if (!kind) return error;
  if (service == "sqs" || service == "sns") {
    // Query-protocol services answer with IAM's common error codes and 403, e.g.
    // <Code>InvalidClientTokenId</Code> (seen from real SQS and SNS) and SignatureDoesNotMatch.
    error.http_status = 403;
    switch (*kind) {
      case AuthErrorKind::kMissingToken: error.code = "MissingAuthenticationToken"; break;
      case AuthErrorKind::kIncompleteSignature: error.code = "IncompleteSignature"; break;
      case AuthErrorKind::kSignatureMismatch:
      case AuthErrorKind::kSignatureExpired: error.code = "SignatureDoesNotMatch"; break;
      case AuthErrorKind::kUnrecognizedClient: error.code = "InvalidClientTokenId"; break;
    }
    return error;
  }
  if (service == "lambda") {
    error.http_status = 403;  // REST-JSON Lambda keeps the Coral codes but answers 403
    return error;
  }
  return error;  // dynamodb (and Streams, signed as dynamodb), logs: Coral style, 400
}

}  // namespace runnel::auth
