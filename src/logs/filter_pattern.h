// CloudWatch Logs filter patterns, as FilterLogEvents (and `aws logs tail --filter-pattern`)
// takes them. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
//
//   (empty)               every event
//   ERROR Exception       every term present (case-sensitive substrings)
//   "Out of memory"       a quoted term is a phrase
//   ?ERROR ?WARN          at least one of the ?-terms
//   ERROR -Retrying       no event holding a -term
//   { $.level = "ERROR" && ($.latency > 100 || $.user.id NOT EXISTS) }
//                         a JSON event's fields: =, != (strings with * wildcards, numbers), <, >,
//                         <=, >= (numbers), IS NULL, IS TRUE, IS FALSE, NOT EXISTS; && and ||
//                         (&& binds tighter) and parentheses; selectors $.a.b and $.a[0]
//   [ip, user, ..., status = 404, size > 1000]
//                         a space-delimited event's fields by position (quoted "…" and bracketed
//                         […] fields are one field each; `...` stands for any number of fields),
//                         compared as JSON fields are, combined with && and || inside one field
//
// Bounds: a pattern is at most 1,024 characters (the model's limit) and nests at most 32 levels;
// a JSON event is parsed with runnel's one bounded JSON parser.
#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"

namespace runnel::logs {

class FilterPattern {
 public:
  // InvalidParameterException for a pattern that does not parse.
  static Result<FilterPattern> parse(std::string_view pattern);
  bool matches(std::string_view message) const;

  struct Impl;
  FilterPattern(FilterPattern&&) noexcept;
  FilterPattern& operator=(FilterPattern&&) noexcept;
  ~FilterPattern();

 private:
  explicit FilterPattern(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace runnel::logs
