#include "pattern/filter_values.h"

#include <algorithm>

#include <fmt/format.h>

namespace runnel::pattern::filter_values {

namespace {
constexpr int64_t kNumberLimit = 5'000'000'000'000'000;  // 5e9 in millionths: [ruler] ComparableNumber
}  // namespace

// ---- Values: numbers, IP addresses, case folding, wildcards ------------------------------------

// event-ruler compares numbers as ComparableNumber: the value in millionths, floored, for values in
// [-5e9, 5e9] ([ruler] ComparableNumber; README: "limited to value between -5.0e9 and +5.0e9
// inclusive ... 6 digits to the right of the decimal point"). The SNS guide promises less
// ([constraints]: -1e9..1e9, five decimals). Parsed exactly from the text, so 300 == 3.0e2.
// nullopt: not a number, or outside the range (event-ruler then treats it as plain text).
std::optional<int64_t> to_micros(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  std::string digits;
  int64_t exponent = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) digits += s[i];
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i, --exponent) digits += s[i];
  }
  if (digits.empty()) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    bool negative_exponent = false;
    if (++i < s.size() && (s[i] == '+' || s[i] == '-')) negative_exponent = s[i++] == '-';
    if (i == s.size()) return std::nullopt;
    int64_t e = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) e = std::min<int64_t>(e * 10 + (s[i] - '0'), 1'000'000);
    exponent += negative_exponent ? -e : e;
  }
  if (i != s.size()) return std::nullopt;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return 0;
  const int64_t shift = exponent + 6;  // millionths = digits * 10^shift
  const int64_t whole_digits = static_cast<int64_t>(digits.size()) + shift;
  if (whole_digits > 16) return std::nullopt;  // >= 1e16 millionths
  int64_t whole = 0;
  bool fraction = false;
  if (shift >= 0) {
    for (char c : digits) whole = whole * 10 + (c - '0');
    for (int64_t k = 0; k < shift; ++k) whole *= 10;
  } else if (whole_digits <= 0) {
    fraction = true;
  } else {
    for (int64_t k = 0; k < whole_digits; ++k) whole = whole * 10 + (digits[k] - '0');
    fraction = digits.find_first_not_of('0', whole_digits) != std::string::npos;
  }
  if (whole > kNumberLimit || (whole == kNumberLimit && fraction)) return std::nullopt;
  return negative ? -whole - (fraction ? 1 : 0) : whole;
}

// An IP address literal as [ruler] CIDR.java reads one: text shaped like its IPv4 regex
// ([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+) or IPv6 regex ([0-9a-fA-F:]*:[0-9a-fA-F:]*), parsed as Java's
// InetAddress parses literals (which turns IPv4-mapped IPv6 addresses into IPv4). `out`: 4 or 16
// bytes, compared byte-wise (std::string compares chars as unsigned).

IpText parse_ipv4(std::string_view s, std::string& out) {
  out.clear();
  int value = 0, digits = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (digits == 0 || out.size() == 4) return IpText::kNotIp;
      out += static_cast<char>(value);
      value = digits = 0;
    } else if (is_digit(s[i])) {
      value = std::min(value * 10 + (s[i] - '0'), 1000);
      ++digits;
    } else {
      return IpText::kNotIp;
    }
    if (value > 255) return IpText::kInvalid;
  }
  return out.size() == 4 ? IpText::kOk : IpText::kNotIp;
}

// Hex groups separated by ':' ("" has none); false on an empty or over-long group.
bool ipv6_groups(std::string_view s, std::vector<uint16_t>& groups) {
  if (s.empty()) return true;
  for (size_t start = 0;;) {
    size_t end = std::min(s.find(':', start), s.size());
    if (end == start || end - start > 4) return false;
    uint16_t g = 0;
    for (size_t i = start; i < end; ++i) {
      char c = s[i];
      g = static_cast<uint16_t>(g * 16 + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10));
    }
    groups.push_back(g);
    if (end == s.size()) return true;
    start = end + 1;
  }
}

IpText parse_ip(std::string_view s, std::string& out) {
  if (s.find(':') == std::string_view::npos) return parse_ipv4(s, out);
  for (char c : s) {
    if (!is_digit(c) && c != ':' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'f')) return IpText::kNotIp;
  }
  size_t gap = s.find("::");
  if (gap != std::string_view::npos && s.find("::", gap + 1) != std::string_view::npos) return IpText::kInvalid;
  std::vector<uint16_t> head, tail;
  bool ok = gap == std::string_view::npos ? ipv6_groups(s, head)
                                          : ipv6_groups(s.substr(0, gap), head) && ipv6_groups(s.substr(gap + 2), tail);
  size_t n = head.size() + tail.size();
  if (!ok || (gap == std::string_view::npos ? n != 8 : n > 7)) return IpText::kInvalid;
  head.resize(8 - tail.size(), 0);
  head.insert(head.end(), tail.begin(), tail.end());
  out.clear();
  for (uint16_t g : head) {
    out += static_cast<char>(g >> 8);
    out += static_cast<char>(g & 0xff);
  }
  if (out.compare(0, 12, std::string(10, '\0') + "\xff\xff") == 0) out.erase(0, 12);  // ::ffff:a.b.c.d
  return IpText::kOk;
}

// equals-ignore-case compares lower-cased text. event-ruler folds with Java's full Unicode case
// mapping; this covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (all two-byte UTF-8).
uint32_t to_lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
    return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if ((c >= 0x100 && c <= 0x137 && c != 0x130) || (c >= 0x14A && c <= 0x177)) return c | 1;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
  if (c == 0x178) return 0xFF;
  return c;
}

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>(to_lower(b));
    } else if ((b & 0xE0) == 0xC0 && i + 1 < s.size()) {
      uint32_t c = to_lower(((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3Fu));
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += s[i];  // other code points are left as they are
    }
  }
  return out;
}


// [ruler] WildcardParser: no consecutive '*'; '\' escapes only '*' and '\'. Positions count the
// quote event-ruler puts before the value. Returns the error, if any.
std::optional<std::string> parse_glob(std::string_view text, Glob& glob, int& wildcards) {
  glob.assign(1, "");
  wildcards = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '*') {
      if (i + 1 < text.size() && text[i + 1] == '*') return fmt::format("Consecutive wildcard characters at pos {}", i + 1);
      glob.emplace_back();
      ++wildcards;
    } else if (text[i] == '\\') {
      if (i + 1 == text.size() || (text[i + 1] != '*' && text[i + 1] != '\\'))
        return fmt::format("Invalid escape character at pos {}", i + 1);
      glob.back() += text[++i];
    } else {
      glob.back() += text[i];
    }
  }
  return std::nullopt;
}

bool glob_matches(const Glob& glob, std::string_view v) {
  if (glob.size() == 1) return v == glob[0];
  const std::string& first = glob.front();
  const std::string& last = glob.back();
  if (v.size() < first.size() + last.size() || !v.starts_with(first) || !v.ends_with(last)) return false;
  std::string_view middle = v.substr(first.size(), v.size() - first.size() - last.size());
  for (size_t k = 1, pos = 0; k + 1 < glob.size(); ++k) {  // leftmost-first is exact for '*'-only globs
    pos = middle.find(glob[k], pos);
    if (pos == std::string_view::npos) return false;
    pos += glob[k].size();
  }
  return true;
}

}  // namespace runnel::pattern::filter_values
