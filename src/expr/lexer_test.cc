#include "expr/lexer.h"

#include <gtest/gtest.h>

#include "expr/expr.h"

namespace runnel::expr::detail {
namespace {

std::vector<Tok> kinds(std::string_view text) {
  std::vector<Tok> out;
  for (const Token& t : tokenize(text)) out.push_back(t.kind);
  return out;
}

TEST(Lexer, PathsPlaceholdersAndOperators) {
  auto toks = tokenize("a.b[12] <> :v AND #n >= size(x)");
  std::vector<Tok> expect = {Tok::Ident,  Tok::Dot,    Tok::Ident,    Tok::LBracket, Tok::Number,
                             Tok::RBracket, Tok::Ne,   Tok::ValueRef, Tok::Ident,    Tok::NameRef,
                             Tok::Ge,     Tok::Ident,  Tok::LParen,   Tok::Ident,    Tok::RParen,
                             Tok::End};
  ASSERT_EQ(toks.size(), expect.size());
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_EQ(toks[i].kind, expect[i]) << i;
  EXPECT_EQ(toks[0].text, "a");
  EXPECT_EQ(toks[4].text, "12");
  EXPECT_EQ(toks[7].text, ":v");
  EXPECT_EQ(toks[9].text, "#n");
  EXPECT_EQ(toks[9].pos, 18u);
}

TEST(Lexer, AllComparators) {
  EXPECT_EQ(kinds("= <> < <= > >="),
            (std::vector<Tok>{Tok::Eq, Tok::Ne, Tok::Lt, Tok::Le, Tok::Gt, Tok::Ge, Tok::End}));
  EXPECT_EQ(kinds("a+b-c,d"), (std::vector<Tok>{Tok::Ident, Tok::Plus, Tok::Ident, Tok::Minus,
                                                 Tok::Ident, Tok::Comma, Tok::Ident, Tok::End}));
}

TEST(Lexer, WhitespaceKinds) {
  EXPECT_EQ(kinds(" \t\r\na\n"), (std::vector<Tok>{Tok::Ident, Tok::End}));
  EXPECT_EQ(kinds(""), (std::vector<Tok>{Tok::End}));
}

TEST(Lexer, IdentifiersWithUnderscoresAndDigits) {
  auto toks = tokenize("_a1_b2 attribute_not_exists");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].text, "_a1_b2");
  EXPECT_EQ(toks[1].text, "attribute_not_exists");
}

TEST(Lexer, InvalidCharacters) {
  auto toks = tokenize("a $ #");
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[1].kind, Tok::Invalid);
  EXPECT_EQ(toks[1].text, "$");
  EXPECT_EQ(toks[2].kind, Tok::Invalid);  // '#' without a name
  EXPECT_EQ(toks[2].text, "#");
  // A multi-byte character stays whole.
  auto u = tokenize("a\xC3\xA9");
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[1].kind, Tok::Invalid);
  EXPECT_EQ(u[1].text, "\xC3\xA9");
  // ':' alone, and a truncated UTF-8 sequence at the end.
  EXPECT_EQ(kinds(":"), (std::vector<Tok>{Tok::Invalid, Tok::End}));
  EXPECT_EQ(kinds("\xF0"), (std::vector<Tok>{Tok::Invalid, Tok::End}));
}

TEST(Lexer, KeywordEqualsIgnoresCase) {
  EXPECT_TRUE(keyword_equals("and", "AND"));
  EXPECT_TRUE(keyword_equals("bEtWeEn", "BETWEEN"));
  EXPECT_FALSE(keyword_equals("andx", "AND"));
  EXPECT_FALSE(keyword_equals("an", "AND"));
}

TEST(Lexer, SyntaxErrorContext) {
  // Matches messages captured from the service.
  std::string t1 = "INVALID SYNTAX HERE";
  EXPECT_EQ(syntax_error_message(t1, tokenize(t1), 0),
            "Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
  std::string t2 = "SET VALUE 1";
  EXPECT_EQ(syntax_error_message(t2, tokenize(t2), 2), "Syntax error; token: \"1\", near: \"VALUE 1\"");
  std::string t3 = "SET a =";
  EXPECT_EQ(syntax_error_message(t3, tokenize(t3), 3), "Syntax error; token: \"<EOF>\", near: \"=\"");
  std::string t4 = "SET a = ";
  EXPECT_EQ(syntax_error_message(t4, tokenize(t4), 3), "Syntax error; token: \"<EOF>\", near: \"= \"");
  std::string t5 = "x = :a b c";
  EXPECT_EQ(syntax_error_message(t5, tokenize(t5), 3), "Syntax error; token: \"b\", near: \":a b c\"");
}

TEST(ReservedWords, CaseInsensitiveAndComplete) {
  EXPECT_TRUE(is_reserved_word("name"));
  EXPECT_TRUE(is_reserved_word("Status"));
  EXPECT_TRUE(is_reserved_word("ABORT"));
  EXPECT_TRUE(is_reserved_word("zone"));
  EXPECT_TRUE(is_reserved_word("FLATTERN"));  // sic, as listed by AWS
  EXPECT_TRUE(is_reserved_word("size"));
  EXPECT_TRUE(is_reserved_word("ttl"));
  EXPECT_FALSE(is_reserved_word("username"));
  EXPECT_FALSE(is_reserved_word("pk"));
  EXPECT_FALSE(is_reserved_word(""));
  EXPECT_FALSE(is_reserved_word("averyveryverylongattributename"));
}

}  // namespace
}  // namespace runnel::expr::detail
