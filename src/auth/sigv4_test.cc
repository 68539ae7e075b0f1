// SigV4: AWS's own test vectors (aws-c-auth v4 suite, /work/shared/testdata/sigv4), the error
// wording AWS uses, the credential store, and an optional cross-check against botocore.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/auth_error.h"
#include "auth/authenticate.h"
#include "auth/credentials.h"
#include "auth/signer.h"
#include "auth/sigv4.h"
#include "auth/timestamp.h"

#ifndef SIGV4_VECTORS
#error "SIGV4_VECTORS must name the vector folder (set by src/auth/CMakeLists.txt)"
#endif

namespace runnel::auth {
namespace {

namespace fs = std::filesystem;
using std::chrono::minutes;
using std::chrono::system_clock;

constexpr std::string_view kAkid = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

system_clock::time_point at(std::string_view amz_date) {
  auto t = parse_amz_date(amz_date);
  EXPECT_TRUE(t.has_value()) << amz_date;
  return system_clock::time_point{t.value_or(Seconds{})};
}

const system_clock::time_point kVectorTime = at("20150830T123600Z");

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << p;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// An HTTP request read from a vector file, owning its bytes; view() gives the SignedRequest.
struct HttpText {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;

  SignedRequest view() const {
    SignedRequest r{method, target, {}, body};
    for (const auto& [k, v] : headers) r.headers.emplace_back(k, v);
    return r;
  }
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

// Request line "METHOD TARGET HTTP/1.1" (the target may hold raw spaces: get-space-*), then
// "Name:value" lines where a line starting with whitespace continues the previous value
// (get-header-value-multiline), a blank line, then the body.
HttpText parse_http(const std::string& text) {
  HttpText req;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const size_t first = line.find(' '), last = line.rfind(' ');
  req.method = line.substr(0, first);
  req.target = line.substr(first + 1, last - first - 1);
  while (std::getline(in, line)) {
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      req.headers.back().second += "\n" + line;
      continue;
    }
    const size_t colon = line.find(':');
    req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  const size_t blank = text.find("\n\n");
  if (blank != std::string::npos) req.body = text.substr(blank + 2);
  return req;
}

// The few fields of context.json the cases use; keys are unique so a text search suffices.
std::string json_string(const std::string& json, const std::string& key) {
  const size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return {};
  const size_t open = json.find('"', json.find(':', k) + 1);
  return json.substr(open + 1, json.find('"', open + 1) - open - 1);
}
bool json_bool(const std::string& json, const std::string& key, bool fallback) {
  const size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return fallback;
  const size_t v = json.find_first_not_of(" \t\n:", k + key.size() + 2);
  return json.compare(v, 4, "true") == 0;
}

std::vector<std::string> vector_cases() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(SIGV4_VECTORS, ec)) {
    if (e.is_directory() && fs::exists(e.path() / "context.json")) {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The suite must be present: a checkout without it would otherwise pass with zero cases run.
TEST(Sigv4Vectors, SuiteIsPresent) {
  ASSERT_TRUE(fs::is_directory(SIGV4_VECTORS))
      << "SigV4 vector folder missing: " << SIGV4_VECTORS
      << " (expected the shared checkout beside the repository)";
  EXPECT_GE(vector_cases().size(), 38u) << "vector suite looks truncated";
}

class Sigv4Vector : public ::testing::TestWithParam<std::string> {};

TEST_P(Sigv4Vector, CanonicalRequestStringToSignSignatureAndVerify) {
  const fs::path dir = fs::path(SIGV4_VECTORS) / GetParam();
  const std::string context = read_file(dir / "context.json");
  ASSERT_EQ(json_string(context, "access_key_id"), kAkid);
  ASSERT_EQ(json_string(context, "secret_access_key"), kSecret);
  ASSERT_EQ(json_string(context, "timestamp"), "2015-08-30T12:36:00Z");
  SigningRules rules;
  rules.normalize_path = json_bool(context, "normalize", true);

  const HttpText signed_text = parse_http(read_file(dir / "header-signed-request.txt"));
  const SignedRequest req = signed_text.view();
  const std::string authz = signed_text.header("Authorization");
  auto auth = parse_authorization(authz);
  ASSERT_TRUE(auth.ok()) << auth.error().message;
  EXPECT_EQ(auth->access_key, kAkid);
  EXPECT_EQ(auth->date, "20150830");
  EXPECT_EQ(auth->region, "us-east-1");
  EXPECT_EQ(auth->service, "service");

  const std::string creq = canonical_request(req, *auth, rules);
  EXPECT_EQ(creq, read_file(dir / "header-canonical-request.txt"));
  ASSERT_EQ(request_timestamp(req).value_or(""), "20150830T123600Z");
  const std::string sts = string_to_sign("20150830T123600Z", *auth, creq);
  EXPECT_EQ(sts, read_file(dir / "header-string-to-sign.txt"));
  const std::string sig = signature(kSecret, *auth, sts);
  EXPECT_EQ(sig, read_file(dir / "header-signature.txt"));
  EXPECT_EQ(auth->signature, sig);

  const Status ok = verify(req, *auth, kSecret, kVectorTime, rules);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(verify(req, *auth, kSecret, kVectorTime + minutes(15), rules).ok());
  EXPECT_TRUE(verify(req, *auth, kSecret, kVectorTime - minutes(15), rules).ok());

  // Tampering with any one of signature, secret or request must be caught.
  Authorization tampered = *auth;
  tampered.signature.back() = tampered.signature.back() == '0' ? '1' : '0';
  const Status bad = verify(req, tampered, kSecret, kVectorTime, rules);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(auth_error_kind(bad.error()), AuthErrorKind::kSignatureMismatch);
  EXPECT_EQ(bad.error().message, kSignatureMismatchMessage);
  EXPECT_FALSE(verify(req, *auth, "wrong-secret", kVectorTime, rules).ok());
  SignedRequest other_method = req;
  other_method.method = req.method == "GET" ? "POST" : "GET";
  EXPECT_FALSE(verify(other_method, *auth, kSecret, kVectorTime, rules).ok());

  // "-unnormalized" cases carry S3's rule (normalize=false). runnel serves non-S3 services only,
  // so with its default rules a dot-segment or double-slash path signed S3-style is rejected.
  if (!rules.normalize_path && canonical_request(req, *auth) != creq) {
    EXPECT_FALSE(verify(req, *auth, kSecret, kVectorTime).ok());
  }

  // The signer, from the unsigned request.txt, must reproduce the vector's Authorization.
  const HttpText unsigned_text = parse_http(read_file(dir / "request.txt"));
  SigningParams params;
  params.region = "us-east-1";
  params.service = "service";
  params.access_key = kAkid;
  params.secret = kSecret;
  params.time = kVectorTime;
  const std::string token = json_string(context, "token");
  params.session_token = token;
  params.sign_session_token = !json_bool(context, "omit_session_token", false);
  params.add_content_sha256 = json_bool(context, "sign_body", false);
  params.rules = rules;
  const SigningResult signed_out = sign_headers(unsigned_text.view(), params);
  EXPECT_EQ(signed_out.authorization, authz);
  EXPECT_EQ(signed_out.amz_date, signed_text.header("X-Amz-Date"));
  if (!token.empty()) {
    EXPECT_EQ(signed_text.header("X-Amz-Security-Token"), token);
  }
}

INSTANTIATE_TEST_SUITE_P(Aws, Sigv4Vector, ::testing::ValuesIn(vector_cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// --- Authorization header parsing --------------------------------------------------------------

TEST(ParseAuthorization, AcceptsCommaOnlySeparatorsAndNormalisesSignedHeaders) {
  auto a = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=k/20150830/eu-west-1/sqs/aws4_request,"
      "SignedHeaders=X-Amz-Date;Host;host,Signature=abc");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->region, "eu-west-1");
  EXPECT_EQ(a->service, "sqs");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(a->scope(), "20150830/eu-west-1/sqs/aws4_request");
}

TEST(ParseAuthorization, NonSigV4SchemesAreAMissingToken) {
  // DynamoDB treats anything not starting "AWS4-" as no authentication at all.
  auto a = parse_authorization("Basic dXNlcjpwYXNz");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "MissingAuthenticationTokenException");
  EXPECT_EQ(a.error().message, "Request is missing Authentication Token");
  EXPECT_EQ(a.error().json_namespace, "com.amazon.coral.service");
  EXPECT_EQ(a.error().http_status, 400);
  EXPECT_EQ(auth_error_kind(a.error()), AuthErrorKind::kMissingToken);
}

TEST(ParseAuthorization, AllMissingParametersAndDateInOneMessage) {
  auto a = parse_authorization("AWS4-HMAC-SHA256 Credential=, Foo=bar", /*has_date_header=*/false);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "IncompleteSignatureException");
  EXPECT_EQ(a.error().message,
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. Authorization=AWS4-HMAC-SHA256 Credential=, Foo=bar");
}

TEST(ParseAuthorization, OnlySha256IsSupported) {
  auto a = parse_authorization(
      "AWS4-ECDSA-P256-SHA256 Credential=k/20150830/us-east-1/sqs/aws4_request, "
      "SignedHeaders=host, Signature=00");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "IncompleteSignatureException");
  EXPECT_EQ(a.error().message,
            "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for "
            "now). ");
}

TEST(ParseAuthorization, TrailingSlashesInCredentialAreIgnored) {
  auto a = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=k/20150830/us-east-1/sqs/aws4_request//, SignedHeaders=host, "
      "Signature=00");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->service, "sqs");
}

