// HTTP content codings (RFC 9110 8.4): request bodies sent with Content-Encoding gzip or deflate
// (botocore compresses some requests, e.g. CloudWatch's PutMetricData; browsers and other SDKs may
// compress any), and responses gzipped for a client that sends Accept-Encoding: gzip.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-compression.html
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/message.h"

namespace runnel::http {

struct DecodedBody {
  enum class Status {
    kOk,
    kUnsupported,  // a coding runnel does not know ("br", "compress")
    kMalformed,    // not valid data of its coding
    kTooLarge,     // would decode to more than the limit
  };
  Status status = Status::kOk;
  std::string body;
  std::string detail;  // what was wrong, for the error message
};

// Whether a Content-Encoding value names any coding besides identity.
bool is_encoded(std::string_view content_encoding);

// Undoes `content_encoding` (a comma-separated list, applied in the order listed: the last is
// undone first) on `body`, producing at most `max_bytes` (a small body must not expand into a
// large one). "gzip" and "x-gzip" are gzip (RFC 1952, several members allowed); "deflate" is the
// zlib format (RFC 1950), or a raw deflate stream as some clients send it; "identity" is nothing.
DecodedBody decode_content(std::string_view content_encoding, std::string_view body, size_t max_bytes);

// Whether an Accept-Encoding value accepts gzip (gzip, x-gzip or *, with a q-value above 0).
bool accepts_gzip(std::string_view accept_encoding);

// `body` gzipped (fast level: the I/O thread pays for it), or nullopt when zlib fails.
std::optional<std::string> gzip(std::string_view body);

// Responses smaller than this go as they are: below it, compression saves little and costs a
// deflate stream's setup.
inline constexpr size_t kGzipResponsesFrom = 1024;

// Gzips `response` in place when `accept_encoding` accepts gzip, its body is at least
// kGzipResponsesFrom bytes and it has no Content-Encoding yet: sets Content-Encoding: gzip, and a
// DynamoDB x-amz-crc32 is recomputed over the compressed bytes, the bytes sent, as AWS's is.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html#Programming.LowLevelAPI.DataIntegrity
void gzip_response(protocol::Response& response, std::string_view accept_encoding);

}  // namespace runnel::http
