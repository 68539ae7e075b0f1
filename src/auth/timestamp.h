// SigV4 timestamps: the ISO 8601 "basic format" X-Amz-Date (20150830T123600Z) and, as AWS also
// accepts, an RFC 7231 HTTP Date header (Sun, 30 Aug 2015 12:36:00 GMT).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (step 1: the date)
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::auth {

using Seconds = std::chrono::sys_seconds;

// "20150830T123600Z"; nullopt unless exactly that shape and a real calendar instant.
std::optional<Seconds> parse_amz_date(std::string_view text);
// "Sun, 30 Aug 2015 12:36:00 GMT" (IMF-fixdate only; the obsolete HTTP date forms are not
// accepted, no AWS SDK sends them).
std::optional<Seconds> parse_http_date(std::string_view text);
// Formats as "20150830T123600Z" (sub-second precision is dropped, as every SDK does).
std::string format_amz_date(std::chrono::system_clock::time_point t);

}  // namespace runnel::auth
