// Value handling for SNS filter policies (filter_policy.cc): numbers as event-ruler compares them,
// IP addresses for cidr, case folding for equals-ignore-case, and wildcard patterns. Sources are
// cited with the short names listed at the top of filter_policy.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::pattern::filter_values {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The value in millionths, floored; nullopt when not a number or outside [-5e9, 5e9].
std::optional<int64_t> to_micros(std::string_view s);

enum class IpText { kNotIp, kInvalid, kOk };
// An IPv4 or IPv6 literal as event-ruler's CIDR.java reads one; `out` gets 4 or 16 bytes.
IpText parse_ip(std::string_view s, std::string& out);

// Lower-cases for equals-ignore-case.
std::string fold_case(std::string_view s);

// A wildcard pattern split at its wildcards: "a*b*" -> {"a", "b", ""}.
using Glob = std::vector<std::string>;
// Returns the error, if any.
std::optional<std::string> parse_glob(std::string_view text, Glob& glob, int& wildcards);
bool glob_matches(const Glob& glob, std::string_view v);

}  // namespace runnel::pattern::filter_values