TEST(ParseAuthorization, ListsOnlyTheMissingParameters) {
  auto a = parse_authorization("AWS4-HMAC-SHA256 Credential=k/20150830/r/s/aws4_request");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message,
            "Authorization header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 "
            "Credential=k/20150830/r/s/aws4_request");
}

TEST(ParseAuthorization, SpaceInsideCredentialIsAMissingEqualSign) {
  const std::string h =
      "AWS4-HMAC-SHA256 Credential=AKID /20150830/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=host, Signature=00";
  auto a = parse_authorization(h);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "IncompleteSignatureException");
  EXPECT_EQ(a.error().message, "'/20150830/us-east-1/dynamodb/aws4_request' not a valid key=value "
                               "pair (missing equal-sign) in Authorization header: '" + h + "'.");
}

TEST(ParseAuthorization, CredentialNeedsFiveElementsAndTheTerminator) {
  auto four = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=k/20150830/us-east-1/aws4_request, SignedHeaders=host, "
      "Signature=00");
  ASSERT_FALSE(four.ok());
  EXPECT_EQ(four.error().message,
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got 'k/20150830/us-east-1/aws4_request'");
  auto term = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=k/20150830/us-east-1/sqs/aws5_request, SignedHeaders=host, "
      "Signature=00");
  ASSERT_FALSE(term.ok());
  EXPECT_EQ(term.error().code, "InvalidSignatureException");
  EXPECT_EQ(term.error().message,
            "Credential should be scoped with a valid terminator: 'aws4_request', not "
            "'aws5_request'.");
}

