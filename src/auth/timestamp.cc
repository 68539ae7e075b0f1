#include "auth/timestamp.h"

#include <array>
#include <cstdio>

namespace runnel::auth {
namespace {

// Reads `n` ASCII digits at `pos`; nullopt on any non-digit or overrun.
std::optional<int> digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<Seconds> make_instant(int y, int mon, int d, int h, int mi, int sec) {
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mon)},
                           day{static_cast<unsigned>(d)}};
  // 60 allows a leap second as written by a client; it normalises into the next minute.
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
}

}  // namespace

std::optional<Seconds> parse_amz_date(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto y = digits(s, 0, 4), mo = digits(s, 4, 2), d = digits(s, 6, 2);
  auto h = digits(s, 9, 2), mi = digits(s, 11, 2), sec = digits(s, 13, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  return make_instant(*y, *mo, *d, *h, *mi, *sec);
}

std::optional<Seconds> parse_http_date(std::string_view s) {
  // IMF-fixdate, RFC 7231 section 7.1.1.1: "Sun, 06 Nov 1994 08:49:37 GMT" (29 chars).
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int mon = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(8, 3) == kMonths[i]) mon = static_cast<int>(i) + 1;
  }
  auto d = digits(s, 5, 2), y = digits(s, 12, 4);
  auto h = digits(s, 17, 2), mi = digits(s, 20, 2), sec = digits(s, 23, 2);
  if (mon == 0 || !d || !y || !h || !mi || !sec) return std::nullopt;
  return make_instant(*y, mon, *d, *h, *mi, *sec);
}

std::string format_amz_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day_point = floor<days>(secs);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{secs - day_point};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace runnel::auth
