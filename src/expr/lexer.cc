#include "expr/lexer.h"

#include <cctype>

namespace runnel::expr::detail {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_part(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Expressions allow exactly these as whitespace (DynamoDB's grammar; dynalite's tests agree).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Length of the UTF-8 sequence starting with `c`, so an invalid non-ASCII character is reported
// whole rather than as a broken byte.
size_t utf8_length(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  const size_t n = text.size();
  auto push = [&](Tok k, size_t start, size_t len) {
    out.push_back(Token{k, text.substr(start, len), start});
  };
  while (i < n) {
    char c = text[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    size_t start = i;
    if (is_ident_start(c)) {
      while (i < n && is_ident_part(text[i])) ++i;
      push(Tok::Ident, start, i - start);
      continue;
    }
    if (is_digit(c)) {
      while (i < n && is_digit(text[i])) ++i;
      push(Tok::Number, start, i - start);
      continue;
    }
    if (c == '#' || c == ':') {
      size_t j = i + 1;
      while (j < n && is_ident_part(text[j])) ++j;
      if (j == i + 1) {
        push(Tok::Invalid, start, 1);
        i = j;
      } else {
        push(c == '#' ? Tok::NameRef : Tok::ValueRef, start, j - start);
        i = j;
      }
      continue;
    }
    auto next_is = [&](char d) { return i + 1 < n && text[i + 1] == d; };
    switch (c) {
      case '(': push(Tok::LParen, start, 1); ++i; break;
      case ')': push(Tok::RParen, start, 1); ++i; break;
      case '[': push(Tok::LBracket, start, 1); ++i; break;
      case ']': push(Tok::RBracket, start, 1); ++i; break;
      case ',': push(Tok::Comma, start, 1); ++i; break;
      case '.': push(Tok::Dot, start, 1); ++i; break;
      case '=': push(Tok::Eq, start, 1); ++i; break;
      case '+': push(Tok::Plus, start, 1); ++i; break;
      case '-': push(Tok::Minus, start, 1); ++i; break;
      case '<':
        if (next_is('>')) { push(Tok::Ne, start, 2); i += 2; }
        else if (next_is('=')) { push(Tok::Le, start, 2); i += 2; }
        else { push(Tok::Lt, start, 1); ++i; }
        break;
      case '>':
        if (next_is('=')) { push(Tok::Ge, start, 2); i += 2; }
        else { push(Tok::Gt, start, 1); ++i; }
        break;
      default: {
        size_t len = utf8_length(static_cast<unsigned char>(c));
        if (i + len > n) len = n - i;
        push(Tok::Invalid, start, len);
        i += len;
      }
    }
  }
  out.push_back(Token{Tok::End, std::string_view(), n});
  return out;
}

bool keyword_equals(std::string_view ident, std::string_view upper_keyword) {
  if (ident.size() != upper_keyword.size()) return false;
  for (size_t i = 0; i < ident.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(ident[i])) != upper_keyword[i]) return false;
  }
  return true;
}

std::string syntax_error_message(std::string_view text, const std::vector<Token>& tokens,
                                 size_t index) {
  if (index >= tokens.size()) index = tokens.size() - 1;
  const Token& bad = tokens[index];
  size_t start = index > 0 ? tokens[index - 1].pos : bad.pos;
  size_t end;
  std::string token_text;
  if (bad.kind == Tok::End) {
    token_text = "<EOF>";
    end = text.size();
  } else {
    token_text = std::string(bad.text);
    const Token& next = tokens[index + 1];  // End always follows
    end = next.kind == Tok::End ? text.size() : next.pos + next.text.size();
  }
  std::string near(text.substr(start, end - start));
  return "Syntax error; token: \"" + token_text + "\", near: \"" + near + "\"";
}

}  // namespace runnel::expr::detail
