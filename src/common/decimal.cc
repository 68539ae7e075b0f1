// Decimal: DynamoDB's Number. See decimal.h for the representation.
//
// What DynamoDB accepts and how it words its refusals
// ---------------------------------------------------
// Limits: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
// (38 significant digits; 1E-130 .. 9.9999999999999999999999999999999999999E+125, mirrored).
// The messages are not in AWS's docs; they are the ones recorded against the real service by
// dynalite's test suite (mhart/dynalite, test/batchWriteItem.js etc.) and used by moto 5.x:
//   - unparsable: "The parameter cannot be converted to a numeric value: <text>", and without the
//     ": <text>" suffix when the text is empty. (DynamoDB *Local* says "A value provided cannot be
//     converted into a number" instead; we follow the service.)
//   - "Number overflow. Attempting to store a number with magnitude larger than supported range"
//   - "Number underflow. Attempting to store a number with magnitude smaller than supported range"
//   - "Attempting to store more than 38 significant digits in a Number"
// The magnitude checks come before the precision check (dynalite's order), so a 39-digit number
// beyond 1E+126 reports overflow.
//
// The service behaves like Java's BigDecimal, and we follow it where it shows:
//   - syntax: [+-] digits [. digits] [(e|E) [+-] digits], at least one mantissa digit; "1." and
//     ".5" are fine; whitespace, "NaN", "Infinity", hex, "1e" are not. An exponent that does not
//     fit a 32-bit int (or makes the scale leave it) is unparsable, not an overflow — which also
//     keeps "1e99999999999999999999" from overflowing our integer math.
//   - zero keeps its nominal exponent for the range check: DynamoDB refuses "0e126" and "0e-131"
//     but accepts "0.0e126" (BigDecimal's precision - scale - 1 = 125). ScyllaDB's alternator
//     tests record this (test/alternator/test_number.py, test_number_magnitude_not_allowed_zero).
//   - arithmetic (SET a = b + c, ADD) is exact; a result that would need more than 38 digits is
//     refused with the *overflow* message even when the magnitude is in range (e.g. 1e50 + 1),
//     as ScyllaDB's test_update_expression_plus_imprecise records. A result below 1E-130 (e.g.
//     1.1e-130 - 1e-130) is an underflow.
#include "common/decimal.h"

#include <array>
#include <cassert>
#include <charconv>
#include <limits>

namespace runnel {
namespace {

using u128 = unsigned __int128;

constexpr int kMaxDigits = 38;
constexpr int kMaxAdjusted = 125;   // 9.99..E+125
constexpr int kMinAdjusted = -130;  // 1E-130

constexpr std::array<u128, kMaxDigits + 1> make_pow10() {
  std::array<u128, kMaxDigits + 1> p{};
  p[0] = 1;
  for (int i = 1; i <= kMaxDigits; ++i) p[i] = p[i - 1] * 10;
  return p;
}
constexpr auto kPow10 = make_pow10();  // 10^0 .. 10^38; 10^38 < 2^127

int digit_count(u128 v) {
  int n = 1;
  while (n <= kMaxDigits && v >= kPow10[n]) ++n;
  return n;
}

// Decimal digits of v, most significant first ("0" for 0).
std::string digits_of(u128 v) {
  constexpr uint64_t k1e19 = 10000000000000000000ull;
  char buf[48];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    uint64_t chunk = static_cast<uint64_t>(v % k1e19);
    v /= k1e19;
    for (int i = 0; i < 19 && (chunk != 0 || v != 0); ++i) {
      *--p = static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  } while (v != 0);
  if (p == end) *--p = '0';
  return std::string(p, end);
}

ApiError not_a_number(std::string_view text) {
  std::string msg(Decimal::kNotANumberMessage);
  if (!text.empty()) {
    msg += ": ";
    msg += text;
  }
  return ApiError::validation(std::move(msg));
}

std::optional<ApiError> range_error(int64_t adjusted) {
  if (adjusted > kMaxAdjusted) return ApiError::validation(std::string(Decimal::kOverflowMessage));
  if (adjusted < kMinAdjusted) return ApiError::validation(std::string(Decimal::kUnderflowMessage));
  return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A 256-bit unsigned integer, just wide enough for add/subtract: an aligned 38-digit coefficient
// times at most 10^38 stays below 10^76 < 2^253 (see Decimal::add for why no wider shift is needed).
struct U256 {
  std::array<uint64_t, 4> w{};  // little-endian limbs

  explicit U256(u128 v) {
    w[0] = static_cast<uint64_t>(v);
    w[1] = static_cast<uint64_t>(v >> 64);
  }
  bool is_zero() const { return (w[0] | w[1] | w[2] | w[3]) == 0; }
  bool fits_u128() const { return (w[2] | w[3]) == 0; }
  u128 to_u128() const { return (static_cast<u128>(w[1]) << 64) | w[0]; }

  void mul_small(uint64_t m) {
    u128 carry = 0;
    for (auto& limb : w) {
      u128 t = static_cast<u128>(limb) * m + carry;
      limb = static_cast<uint64_t>(t);
      carry = t >> 64;
    }
    assert(carry == 0);
  }
  void mul_pow10(int k) {
    while (k > 0) {
      int step = k > 19 ? 19 : k;
      mul_small(static_cast<uint64_t>(kPow10[step]));
      k -= step;
    }
  }
  // Divides by d in place and returns the remainder.
  uint64_t divmod_small(uint64_t d) {
    u128 rem = 0;
    for (int i = 3; i >= 0; --i) {
      u128 cur = (rem << 64) | w[i];
      w[i] = static_cast<uint64_t>(cur / d);
      rem = cur % d;
    }
    return static_cast<uint64_t>(rem);
  }
  void add(const U256& o) {
    u128 carry = 0;
    for (int i = 0; i < 4; ++i) {
      u128 t = static_cast<u128>(w[i]) + o.w[i] + carry;
      w[i] = static_cast<uint64_t>(t);
      carry = t >> 64;
    }
    assert(carry == 0);
  }
  void sub(const U256& o) {  // requires *this >= o
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
      uint64_t a = w[i], b = o.w[i];
      uint64_t d = a - b - borrow;
      borrow = (a < b || (a == b && borrow)) ? 1 : 0;
      w[i] = d;
    }
    assert(borrow == 0);
  }
  friend std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i)
      if (a.w[i] != b.w[i]) return a.w[i] <=> b.w[i];
    return std::strong_ordering::equal;
  }
  friend bool operator==(const U256& a, const U256& b) = default;
};

}  // namespace

