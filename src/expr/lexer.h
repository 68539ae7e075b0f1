// Tokenizer shared by every expression kind. Keywords (AND, SET, BETWEEN, ...) are plain
// identifiers here; each grammar decides which identifiers it treats as keywords, because the
// keyword sets differ (condition: AND OR NOT BETWEEN IN; update: SET REMOVE ADD DELETE).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::expr::detail {

enum class Tok {
  Ident,        // [A-Za-z_][A-Za-z0-9_]*
  NameRef,      // #[A-Za-z0-9_]+      (ExpressionAttributeNames placeholder)
  ValueRef,     // :[A-Za-z0-9_]+      (ExpressionAttributeValues placeholder)
  Number,       // [0-9]+              (only meaningful as a list index)
  LParen, RParen, LBracket, RBracket, Comma, Dot,
  Eq, Ne, Lt, Le, Gt, Ge, Plus, Minus,
  Invalid,      // a character no grammar accepts (reported as a syntax error when reached)
  End,
};

struct Token {
  Tok kind;
  std::string_view text;  // view into the expression text ("" for End)
  size_t pos;             // byte offset of text in the expression
};

// Never fails: unknown characters become Invalid tokens so the parser reports them with the
// same "token / near" context as any other unexpected token. The last token is always End.
std::vector<Token> tokenize(std::string_view text);

// Case-insensitive ASCII comparison of an identifier with an upper-case keyword.
bool keyword_equals(std::string_view ident, std::string_view upper_keyword);

// "Syntax error; token: \"<tok>\", near: \"<context>\"" for the token at `index`. DynamoDB's
// context is the text from the start of the previous token to the end of the next one, e.g.
// 'SET VALUE 1' at "1" -> near: "VALUE 1"; at the end the token is <EOF>.
std::string syntax_error_message(std::string_view text, const std::vector<Token>& tokens,
                                 size_t index);

}  // namespace runnel::expr::detail
