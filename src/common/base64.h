// Standard base64 (RFC 4648, with padding), as AWS JSON protocols carry blobs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace runnel {

std::string base64_encode(std::string_view bytes);
// Strict decode: nullopt on a character outside the alphabet or bad padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace runnel