// --- parsing ----------------------------------------------------------------------------------

Result<Decimal> Decimal::parse(std::string_view text) {
  const size_t n = text.size();
  if (n == 0) return not_a_number(text);
  size_t i = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++i;
  }
  const size_t int_begin = i;
  while (i < n && is_digit(text[i])) ++i;
  const size_t int_digits = i - int_begin;
  size_t frac_begin = i, frac_digits = 0;
  if (i < n && text[i] == '.') {
    frac_begin = ++i;
    while (i < n && is_digit(text[i])) ++i;
    frac_digits = i - frac_begin;
  }
  if (int_digits + frac_digits == 0) return not_a_number(text);

  int64_t exp = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    const size_t exp_begin = i;
    while (i < n && is_digit(text[i])) ++i;
    if (i == exp_begin) return not_a_number(text);
    size_t k = exp_begin;
    while (k < i && text[k] == '0') ++k;  // leading zeros do not count towards the limit
    // BigDecimal refuses more than 10 exponent digits and any exponent outside int32; so do we,
    // which also bounds `exp` well inside int64.
    if (i - k > 10) return not_a_number(text);
    for (; k < i; ++k) exp = exp * 10 + (text[k] - '0');
    if (exp_negative) exp = -exp;
    if (exp > std::numeric_limits<int32_t>::max() || exp < std::numeric_limits<int32_t>::min())
      return not_a_number(text);
  }
  if (i != n) return not_a_number(text);
  // BigDecimal's scale (fraction digits - exponent) must fit an int as well ("Scale out of range").
  const int64_t scale = static_cast<int64_t>(frac_digits) - exp;
  if (scale > std::numeric_limits<int32_t>::max() || scale < std::numeric_limits<int32_t>::min())
    return not_a_number(text);

  // Mantissa digits form one sequence (integer part then fraction part); index j has place value
  // 10^(int_digits - 1 - j + exp).
  const size_t total = int_digits + frac_digits;
  auto digit_at = [&](size_t j) {
    return j < int_digits ? text[int_begin + j] : text[frac_begin + (j - int_digits)];
  };
  size_t first = 0;
  while (first < total && digit_at(first) == '0') ++first;
  if (first == total) {
    // Zero. Its nominal magnitude (BigDecimal: precision 1 - scale - 1) is still range-checked.
    if (auto err = range_error(-scale)) return *err;
    return Decimal{};
  }
  size_t last = total - 1;
  while (digit_at(last) == '0') --last;

  const int64_t place0 = static_cast<int64_t>(int_digits) - 1 + exp;
  const int64_t adjusted = place0 - static_cast<int64_t>(first);
  if (auto err = range_error(adjusted)) return *err;
  if (last - first + 1 > static_cast<size_t>(kMaxDigits))
    return ApiError::validation(std::string(kPrecisionMessage));

  Decimal d;
  d.negative_ = negative;
  for (size_t j = first; j <= last; ++j) d.coeff_ = d.coeff_ * 10 + static_cast<unsigned>(digit_at(j) - '0');
  d.exponent_ = static_cast<int32_t>(place0 - static_cast<int64_t>(last));
  return d;
}

