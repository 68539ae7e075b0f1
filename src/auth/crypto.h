// Hashing primitives SigV4 needs, over OpenSSL's one-shot APIs (internal to runnel_auth).
#pragma once

#include <string>
#include <string_view>

namespace runnel::auth::detail {

// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Lower-case hex SHA-256, the form SigV4 puts in canonical requests and strings to sign.
std::string sha256_hex(std::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);
// Compares in time independent of where the inputs differ, so a remote client cannot learn a
// correct signature byte by byte from response timing.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace runnel::auth::detail
