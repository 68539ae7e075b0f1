// The one place runnel hashes: SHA-256, HMAC-SHA256 and MD5 over OpenSSL's one-shot APIs. SigV4,
// SQS's message digests, SNS's tokens and Lambda's CodeSha256 and code URLs all use these.
#pragma once

#include <string>
#include <string_view>

namespace runnel {

// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Lower-case hex SHA-256, the form SigV4 puts in canonical requests and strings to sign.
std::string sha256_hex(std::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);
// Lower-case hex MD5 (SQS's MD5OfMessageBody and MD5OfMessageAttributes).
std::string md5_hex(std::string_view data);
// Compares in time independent of where the inputs differ, so a remote client cannot learn a
// correct signature byte by byte from response timing.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace runnel