Decimal Decimal::from_int(int64_t v) {
  Decimal d;
  if (v == 0) return d;
  d.negative_ = v < 0;
  // Negate in unsigned arithmetic so INT64_MIN works.
  uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  while (mag % 10 == 0) {
    mag /= 10;
    ++d.exponent_;
  }
  d.coeff_ = mag;
  return d;
}

// --- arithmetic -------------------------------------------------------------------------------

Result<Decimal> Decimal::add(const Decimal& a, const Decimal& b) {
  if (a.is_zero()) return b;
  if (b.is_zero()) return a;
  // x has the larger exponent (place of its lowest digit), y the smaller.
  const Decimal& x = a.exponent_ >= b.exponent_ ? a : b;
  const Decimal& y = a.exponent_ >= b.exponent_ ? b : a;
  const int64_t shift = static_cast<int64_t>(x.exponent_) - y.exponent_;
  // If shift > 38 the exact result cannot fit: its lowest non-zero digit sits at y.exponent_ (x has
  // no digit there), while y < 10^(y.exponent_ + 38) <= 10^(x.exponent_ - 1) <= x/10, so even after
  // cancellation the result keeps a digit at x.exponent_ - 1 or above: more than 38 digits apart.
  if (shift > kMaxDigits) return ApiError::validation(std::string(kOverflowMessage));

  U256 xs(x.coeff_);
  xs.mul_pow10(static_cast<int>(shift));
  const U256 ys(y.coeff_);
  bool negative;
  if (x.negative_ == y.negative_) {
    xs.add(ys);
    negative = x.negative_;
  } else if (xs >= ys) {
    xs.sub(ys);
    negative = x.negative_;
  } else {
    U256 t = ys;
    t.sub(xs);
    xs = t;
    negative = y.negative_;
  }
  if (xs.is_zero()) return Decimal{};

  int64_t exponent = y.exponent_;
  for (;;) {  // strip trailing zeros (5 + 5, or cancellation)
    U256 q = xs;
    if (q.divmod_small(10) != 0) break;
    xs = q;
    ++exponent;
  }
  // Inexact results get the overflow message, as DynamoDB does (see the top of this file).
  if (!xs.fits_u128() || xs.to_u128() >= kPow10[kMaxDigits])
    return ApiError::validation(std::string(kOverflowMessage));

  Decimal r;
  r.negative_ = negative;
  r.coeff_ = xs.to_u128();
  if (auto err = range_error(exponent + digit_count(r.coeff_) - 1)) return *err;
  r.exponent_ = static_cast<int32_t>(exponent);
  return r;
}

Result<Decimal> Decimal::subtract(const Decimal& a, const Decimal& b) {
  Decimal neg_b = b;
  if (!neg_b.is_zero()) neg_b.negative_ = !neg_b.negative_;
  return add(a, neg_b);
}

// --- accessors, text --------------------------------------------------------------------------

int Decimal::significant_digits() const { return digit_count(coeff_); }

int Decimal::adjusted_exponent() const {
  return is_zero() ? 0 : exponent_ + digit_count(coeff_) - 1;
}

std::string Decimal::to_string() const {
  if (is_zero()) return "0";
  const std::string digits = digits_of(coeff_);
  std::string out;
  if (negative_) out += '-';
  if (exponent_ >= 0) {
    out += digits;
    out.append(static_cast<size_t>(exponent_), '0');
    return out;
  }
  const size_t frac = static_cast<size_t>(-static_cast<int64_t>(exponent_));
  if (digits.size() > frac) {
    out.append(digits, 0, digits.size() - frac);
    out += '.';
    out.append(digits, digits.size() - frac, std::string::npos);
  } else {
    out += "0.";
    out.append(frac - digits.size(), '0');
    out += digits;
  }
  return out;
}

double Decimal::to_double() const {
  if (is_zero()) return 0.0;
  std::string s = digits_of(coeff_);
  s += 'e';
  s += std::to_string(exponent_);
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);  // in range: 1e-130..1e126 fit a double
  return negative_ ? -v : v;
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
  auto sign = [](const Decimal& d) { return d.is_zero() ? 0 : d.negative_ ? -1 : 1; };
  const int sa = sign(a), sb = sign(b);
  if (sa != sb) return sa <=> sb;
  if (sa == 0) return std::strong_ordering::equal;
  // Same sign: compare magnitudes, then flip for negatives.
  std::strong_ordering mag = std::strong_ordering::equal;
  const int ea = a.adjusted_exponent(), eb = b.adjusted_exponent();
  if (ea != eb) {
    mag = ea <=> eb;
  } else {
    // Same leading place: left-align the coefficients (both stay <= 38 digits) and compare.
    u128 ca = a.coeff_, cb = b.coeff_;
    const int na = digit_count(ca), nb = digit_count(cb);
    if (na < nb) ca *= kPow10[nb - na];
    if (nb < na) cb *= kPow10[na - nb];
    mag = ca <=> cb;
  }
  if (sa > 0) return mag;
  return 0 <=> mag;
}

