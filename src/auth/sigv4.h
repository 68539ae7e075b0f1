// AWS Signature Version 4 verification for header-signed requests (non-S3 rules).
//
// The algorithm, step by step, is AWS's "Create a signed AWS API request":
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// and the points where non-S3 services differ from S3 (path normalised, then encoded a second
// time) are in "Elements of an AWS API request signature" / aws-reference.md 7.1. Everything here
// is checked against AWS's own test vectors (aws-c-auth's v4 suite, sigv4_test.cc) and botocore.
//
// Presigned query-string auth (X-Amz-Algorithm=... in the URL) is in auth/presigned.h. Not
// supported (documented in docs/compatibility and answered as a missing token by the caller):
// SigV4A, chunked/streaming payload signatures (S3 only). X-Amz-Security-Token is accepted and signed over but not validated: runnel
// has no STS, so a session token carries no authority beyond its access key.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace runnel::auth {

// A view of one HTTP request as received. Nothing is owned; the caller keeps the bytes alive.
struct SignedRequest {
  std::string_view method;  // "GET", "POST", ...
  // The request target as sent: path plus optional "?query", still percent-encoded.
  std::string_view target;
  // Header fields in arrival order, names in their original case; a name may repeat.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

// The parsed "Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
struct Authorization {
  std::string access_key;
  std::string date;     // credential scope date, YYYYMMDD
  std::string region;   // e.g. "us-east-1"
  std::string service;  // signing name, e.g. "dynamodb", "sqs"
  // Lower-cased, sorted and de-duplicated, which is the order the canonical request lists them.
  std::vector<std::string> signed_headers;
  std::string signature;  // hex as sent

  // "<date>/<region>/<service>/aws4_request"
  std::string scope() const;
};

// How the canonical URI is formed. The defaults are the rules of every non-S3 service and the
// only ones the server applies; normalize_path=false is S3's rule, kept so the vector suite's
// "-unnormalized" cases can be exercised and our client could sign for S3-style endpoints.
struct SigningRules {
  bool normalize_path = true;  // drop "." / ".." / empty segments before encoding
};

// Parses an Authorization header value, checking in the order DynamoDB does (as captured by
// dynalite from the real service):
//   - a value not starting "AWS4-" is no SigV4 attempt at all: MissingAuthenticationTokenException;
//   - a parameter without '=': "'<token>' not a valid key=value pair (missing equal-sign) ...";
//   - missing Credential / Signature / SignedHeaders (and, when `has_date_header` is false, the
//     X-Amz-Date sentence), one sentence each, then "Authorization=<value>";
//   - any algorithm but AWS4-HMAC-SHA256 (SigV4A included): "Unsupported AWS 'algorithm': ...";
//   - a credential not of 5 '/'-separated parts: "Credential must have exactly 5 ...".
// These are IncompleteSignatureException; a scope not ending in aws4_request is
// InvalidSignatureException ("Credential should be scoped with a valid terminator: ...").
Result<Authorization> parse_authorization(std::string_view header_value,
                                          bool has_date_header = true);

// The first value of header `name` (ASCII case-insensitive), if present.
std::optional<std::string_view> find_header(const SignedRequest& req, std::string_view name);

// The request's signing time as written in X-Amz-Date (or, failing that, converted from an HTTP
// Date header) in basic ISO 8601 form "YYYYMMDDTHHMMSSZ"; nullopt when neither is usable.
std::optional<std::string> request_timestamp(const SignedRequest& req);

// Query components are decoded by runnel::percent_decode (common/percent_decode.h; '+' stays a
// plus). A '%' not followed by two hex digits stays literal (and is then signed as %25), so a
// sloppy client's request still gets a definite canonical form.

// CanonicalURI alone: the path normalised (when rules say so) and percent-encoded again with only
// unreserved characters and '/' left as they are. An empty path is "/".
std::string canonical_uri(std::string_view path, const SigningRules& rules = {});
// CanonicalQueryString alone: each key and value decoded, re-encoded per RFC 3986 (unreserved
// characters kept, everything else %XX upper-case; '+' is a literal plus), pairs sorted by key
// then value, joined with '&'. A key without '=' is signed as "key=".
std::string canonical_query(std::string_view query);

// Hex SHA-256 of the payload: the x-amz-content-sha256 header when the client sent one,
// otherwise computed from the body (AWS's non-S3 services receive no such header from botocore).
std::string payload_hash(const SignedRequest& req);

// Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash,
// covering exactly the headers `auth` lists. Header values are trimmed, inner whitespace runs
// (including obs-fold line breaks) collapsed to one space, repeated headers joined with ','.
std::string canonical_request(const SignedRequest& req, const Authorization& auth,
                              const SigningRules& rules = {});

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>"
std::string string_to_sign(std::string_view amz_date, const Authorization& auth,
                           std::string_view canonical_request);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"), raw.
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// Lower-case hex HMAC(kSigning, string_to_sign) for the scope in `auth`.
std::string signature(std::string_view secret, const Authorization& auth,
                      std::string_view string_to_sign);

// AWS rejects requests signed more than this far from its clock, in either direction.
inline constexpr std::chrono::minutes kMaxClockSkew{15};

// Checks `req` against `auth` with `secret` at time `now`: X-Amz-Date present and within 15
// minutes, credential scope date equal to X-Amz-Date's day, host signed, a supplied
// x-amz-content-sha256 equal to the body's hash, and the signature itself (compared in constant
// time). Failures are InvalidSignatureException / IncompleteSignatureException in AWS's wording.
Status verify(const SignedRequest& req, const Authorization& auth, std::string_view secret,
              std::chrono::system_clock::time_point now, const SigningRules& rules = {});

}  // namespace runnel::auth
