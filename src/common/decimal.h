// Decimal: DynamoDB's number type. Up to 38 significant decimal digits, magnitude 1E-130 to
// 9.9999999999999999999999999999999999999E+125 (and the negatives, and zero), exact arithmetic.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
//
// Representation: sign + unsigned 128-bit coefficient + base-10 exponent, value = coeff * 10^exponent,
// always normalised (no trailing zeros in coeff; zero is coeff 0, exponent 0, positive), so equal
// numbers have equal representations and to_string() prints DynamoDB's normalised form.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace runnel {

class Decimal {
 public:
  Decimal() = default;  // zero

  // DynamoDB's messages, as the real service words them (see decimal.cc for the sources). Callers
  // that wrap them (e.g. "ExpressionAttributeValues contains invalid value: <msg> for key :v") can
  // recognise them here.
  static constexpr std::string_view kNotANumberMessage =
      "The parameter cannot be converted to a numeric value";  // parse() appends ": <text>"
  static constexpr std::string_view kOverflowMessage =
      "Number overflow. Attempting to store a number with magnitude larger than supported range";
  static constexpr std::string_view kUnderflowMessage =
      "Number underflow. Attempting to store a number with magnitude smaller than supported range";
  static constexpr std::string_view kPrecisionMessage =
      "Attempting to store more than 38 significant digits in a Number";

  // Parses DynamoDB number text ("-12.50", "1e5", "  " is invalid). Errors are ValidationExceptions
  // worded as DynamoDB words them: kOverflowMessage, kUnderflowMessage, kPrecisionMessage, or
  // "The parameter cannot be converted to a numeric value: <text>" (no suffix for empty text).
  static Result<Decimal> parse(std::string_view text);
  static Decimal from_int(int64_t v);

  // Exact sum/difference. Like DynamoDB, a result needing more than 38 digits fails with
  // kOverflowMessage (not kPrecisionMessage), and one below 1E-130 with kUnderflowMessage.
  static Result<Decimal> add(const Decimal& a, const Decimal& b);
  static Result<Decimal> subtract(const Decimal& a, const Decimal& b);

  // Normalised text as DynamoDB returns it: no exponent notation, no trailing zeros after the point,
  // no leading zeros, "-" only for negatives, "0" for zero. E.g. "1E+3" -> "1000", "0.50" -> "0.5".
  std::string to_string() const;

  bool is_zero() const { return coeff_ == 0; }
  bool negative() const { return negative_; }
  int significant_digits() const;  // digits in the coefficient (1 for zero)

  // Appends a byte string whose memcmp order equals numeric order (for sort keys in storage).
  // Self-delimiting, so other key parts may follow. Format (frozen on disk) in decimal.cc.
  void encode_ordered(std::string& out) const;
  // Reads one encode_ordered() value from the front of `in` and advances `in` past it; nullopt (and
  // `in` untouched) if the bytes are not a valid encoding.
  static std::optional<Decimal> decode_ordered(std::string_view& in);

  // Nearest double (correctly rounded); for metrics and sanity checks, never for stored values.
  double to_double() const;

  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b);
  friend bool operator==(const Decimal& a, const Decimal& b) = default;

 private:
  int adjusted_exponent() const;  // exponent of the most significant digit; 0 for zero

  bool negative_ = false;
  unsigned __int128 coeff_ = 0;
  int32_t exponent_ = 0;
};

}  // namespace runnel