// --- order-preserving encoding (FROZEN: stored in sort keys on disk) --------------------------
//
//   zero      : 0x02
//   positive  : 0x03, E1 E0, D...
//   negative  : 0x01, ~E1 ~E0, ~D...   (every byte after the class byte complemented)
//
// E1 E0 is the adjusted exponent (place of the most significant digit, -130..125) plus 0x8000,
// big-endian. D... are the significant digits as nibbles, most significant first, each digit d
// written as d + 1 (1..10), then a 0 nibble as terminator; when the digit count is even the
// terminator fills a whole 0x00 byte. So 1 -> 03 80 00 20, 12 -> 03 80 01 23 00,
// 0.5 -> 03 7F FF 60, -1 -> 01 7F FF DF.
//
// Why it sorts: class bytes order negative < zero < positive. Among positives a larger adjusted
// exponent is a larger number (coefficients are normalised, leading digit non-zero); at equal
// exponent the digit strings compare left to right, and a proper prefix (terminator nibble 0 <
// any digit nibble) is the smaller number because the longer one has a non-zero digit after it.
// Negatives complement all of that, reversing the order; their terminator nibble becomes 0xF,
// which no complemented digit (0x5..0xE) reaches. The terminator makes every encoding
// self-delimiting, so no encoding is a proper prefix of another and key parts may follow.
void Decimal::encode_ordered(std::string& out) const {
  if (is_zero()) {
    out += '\x02';
    return;
  }
  const uint8_t mask = negative_ ? 0xFF : 0x00;
  out += negative_ ? '\x01' : '\x03';
  const uint16_t e = static_cast<uint16_t>(adjusted_exponent() + 0x8000);
  out += static_cast<char>((e >> 8) ^ mask);
  out += static_cast<char>((e & 0xFF) ^ mask);
  const std::string digits = digits_of(coeff_);
  for (size_t i = 0; i < digits.size(); i += 2) {
    uint8_t hi = static_cast<uint8_t>(digits[i] - '0' + 1);
    uint8_t lo = i + 1 < digits.size() ? static_cast<uint8_t>(digits[i + 1] - '0' + 1) : 0;
    out += static_cast<char>(((hi << 4) | lo) ^ mask);
  }
  if (digits.size() % 2 == 0) out += static_cast<char>(mask);  // whole terminator byte
}

std::optional<Decimal> Decimal::decode_ordered(std::string_view& in) {
  if (in.empty()) return std::nullopt;
  const uint8_t cls = static_cast<uint8_t>(in[0]);
  if (cls == 0x02) {
    in.remove_prefix(1);
    return Decimal{};
  }
  if (cls != 0x01 && cls != 0x03) return std::nullopt;
  const uint8_t mask = cls == 0x01 ? 0xFF : 0x00;
  if (in.size() < 4) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(static_cast<uint8_t>(in[i]) ^ mask); };
  const int adjusted = ((byte(1) << 8) | byte(2)) - 0x8000;
  if (adjusted < kMinAdjusted || adjusted > kMaxAdjusted) return std::nullopt;
  Decimal d;
  d.negative_ = cls == 0x01;
  int count = 0;
  int last_digit = 0;
  size_t pos = 3;
  for (bool done = false; !done; ++pos) {
    if (pos >= in.size()) return std::nullopt;
    const uint8_t b = byte(pos);
    for (uint8_t nib : {static_cast<uint8_t>(b >> 4), static_cast<uint8_t>(b & 0x0F)}) {
      if (nib == 0) {
        // Terminator: an even count ends on a whole 0x00 byte, an odd count in the low nibble.
        if ((count % 2 == 0) != ((b & 0xF0) == 0) || b != (b & 0xF0)) return std::nullopt;
        done = true;
        break;
      }
      if (nib > 10 || count == kMaxDigits) return std::nullopt;
      last_digit = nib - 1;
      if (count == 0 && last_digit == 0) return std::nullopt;  // leading zero: not normalised
      d.coeff_ = d.coeff_ * 10 + static_cast<unsigned>(last_digit);
      ++count;
    }
  }
  if (count == 0 || last_digit == 0) return std::nullopt;  // empty, or a trailing zero
  d.exponent_ = adjusted - (count - 1);
  in.remove_prefix(pos);
  return d;
}

}  // namespace runnel