// --- Canonical pieces ---------------------------------------------------------------------------

TEST(CanonicalUri, NonS3PathsAreEncodedTwice) {
  // aws-reference.md 7.1, seen from botocore against Lambda.
  EXPECT_EQ(canonical_uri("/2015-03-31/functions/my%20fn%3A%24LATEST/invocations"),
            "/2015-03-31/functions/my%2520fn%253A%2524LATEST/invocations");
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/a/b/../c/./d/"), "/a/c/d/");
  EXPECT_EQ(canonical_uri("/a/b/.."), "/a");
  EXPECT_EQ(canonical_uri("/.."), "/");
}

TEST(CanonicalQuery, DecodesReencodesAndSorts) {
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(canonical_query("flag&x="), "flag=&x=");
  EXPECT_EQ(canonical_query("k=%7e%2fa%20b+c"), "k=~%2Fa%20b%2Bc");
  EXPECT_EQ(canonical_query("a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(canonical_query("bad=%zz%4"), "bad=%25zz%254");
  EXPECT_EQ(canonical_query("FunctionName=fn&Marker=%24"), "FunctionName=fn&Marker=%24");
}

TEST(PayloadHash, UsesHeaderWhenPresentElseBody) {
  SignedRequest r{"POST", "/", {}, "{}"};
  EXPECT_EQ(payload_hash(r), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  r.headers.emplace_back("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
  EXPECT_EQ(payload_hash(r), "UNSIGNED-PAYLOAD");
}

// --- verify() beyond the vectors ----------------------------------------------------------------

// A DynamoDB-shaped request signed by our signer, verified with our verifier.
struct SignedFixture {
  std::string body = R"({"TableName":"messages"})";
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "localhost:4566"},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Target", "DynamoDB_20120810.DescribeTable"}};

  SignedRequest request(system_clock::time_point t, std::string_view key = kAkid,
                        bool content_sha = false) {
    SignedRequest r{"POST", "/", {}, body};
    for (const auto& [k, v] : headers) r.headers.emplace_back(k, v);
    SigningParams p;
    p.region = "us-west-2";
    p.service = "dynamodb";
    p.access_key = key;
    p.secret = kSecret;
    p.time = t;
    p.add_content_sha256 = content_sha;
    SigningResult signed_out = sign_headers(r, p);
    for (auto& h : signed_out.headers_to_add) headers.push_back(std::move(h));
    SignedRequest out{"POST", "/", {}, body};
    for (const auto& [k, v] : headers) out.headers.emplace_back(k, v);
    return out;
  }
};

Authorization authorization_of(const SignedRequest& r) {
  auto a = parse_authorization(find_header(r, "Authorization").value_or(""));
  EXPECT_TRUE(a.ok());
  return a.ok() ? *a : Authorization{};
}

TEST(Verify, ClockSkewMessagesMatchAws) {
  SignedFixture f;
  const SignedRequest r = f.request(at("20150830T123600Z"));
  const Authorization a = authorization_of(r);
  const Status late = verify(r, a, kSecret, at("20150830T125101Z"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(auth_error_kind(late.error()), AuthErrorKind::kSignatureExpired);
  EXPECT_EQ(late.error().code, "InvalidSignatureException");
  EXPECT_EQ(late.error().message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T125101Z - 15 min.)");
  const Status early = verify(r, a, kSecret, at("20150830T122059Z"));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(auth_error_kind(early.error()), AuthErrorKind::kSignatureExpired);
  EXPECT_EQ(early.error().message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
            "(20150830T122059Z + 15 min.)");
}

TEST(Verify, RequiresDateMatchingScopeAndSignedHost) {
  SignedFixture f;
  SignedRequest r = f.request(at("20150830T123600Z"));
  Authorization a = authorization_of(r);

  SignedRequest no_date = r;
  std::erase_if(no_date.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  const Status missing = verify(no_date, a, kSecret, kVectorTime);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "IncompleteSignatureException");
  EXPECT_EQ(missing.error().message,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. Authorization=" + std::string(*find_header(r, "Authorization")));
  const auto via_authenticate = authenticate(no_date, nullptr, kVectorTime);
  ASSERT_FALSE(via_authenticate.ok());
  EXPECT_TRUE(via_authenticate.error().message.starts_with(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
      "Authorization=AWS4-HMAC-SHA256 Credential="))
      << via_authenticate.error().message;

  SignedRequest bad_date = r;
  for (auto& h : bad_date.headers) {
    if (h.first == "X-Amz-Date") h.second = "2015-08-30T12:36:00Z";
  }
  const Status bad = verify(bad_date, a, kSecret, kVectorTime);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See "
            "http://en.wikipedia.org/wiki/ISO_8601");

  Authorization other_day = a;
  other_day.date = "20150831";
  const Status day = verify(r, other_day, kSecret, kVectorTime);
  ASSERT_FALSE(day.ok());
  EXPECT_EQ(day.error().message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            "HTTP: '20150831' != '20150830', from '20150830T123600Z'.");

  Authorization no_host = a;
  std::erase(no_host.signed_headers, "host");
  EXPECT_FALSE(verify(r, no_host, kSecret, kVectorTime).ok());
}

TEST(Verify, BodyIsCoveredWithOrWithoutContentShaHeader) {
  for (bool content_sha : {false, true}) {
    SignedFixture f;
    SignedRequest r = f.request(kVectorTime, kAkid, content_sha);
    const Authorization a = authorization_of(r);
    ASSERT_TRUE(verify(r, a, kSecret, kVectorTime).ok()) << content_sha;
    r.body = R"({"TableName":"other"})";
    const Status s = verify(r, a, kSecret, kVectorTime);
    ASSERT_FALSE(s.ok()) << content_sha;
    EXPECT_EQ(auth_error_kind(s.error()), AuthErrorKind::kSignatureMismatch);
  }
}

TEST(Verify, HttpDateHeaderIsAcceptedWhenNoAmzDate) {
  // AWS's original suite signed with "Date: Mon, 09 Sep 2011 23:36:00 GMT"; the string to sign
  // then carries its ISO 8601 form.
  SignedRequest r{"GET", "/", {{"Host", "h"}, {"Date", "Mon, 09 Sep 2011 23:36:00 GMT"}}, ""};
  EXPECT_EQ(request_timestamp(r).value_or(""), "20110909T233600Z");
  r.headers[1].second = "Mon, 09 Sep 2011 23:36:00 UTC";
  EXPECT_FALSE(request_timestamp(r).has_value());
}

// --- Credentials, accounts, the authenticate() pipeline ------------------------------------------

TEST(CredentialStore, ParsesBothFormsCommentsAndRejectsBadLines) {
  auto s = CredentialStore::parse(
      "# local keys\n\nAKIDEXAMPLE  wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\r\n"
      "123456789012=s3cr=t\n\tother\tsecret with spaces\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(s->lookup("AKIDEXAMPLE").value_or(""), kSecret);
  EXPECT_EQ(s->lookup("123456789012").value_or(""), "s3cr=t");
  EXPECT_EQ(s->lookup("other").value_or(""), "secret with spaces");
  EXPECT_FALSE(s->lookup("nobody").has_value());
  const auto unknown = s->secret_for("nobody");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "UnrecognizedClientException");
  EXPECT_EQ(unknown.error().message, "The security token included in the request is invalid.");

  auto bad = CredentialStore::parse("ok secret\nlonely\n", "creds.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("creds.txt:2"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(CredentialStore::parse("k a\nk b\n").ok());
  EXPECT_FALSE(CredentialStore::parse("k=\n").ok());
  EXPECT_FALSE(CredentialStore::load_file("/nonexistent/runnel-creds").ok());
}

TEST(Accounts, TwelveDigitKeysAreTheAccount) {
  EXPECT_EQ(account_for_access_key("123456789012"), "123456789012");
  EXPECT_EQ(account_for_access_key("12345678901"), "000000000000");
  EXPECT_EQ(account_for_access_key("12345678901a"), "000000000000");
  EXPECT_EQ(account_for_access_key("AKIDEXAMPLE"), "000000000000");
  EXPECT_EQ(account_for_access_key(""), "000000000000");
}

TEST(Authenticate, MissingHeaderUnknownKeyAndSuccess) {
  SignedRequest bare{"POST", "/", {{"Host", "h"}}, ""};
  auto missing = authenticate(bare, nullptr, kVectorTime);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "MissingAuthenticationTokenException");
  EXPECT_EQ(missing.error().message, "Request is missing Authentication Token");

  CredentialStore store;
  store.add(std::string(kAkid), std::string(kSecret));
  SignedFixture f;
  const SignedRequest r = f.request(kVectorTime);
  auto id = authenticate(r, &store, kVectorTime);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->account_id, "000000000000");
  EXPECT_EQ(id->region, "us-west-2");
  EXPECT_EQ(id->service, "dynamodb");

  SignedFixture g;
  const SignedRequest acct = g.request(kVectorTime, "123456789012");
  auto unknown = authenticate(acct, &store, kVectorTime);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(auth_error_kind(unknown.error()), AuthErrorKind::kUnrecognizedClient);
  // Verification off: any key is accepted, and a 12-digit key names the account.
  auto open = authenticate(acct, nullptr, kVectorTime + std::chrono::hours(48));
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->account_id, "123456789012");
}

TEST(ErrorForService, QueryServicesUse403AndIamCodes) {
  const ApiError mismatch = make_auth_error(AuthErrorKind::kSignatureMismatch,
                                            std::string(kSignatureMismatchMessage));
  const ApiError sqs = error_for_service(mismatch, "sqs");
  EXPECT_EQ(sqs.code, "SignatureDoesNotMatch");
  EXPECT_EQ(sqs.http_status, 403);
  EXPECT_EQ(sqs.message, kSignatureMismatchMessage);
  EXPECT_EQ(error_for_service(unrecognized_client(), "sns").code, "InvalidClientTokenId");
  EXPECT_EQ(error_for_service(missing_authentication_token(), "lambda").http_status, 403);
  EXPECT_EQ(error_for_service(mismatch, "dynamodb").http_status, 400);
  const ApiError other = ApiError::validation("x");
  EXPECT_EQ(error_for_service(other, "sqs").code, "ValidationException");
}

TEST(Timestamps, ParseAndFormat) {
  EXPECT_EQ(format_amz_date(at("20240229T235959Z")), "20240229T235959Z");
  EXPECT_FALSE(parse_amz_date("20230229T000000Z").has_value());
  EXPECT_FALSE(parse_amz_date("2015-08-30T12:36:00Z").has_value());
  EXPECT_FALSE(parse_amz_date("20150830T1236000").has_value());
  EXPECT_TRUE(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").has_value());
}

// --- botocore cross-check (optional) ------------------------------------------------------------

#ifdef RUNNEL_PYTHON3
// botocore signs three request shapes (Lambda REST with an encoded path and query, DynamoDB JSON,
// SNS Query form) at the current time; our verifier must accept each and reject it once the body
// changes. Runs under every python3 found (the image's botocore 1.43 and Debian's 1.29); skipped,
// not failed, when none can import botocore.
constexpr std::string_view kBotocoreScript = R"PY(
import sys
try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except Exception:
    sys.exit(3)
creds = Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')
cases = [
    ('lambda', '/2015-03-31/functions/my%20fn%3A%24LATEST/invocations?Qualifier=%24LATEST&b=a%20b',
     b'{"k": "v w"}', {'Content-Type': 'application/json', 'X-Amz-Invocation-Type': 'Event'}),
    ('dynamodb', '/', b'{"TableName": "messages"}',
     {'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.GetItem'}),
    ('sns', '/', b'Action=Publish&Message=a%20b%2Bc&Version=2010-03-31',
     {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}),
]
for service, target, body, headers in cases:
    req = AWSRequest(method='POST', url='http://localhost:4566' + target, data=body, headers=headers)
    SigV4Auth(creds, service, 'eu-central-1').add_auth(req)
    print('>' + service + '\t' + target + '\t' + body.decode())
    for k, v in req.headers.items():
        print(k + '\t' + v)
)PY";

struct BotocoreRequest {
  std::string service, target, body;
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "localhost:4566"}};
  SignedRequest view() const {
    SignedRequest r{"POST", target, {}, body};
    for (const auto& [k, v] : headers) r.headers.emplace_back(k, v);
    return r;
  }
};

// Runs the script under `python`; nullopt when botocore cannot be imported there.
std::optional<std::vector<BotocoreRequest>> sign_with_botocore(const std::string& python) {
  const fs::path file =
      fs::temp_directory_path() / ("runnel_sigv4_botocore_" + std::to_string(::getpid()) + ".py");
  std::ofstream(file) << kBotocoreScript;
  FILE* p = ::popen((python + " " + file.string() + " 2>&1").c_str(), "r");
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = ::pclose(p);
  fs::remove(file);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) return std::nullopt;
  EXPECT_EQ(rc, 0) << out;
  std::vector<BotocoreRequest> reqs;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const size_t t1 = line.find('\t');
    if (t1 == std::string::npos) continue;
    if (line[0] == '>') {
      const size_t t2 = line.find('\t', t1 + 1);
      reqs.push_back({line.substr(1, t1 - 1), line.substr(t1 + 1, t2 - t1 - 1),
                      line.substr(t2 + 1)});
    } else if (!reqs.empty()) {
      reqs.back().headers.emplace_back(line.substr(0, t1), line.substr(t1 + 1));
    }
  }
  return reqs;
}

TEST(Botocore, SignaturesVerify) {
  std::vector<std::string> pythons = {RUNNEL_PYTHON3};
  if (fs::exists("/usr/bin/python3") && pythons[0] != "/usr/bin/python3") {
    pythons.push_back("/usr/bin/python3");
  }
  CredentialStore store;
  store.add(std::string(kAkid), std::string(kSecret));
  int checked = 0;
  for (const std::string& python : pythons) {
    SCOPED_TRACE(python);
    const auto reqs = sign_with_botocore(python);
    if (!reqs) continue;
    EXPECT_EQ(reqs->size(), 3u);
    for (const BotocoreRequest& br : *reqs) {
      SCOPED_TRACE(br.service + " " + br.target);
      auto id = authenticate(br.view(), &store, system_clock::now());
      ASSERT_TRUE(id.ok()) << id.error().message;
      EXPECT_EQ(id->service, br.service);
      EXPECT_EQ(id->region, "eu-central-1");
      BotocoreRequest tampered = br;
      tampered.body += " ";
      EXPECT_FALSE(authenticate(tampered.view(), &store, system_clock::now()).ok());
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "no python3 with botocore";
}
#endif

}  // namespace
}  // namespace runnel::auth
