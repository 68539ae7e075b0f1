// Recursive-descent parsers for the three expression grammars. They build raw trees (placeholders
// unresolved) and report only syntax errors; every other check lives in resolve.cc so that the
// checks run in DynamoDB's order after the whole text has parsed.
//
// Grammars (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Syntax,
// .../Expressions.UpdateExpressions.html):
//   condition := or ;  or := and (OR and)* ;  and := not (AND not)* ;  not := NOT not | primary
//   primary   := '(' or ')' | operand cmp operand | operand BETWEEN operand AND operand
//              | operand IN '(' operand (',' operand)* ')' | function
//   operand   := function | :value | path | '(' operand ')'
//   path      := (ident | #name | '(' path ')') ('.' (ident | #name) | '[' digits ']')*
//   update    := clause+ ; clause := SET set (',' set)* | REMOVE path (',' path)*
//              | ADD path :value (',' ...)* | DELETE path :value (',' ...)*
//   set       := path '=' ( '(' value ')' | value ) ; value := operand (('+' | '-') operand)?
//   projection:= path (',' path)*
// The parser backtracks between alternatives and, like a PEG parser, reports the token furthest
// into the text at which any alternative failed.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "expr/ast.h"

namespace runnel::expr::detail {

struct ParsedCondition {
  CondNode root;
  size_t operators = 0;  // comparators, logical operators, BETWEEN, IN and function calls
};
struct ParsedUpdate {
  UpdateAst ast;
  size_t operators = 0;  // function calls, + and -
  // Clause keywords in order as written (upper case), to report a repeated clause.
  std::vector<std::string> clauses;
};
struct ParsedProjection {
  std::vector<std::vector<RawPathElement>> paths;
};

// Errors are the bare message ("Syntax error; token: ..."); callers add "Invalid <Which>: ".
Result<ParsedCondition> parse_condition_syntax(std::string_view text);
Result<ParsedUpdate> parse_update_syntax(std::string_view text);
Result<ParsedProjection> parse_projection_syntax(std::string_view text);

}  // namespace runnel::expr::detail
