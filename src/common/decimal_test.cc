// Tests for Decimal: DynamoDB's number syntax, limits and messages, exact add/subtract (checked
// against a digit-array oracle), numeric order, and the frozen encode_ordered() bytes.
#include "common/decimal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace runnel {
namespace {

std::string norm(std::string_view text) {
  auto r = Decimal::parse(text);
  if (!r.ok()) return "ERROR: " + r.error().message;
  return r->to_string();
}

std::string parse_error(std::string_view text) {
  auto r = Decimal::parse(text);
  if (r.ok()) return "OK: " + r->to_string();
  EXPECT_EQ(r.error().code, "ValidationException");
  EXPECT_EQ(r.error().http_status, 400);
  return r.error().message;
}

Decimal D(std::string_view text) {
  auto r = Decimal::parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Decimal{};
}

std::string hex(const std::string& bytes) {
  static const char* k = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

std::string enc(const Decimal& d) {
  std::string s;
  d.encode_ordered(s);
  return s;
}

const std::string kOverflow(Decimal::kOverflowMessage);
const std::string kUnderflow(Decimal::kUnderflowMessage);
const std::string kPrecision(Decimal::kPrecisionMessage);
std::string not_a_number(const std::string& text) {
  return std::string(Decimal::kNotANumberMessage) + ": " + text;
}

// --- parsing and normalisation ----------------------------------------------------------------

TEST(DecimalParse, NormalisesLikeDynamoDB) {
  // Pairs as DynamoDB returns them (ScyllaDB's alternator test_number.py records the same table
  // against the real service).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1", "1"},          {"123", "123"},       {"-5", "-5"},        {"0", "0"},
      {"10", "10"},        {"1000", "1000"},     {"007", "7"},        {"001.23", "1.23"},
      {"00", "0"},         {"+3", "3"},          {"+0", "0"},         {"+1.5", "1.5"},
      {"1.0", "1"},        {"1.00", "1"},        {"1.10", "1.1"},     {"100.000", "100"},
      {"0.0", "0"},        {"0.10", "0.1"},      {"1e3", "1000"},     {"1E3", "1000"},
      {"1e+3", "1000"},    {"1E+3", "1000"},     {"5e1", "50"},       {"-3e2", "-300"},
      {"1.5e2", "150"},    {"1.23e4", "12300"},  {"1e-3", "0.001"},   {"5e-1", "0.5"},
      {"123e-2", "1.23"},  {"1.23e-1", "0.123"}, {"1.0e3", "1000"},   {"1.00e2", "100"},
      {"1.0e-1", "0.1"},   {"-0", "0"},          {"-0.0", "0"},       {"0e5", "0"},
      {"0.0e3", "0"},      {"0e-5", "0"},        {".5", "0.5"},       {".123", "0.123"},
      {"-.5", "-0.5"},     {"+.5", "0.5"},       {"1.", "1"},         {"1.e2", "100"},
      {"1e20", "100000000000000000000"},         {"9.9e10", "99000000000"},
      {"1e-20", "0.00000000000000000001"},       {"3.14159", "3.14159"},
      {"-273.15", "-273.15"},                    {"0.001", "0.001"},
      {"0001.5000", "1.5"},                      {"-17.4E37", "-174000000000000000000000000000000000000"},
      {"1e-0", "1"},       {"1e+0005", "100000"}, {"12.5e-1", "1.25"}, {"-0.000120e3", "-0.12"},
      // Leading zeros of the exponent do not count towards its 10-digit limit.
      {"1e0000000000000000000000000003", "1000"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(norm(in), want) << in;
  EXPECT_EQ(norm("1e125"), "1" + std::string(125, '0'));
}

TEST(DecimalParse, RejectsWhatDynamoDBRejects) {
  EXPECT_EQ(parse_error(""), "The parameter cannot be converted to a numeric value");
  for (const std::string& bad : std::vector<std::string>{
           " 1", "1 ", "\t1", "1\n", "NaN", "nan", "-NaN", "Infinity", "-Infinity", "inf", "dog",
        "-dog", "0x10", "0x", "1e", "1E", "1e+", "1e-", "e5", ".", "-", "+", "-.", ".e5", "-.e1",
        "--1", "+-1", "-+1", "1..2", "1.2.3", "1e5.5", "1e5e5", "1e 5", "1 e5", "1,000", "1_000",
        "1d", "1f", "1L", "\xd9\xa1" /* Arabic-Indic one */, "\xef\xbc\x91" /* fullwidth one */,
        std::string("1\0", 2), "12a", "a12", "e", "E1", "1ee5", "1e++5"}) {
    EXPECT_EQ(parse_error(bad), not_a_number(bad)) << '"' << bad << '"';
  }
}

TEST(DecimalParse, SignificantDigits) {
  const std::string d38 = "12345678901234567890123456789012345678";
  EXPECT_EQ(norm(d38), d38);
  EXPECT_EQ(D(d38).significant_digits(), 38);
  EXPECT_EQ(norm("-" + d38), "-" + d38);
  EXPECT_EQ(norm("0.000" + d38), "0.000" + d38);
  EXPECT_EQ(norm("000" + d38 + "000"), d38 + "000");
  EXPECT_EQ(norm("3.1415926535897932384626433832795028841"), "3.1415926535897932384626433832795028841");
  EXPECT_EQ(norm("31415926535897932384626433832795028841e30"),
            "31415926535897932384626433832795028841" + std::string(30, '0'));
  // Trailing zeros are not significant: 39 characters, 17 significant digits (powertools #4845).
  EXPECT_EQ(norm("110111111111111110000000000000000000000"), "110111111111111110000000000000000000000");
  EXPECT_EQ(D("0001.5000").significant_digits(), 2);
  EXPECT_EQ(Decimal().significant_digits(), 1);

  for (const std::string& bad : std::vector<std::string>{d38 + "9", "-1.23456789012345678901234567890123456789",
                                "3.14159265358979323846264338327950288419",
                                "314159265358979323846.264338327950288419",
                                "314159265358979323846264338327950288419e30",
                                "1" + std::string(37, '0') + "1" + "e-100"}) {
    EXPECT_EQ(parse_error(bad), kPrecision) << bad;
  }
  // Magnitude is checked before precision.
  EXPECT_EQ(parse_error(d38 + "9e200"), kOverflow);
  EXPECT_EQ(parse_error(d38 + "9e-200"), kUnderflow);
}

TEST(DecimalParse, MagnitudeBoundaries) {
  const std::string max = "9.9999999999999999999999999999999999999E+125";
  EXPECT_EQ(norm(max), std::string(38, '9') + std::string(88, '0'));
  EXPECT_EQ(norm("-" + max), "-" + std::string(38, '9') + std::string(88, '0'));
  EXPECT_EQ(norm("1E-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(norm("-1E-130"), "-0." + std::string(129, '0') + "1");
  EXPECT_EQ(norm("9.99999999e125"), "999999999" + std::string(117, '0'));
  EXPECT_EQ(norm("0.1E+126"), "1" + std::string(125, '0'));
  EXPECT_EQ(norm("10E-131"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(norm("0.00001e-125"), "0." + std::string(129, '0') + "1");

  for (const std::string& over : std::vector<std::string>{"1E+126", "-1e126", "11e125", "10E+125", "0.1e127",
                                 "1" + std::string(126, '0'), "1e2147483647", "1.0e100000000"})
    EXPECT_EQ(parse_error(over), kOverflow) << over;
  for (const std::string& under : std::vector<std::string>{"1E-131", "-1e-131", "0.9e-130", "-0.9E-130", "0.1e-130",
                                  "0." + std::string(130, '0') + "1", "1e-2147483647"})
    EXPECT_EQ(parse_error(under), kUnderflow) << under;
}

TEST(DecimalParse, ZeroKeepsItsNominalExponentForTheRangeCheck) {
  // DynamoDB refuses 0e126 and 0e-131 but accepts 0.0e126 (ScyllaDB's
  // test_number_magnitude_not_allowed_zero): the zero's BigDecimal magnitude is checked.
  EXPECT_EQ(norm("0e125"), "0");
  EXPECT_EQ(norm("0.0e126"), "0");
  EXPECT_EQ(norm("0e-130"), "0");
  EXPECT_EQ(norm("00.000e-127"), "0");
  EXPECT_EQ(parse_error("0e126"), kOverflow);
  EXPECT_EQ(parse_error("-0e126"), kOverflow);
  EXPECT_EQ(parse_error("0e1000"), kOverflow);
  EXPECT_EQ(parse_error("0e-131"), kUnderflow);
  EXPECT_EQ(parse_error("0.0000e-127"), kUnderflow);
}

TEST(DecimalParse, HugeExponentsDoNotOverflow) {
  // Java's BigDecimal (which the service follows) refuses exponents outside int32, and scales
  // that leave it, as unparsable.
  for (const std::string& bad : std::vector<std::string>{"1e2147483648", "1e-2147483649", "1e99999999999999999999",
                                "0e99999999999999", "1e12345678901", "1e-2147483648",
                                "5.5e-2147483647", "1e-99999999999999999999999999999999999999"})
    EXPECT_EQ(parse_error(bad), not_a_number(bad)) << bad;
  // A long mantissa with a huge exponent stays in 64-bit math.
  EXPECT_EQ(parse_error(std::string(5000, '1') + "e2147483647"), kOverflow);
  EXPECT_EQ(parse_error("0." + std::string(5000, '0') + "1e130"), kUnderflow);
  EXPECT_EQ(norm("0." + std::string(5000, '0') + "1e5001"), "1");
  EXPECT_EQ(norm("1" + std::string(5000, '0') + "e-5000"), "1");
}

TEST(DecimalParse, FromIntAndToDouble) {
  EXPECT_EQ(Decimal::from_int(0).to_string(), "0");
  EXPECT_EQ(Decimal::from_int(1200).to_string(), "1200");
  EXPECT_EQ(Decimal::from_int(1200), D("1.2e3"));
  EXPECT_EQ(Decimal::from_int(-7).to_string(), "-7");
  EXPECT_EQ(Decimal::from_int(INT64_MIN).to_string(), "-9223372036854775808");
  EXPECT_EQ(Decimal::from_int(INT64_MAX).to_string(), "9223372036854775807");
  EXPECT_EQ(D("1.5").to_double(), 1.5);
  EXPECT_EQ(D("-0.1").to_double(), -0.1);
  EXPECT_EQ(D("0").to_double(), 0.0);
  EXPECT_EQ(D("1e-130").to_double(), 1e-130);
  EXPECT_EQ(D("-9.9999999999999999999999999999999999999E+125").to_double(), -1e126);
}

// --- add / subtract -----------------------------------------------------------------------------

std::string add_str(std::string_view a, std::string_view b) {
  auto r = Decimal::add(D(a), D(b));
  return r.ok() ? r->to_string() : r.error().message;
}
std::string sub_str(std::string_view a, std::string_view b) {
  auto r = Decimal::subtract(D(a), D(b));
  return r.ok() ? r->to_string() : r.error().message;
}

TEST(DecimalArith, ExactResults) {
  EXPECT_EQ(add_str("1", "10000000000000000000000"), "10000000000000000000001");
  EXPECT_EQ(sub_str("10000000000000000000000", "1"), "9999999999999999999999");
  EXPECT_EQ(add_str("0.1", "0.2"), "0.3");
  EXPECT_EQ(add_str("5", "5"), "10");
  EXPECT_EQ(*Decimal::add(D("5"), D("5")), D("1e1"));  // normalised: equal representation
  EXPECT_EQ(add_str("-3", "-4"), "-7");
  EXPECT_EQ(sub_str("3", "-4"), "7");
  EXPECT_EQ(sub_str("-3", "4"), "-7");
  EXPECT_EQ(add_str("3", "-4"), "-1");
  EXPECT_EQ(add_str("0", "-4.5"), "-4.5");
  EXPECT_EQ(sub_str("0", "4.5"), "-4.5");
  EXPECT_EQ(sub_str("4.5", "0"), "4.5");
  EXPECT_EQ(sub_str("0", "0"), "0");
  EXPECT_EQ(add_str("9e125", "9e124"), "99" + std::string(124, '0'));
  EXPECT_EQ(add_str("1e125", "0"), "1" + std::string(125, '0'));
}

TEST(DecimalArith, CancellationNeverGivesNegativeZero) {
  for (const char* x : {"5", "-5", "1e125", "-1e-130", "12345678901234567890123456789012345678"}) {
    auto r = Decimal::subtract(D(x), D(x));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->is_zero());
    EXPECT_FALSE(r->negative());
    EXPECT_EQ(r->to_string(), "0");
    EXPECT_EQ(*r, Decimal());
  }
  EXPECT_EQ(add_str("-5", "5"), "0");
  // Cancellation that brings a 76-digit-wide alignment back to a few digits.
  EXPECT_EQ(sub_str("1e40", "99999999999999999999999999999999999999e2"), "100");
  EXPECT_EQ(sub_str("1.0000000000000000000000000000000000001", "1"),
            "0.0000000000000000000000000000000000001");
}

TEST(DecimalArith, CarriesAcross38Digits) {
  const std::string nines(38, '9');
  EXPECT_EQ(add_str(nines, "1"), "1" + std::string(38, '0'));            // one digit again
  EXPECT_EQ(add_str("-" + nines, "-1"), "-1" + std::string(38, '0'));
  EXPECT_EQ(sub_str("1e38", "1"), nines);                               // 38-place shift, fits
  EXPECT_EQ(add_str("0." + nines, "0." + std::string(37, '0') + "1"), "1");
  EXPECT_EQ(add_str(nines, nines), kOverflow);  // 199..98 needs 39 digits
}

TEST(DecimalArith, InexactOrOutOfRangeFailsAsDynamoDB) {
  // DynamoDB answers "Number overflow" also for results that merely need more than 38 digits
  // (ScyllaDB test_update_expression_plus_imprecise).
  EXPECT_EQ(add_str("1e50", "1"), kOverflow);
  EXPECT_EQ(sub_str("1e50", "1"), kOverflow);
  EXPECT_EQ(add_str(std::string(38, '9'), "2"), kOverflow);
  EXPECT_EQ(sub_str("1e39", "1"), kOverflow);
  EXPECT_EQ(add_str("1e-50", "1"), kOverflow);
  EXPECT_EQ(add_str("1e100", "1e-100"), kOverflow);
  EXPECT_EQ(add_str("1e125", "-1e-130"), kOverflow);
  EXPECT_EQ(add_str("9e125", "9e125"), kOverflow);
  EXPECT_EQ(sub_str("9e125", "-9e125"), kOverflow);
  EXPECT_EQ(sub_str("-9e125", "9e125"), kOverflow);
  EXPECT_EQ(add_str("9.9999999999999999999999999999999999999E+125", "1E+125"), kOverflow);
  EXPECT_EQ(add_str("9.9999999999999999999999999999999999999E+125", "1E+88"), kOverflow);
  EXPECT_EQ(sub_str("1.1e-130", "1e-130"), kUnderflow);
  EXPECT_EQ(add_str("-1.1e-130", "1e-130"), kUnderflow);
  EXPECT_EQ(sub_str("1.1e-130", "1.09e-130"), kUnderflow);
}

// Oracle: sign-magnitude digit arrays over places -400..+400, no precision limit.
struct Ref {
  static constexpr int kOff = 400;
  bool neg = false;
  std::vector<int> d = std::vector<int>(2 * kOff + 1, 0);  // d[place + kOff]
};

Ref ref_from(bool neg, const std::string& digits, int low_exp) {
  Ref r;
  r.neg = neg;
  for (size_t i = 0; i < digits.size(); ++i)
    r.d[low_exp + static_cast<int>(digits.size() - 1 - i) + Ref::kOff] = digits[i] - '0';
  return r;
}

int ref_cmp_mag(const Ref& a, const Ref& b) {
  for (int i = static_cast<int>(a.d.size()) - 1; i >= 0; --i)
    if (a.d[i] != b.d[i]) return a.d[i] < b.d[i] ? -1 : 1;
  return 0;
}

// Expected outcome of a + b as text or as DynamoDB's error message.
std::string ref_add(const Ref& a, const Ref& b) {
  Ref r;
  if (a.neg == b.neg) {
    int carry = 0;
    for (size_t i = 0; i < r.d.size(); ++i) {
      int s = a.d[i] + b.d[i] + carry;
      r.d[i] = s % 10;
      carry = s / 10;
    }
    r.neg = a.neg;
  } else {
    const bool a_big = ref_cmp_mag(a, b) >= 0;
    const Ref& x = a_big ? a : b;
    const Ref& y = a_big ? b : a;
    int borrow = 0;
    for (size_t i = 0; i < r.d.size(); ++i) {
      int s = x.d[i] - y.d[i] - borrow;
      borrow = s < 0;
      r.d[i] = s < 0 ? s + 10 : s;
    }
    r.neg = x.neg;
  }
  int hi = -1, lo = -1;
  for (int i = 0; i < static_cast<int>(r.d.size()); ++i)
    if (r.d[i] != 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  if (hi < 0) return "0";
  hi -= Ref::kOff;
  lo -= Ref::kOff;
  if (hi - lo + 1 > 38 || hi > 125) return kOverflow;
  if (hi < -130) return kUnderflow;
  auto digit = [&](int place) { return static_cast<char>('0' + r.d[place + Ref::kOff]); };
  std::string out = r.neg ? "-" : "";
  for (int p = std::max(hi, 0); p >= 0; --p) out += digit(p);  // "0" when below one
  if (lo < 0) {
    out += '.';
    for (int p = -1; p >= lo; --p) out += digit(p);
  }
  return out;
}

struct Gen {
  std::mt19937_64 rng{20240611};
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

  // Significant digits (no leading/trailing zero), shaped to provoke carries and cancellation.
  std::string digits(int n) {
    std::string s;
    switch (uniform(0, 4)) {
      case 0: s = std::string(n, '9'); break;
      case 1: s = "1" + std::string(n - 1, '0'); break;
      case 2: s = std::string(n, static_cast<char>('0' + uniform(1, 9))); break;
      default:
        for (int i = 0; i < n; ++i) s += static_cast<char>('0' + uniform(0, 9));
    }
    if (s[0] == '0') s[0] = '1';
    if (s.back() == '0') s.back() = static_cast<char>('0' + uniform(1, 9));
    return s;
  }
  // A valid number near place `adjusted`: its text in scientific form plus the oracle's view.
  std::pair<std::string, Ref> value(int adjusted) {
    const int n = uniform(1, 3) == 1 ? uniform(1, 38) : uniform(1, 6);
    const bool neg = uniform(0, 1) == 1;
    const std::string ds = digits(n);
    const int low = adjusted - (n - 1);
    return {(neg ? "-" : "") + ds + "e" + std::to_string(low), ref_from(neg, ds, low)};
  }
  int adjusted() { return uniform(-130, 125); }
};

TEST(DecimalArith, MatchesExactOracle) {
  Gen g;
  int ok = 0, failed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    const int ea = g.adjusted();
    int eb;
    switch (g.uniform(0, 3)) {
      case 0: eb = g.adjusted(); break;
      case 1: eb = ea; break;
      default: eb = std::clamp(ea + g.uniform(-40, 40), -130, 125);
    }
    auto [ta, ra] = g.value(ea);
    auto [tb, rb] = g.value(eb);
    const Decimal a = D(ta), b = D(tb);
    ASSERT_EQ(a.to_string(), ref_add(ra, Ref{})) << ta;  // the oracle's formatting agrees

    auto sum = Decimal::add(a, b);
    const std::string want = ref_add(ra, rb);
    ASSERT_EQ(sum.ok() ? sum->to_string() : sum.error().message, want) << ta << " + " << tb;

    Ref nb = rb;
    nb.neg = !nb.neg;
    auto diff = Decimal::subtract(a, b);
    const std::string want_diff = ref_add(ra, nb);
    ASSERT_EQ(diff.ok() ? diff->to_string() : diff.error().message, want_diff) << ta << " - " << tb;
    (sum.ok() ? ok : failed)++;
    if (sum.ok()) {
      ASSERT_EQ(*sum, D(sum->to_string()));  // result is normalised
    }
  }
  // The generator exercises both outcomes.
  EXPECT_GT(ok, 2000);
  EXPECT_GT(failed, 2000);
}

// --- ordering and encode_ordered -------------------------------------------------------------

TEST(DecimalOrder, GoldenBytes) {
  // FROZEN on disk: changing any of these breaks stored sort keys.
  const std::vector<std::pair<std::string, std::string>> golden = {
      {"0", "02"},
      {"1", "03 80 00 20"},
      {"-1", "01 7F FF DF"},
      {"10", "03 80 01 20"},
      {"12", "03 80 01 23 00"},
      {"-12", "01 7F FE DC FF"},
      {"0.5", "03 7F FF 60"},
      {"1234567", "03 80 06 23 45 67 80"},
      {"-0.00102", "01 80 02 DE CF"},
      {"1E+125", "03 80 7D 20"},
      {"1E-130", "03 7F 7E 20"},
      {"-1E-130", "01 80 81 DF"},
      {"9.9999999999999999999999999999999999999E+125",
       "03 80 7D" + [] { std::string s; for (int i = 0; i < 19; ++i) s += " AA"; return s; }() + " 00"},
      {"-9.9999999999999999999999999999999999999E+125",
       "01 7F 82" + [] { std::string s; for (int i = 0; i < 19; ++i) s += " 55"; return s; }() + " FF"},
  };
  for (const auto& [text, bytes] : golden) {
    EXPECT_EQ(hex(enc(D(text))), bytes) << text;
  }
}

TEST(DecimalOrder, DecodeRoundTripsAndRejectsJunk) {
  for (const char* text : {"0", "1", "-1", "12", "-0.00102", "1e125", "-1e-130",
                           "12345678901234567890123456789012345678", "-1234567890123456789012345678901234567e-50"}) {
    const Decimal d = D(text);
    std::string bytes = enc(d) + "tail";
    std::string_view in = bytes;
    auto back = Decimal::decode_ordered(in);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, d) << text;
    EXPECT_EQ(in, "tail") << text;
  }
  for (const std::string& junk : std::vector<std::string>{std::string(), std::string("\x00", 1), std::string("\x04"),
                                 std::string("\x03\x80\x00", 3), std::string("\x03\x80\x00\x23", 4),
                                 std::string("\x03\x80\x00\x00", 4) /* no digits */,
                                 std::string("\x03\x80\x00\x10", 4) /* leading zero */,
                                 std::string("\x03\x80\x01\x21\x00", 5) /* trailing zero */,
                                 std::string("\x03\x80\x00\xB0", 4) /* nibble 11 */,
                                 std::string("\x03\x80\x7E\x20", 4) /* exponent 126 */,
                                 std::string("\x03\x80\x01\x23\x05", 5) /* bad terminator byte */}) {
    std::string_view in = junk;
    EXPECT_FALSE(Decimal::decode_ordered(in).has_value()) << hex(junk);
    EXPECT_EQ(in.size(), junk.size());
  }
}

int sgn(int v) { return (v > 0) - (v < 0); }
int sgn(std::strong_ordering o) { return o < 0 ? -1 : o > 0 ? 1 : 0; }
int bytes_cmp(const std::string& a, const std::string& b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return sgn(c);
  return sgn(static_cast<int>(a.size()) - static_cast<int>(b.size()));
}

TEST(DecimalOrder, EncodingOrderMatchesNumericOrder) {
  Gen g;
  std::vector<Decimal> values;
  for (const char* fixed : {"0", "1", "-1", "1e-130", "-1e-130", "1e125", "-1e125", "0.5", "-0.5",
                            "9.9999999999999999999999999999999999999E+125",
                            "-9.9999999999999999999999999999999999999E+125", "10", "11", "1.1",
                            "1.01", "1.001", "2", "19", "-10", "-11", "-1.1", "-1.01", "-2"})
    values.push_back(D(fixed));
  while (values.size() < 360) {
    const int pick = g.uniform(0, 9);
    if (pick == 0) {
      values.push_back(values[g.uniform(0, static_cast<int>(values.size()) - 1)]);  // duplicates
    } else {
      const int adj = pick < 4 ? g.uniform(-3, 3) : g.adjusted();  // many near each other
      values.push_back(D(g.value(adj).first));
    }
  }
  std::vector<std::string> encoded;
  std::vector<long double> approx;
  for (const auto& v : values) {
    encoded.push_back(enc(v));
    const std::string text = v.to_string();
    ASSERT_EQ(text.find_first_of("eE"), std::string::npos) << text;
    ASSERT_EQ(Decimal::parse(text).value(), v) << text;  // to_string round-trips
    approx.push_back(std::strtold(text.c_str(), nullptr));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < values.size(); ++j) {
      const int num = sgn(values[i] <=> values[j]);
      ASSERT_EQ(bytes_cmp(encoded[i], encoded[j]), num)
          << values[i].to_string() << " vs " << values[j].to_string();
      ASSERT_EQ(num == 0, values[i] == values[j]);
      // Prefix-free: a following key part never changes the order of unequal numbers.
      if (num != 0) {
        ASSERT_EQ(bytes_cmp(encoded[i] + std::string(1, num < 0 ? '\xff' : '\x00'),
                            encoded[j] + std::string(1, num < 0 ? '\x00' : '\xff')),
                  num);
      }
      // long double rounding is monotonic: where it sees a difference, it must agree.
      if (approx[i] != approx[j]) {
        ASSERT_EQ(approx[i] < approx[j] ? -1 : 1, num);
      }
    }
  }
}

}  // namespace
}  // namespace runnel
