// libFuzzer entry for the SigV4 parsers: parse_authorization() and the canonical-request builder
// (path normalisation, query decoding/re-encoding, header collapsing) on arbitrary bytes.
//
// Input layout: the bytes are split at the first two NUL bytes into
//   <Authorization header value> \0 <request target> \0 <header block: "Name:value" lines>
// so the fuzzer can mutate each piece independently; missing pieces are empty.
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/sigv4_fuzz.cc
//        src/auth/*.cc (without *_test.cc) -lcrypto
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <string>
#include <string_view>

#include "auth/sigv4.h"

namespace {

std::string_view next_piece(std::string_view& rest) {
  const size_t nul = rest.find('\0');
  std::string_view piece = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  return piece;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace runnel::auth;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view authz = next_piece(rest);
  const std::string_view target = next_piece(rest);
  const std::string_view header_block = rest;

  SignedRequest req;
  req.method = "POST";
  req.target = target;
  req.body = header_block;  // any bytes will do for hashing
  size_t start = 0;
  while (start < header_block.size()) {
    size_t nl = header_block.find('\n', start);
    if (nl == std::string_view::npos) nl = header_block.size();
    const std::string_view line = header_block.substr(start, nl - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    start = nl + 1;
  }

  auto parsed = parse_authorization(authz);
  Authorization auth;
  if (parsed.ok()) {
    auth = *parsed;
    // Invariants canonical_request() relies on: a non-empty key, and signed header names
    // lower-case, sorted and unique.
    if (auth.access_key.empty()) std::abort();
    for (size_t i = 0; i < auth.signed_headers.size(); ++i) {
      for (char c : auth.signed_headers[i]) {
        if (c >= 'A' && c <= 'Z') std::abort();
      }
      if (i > 0 && !(auth.signed_headers[i - 1] < auth.signed_headers[i])) std::abort();
    }
  } else {
    auth.signed_headers = {"host", "x-amz-date"};
  }
  for (SigningRules rules : {SigningRules{true}, SigningRules{false}}) {
    const std::string creq = canonical_request(req, auth, rules);
    const std::string uri = canonical_uri(target.substr(0, target.find('?')), rules);
    if (uri.empty() || creq.find(uri) == std::string::npos) std::abort();
  }
  (void)verify(req, auth, "secret", std::chrono::system_clock::now());
  return 0;
}
