// Parsing and static validation: syntax errors, placeholders, reserved words, function checks,
// limits, for every expression kind.
#include <gtest/gtest.h>

#include "expr/expr.h"
#include "expr/test_util.h"

namespace runnel::expr {
namespace {

using namespace test;

std::string cond_err(std::string_view text, std::map<std::string, std::string> names = {},
                     AttributeMap values = {}, std::string_view which = "ConditionExpression") {
  Ctx ctx(std::move(names), std::move(values));
  return error_of(parse_condition(text, ctx.subs, which));
}

std::string update_err(std::string_view text, std::map<std::string, std::string> names = {},
                       AttributeMap values = {}) {
  Ctx ctx(std::move(names), std::move(values));
  return error_of(parse_update(text, ctx.subs));
}

std::string proj_err(std::string_view text, std::map<std::string, std::string> names = {}) {
  Ctx ctx(std::move(names), {});
  return error_of(parse_projection(text, ctx.subs));
}

const AttributeMap kV = Item({{":v", S("x")}, {":w", S("y")}, {":n", N("1")}, {":m", N("5")},
                              {":b", Bool(true)}, {":l", L({S("a")})}, {":ss", SS({"a"})},
                              {":ns", NS({"1"})}, {":t", S("N")}});

// --- valid expressions --------------------------------------------------------------------------

TEST(ParseCondition, AcceptsTheDocumentedGrammar) {
  const char* ok[] = {
      "a = :v",
      "a.b[1].c <> :v",
      "#n = :v",
      "a < :n AND b <= :n OR c > :n AND NOT d >= :n",
      "a BETWEEN :n AND :m",
      "a IN (:v, :w)",
      "attribute_exists(a) AND attribute_not_exists(#n.x[0])",
      "attribute_type(a, :t)",
      "begins_with(a, :v)",
      "contains(a, :v)",
      "size(a) > :n",
      ":n < size(a.b)",
      "(a = :v)",
      "((a = :v) OR (b = :v)) AND c = :v",
      "(a) = :v",
      "(a.b)[1] = :v",
      "NOT (a = :v)",
      "NOT NOT a = :v",
      "a = :v and b = :w or c = :v",
      "  a\t=\n:v  ",
      "a . b [ 1 ] = :v",
      "_private = :v",
      ":v = :w",
      "a BETWEEN :n AND :m AND b = :v OR c BETWEEN :n AND :m",
      "a IN (:v) AND b IN (:v, :w)",
  };
  for (const char* t : ok) {
    EXPECT_EQ(cond_err(t, {{"#n", "name"}}, kV), "") << t;
  }
}

TEST(ParseUpdate, AcceptsTheDocumentedGrammar) {
  const char* ok[] = {
      "SET a = :v",
      "set a = :v, b.c[2] = :w",
      "SET a = a + :n, b = b - :n",
      "SET a = if_not_exists(a, :n) + :n",
      "SET l = list_append(if_not_exists(l, :l), :l)",
      "SET a = (b + :n)",
      "SET a = (b) + :n",
      "REMOVE a, b.c, d[3]",
      "ADD n :n, s :ss",
      "DELETE s :ss",
      "SET a = :v REMOVE b ADD n :n DELETE s :ss",
      "remove x set y = :v",
      "SET #n = :v",
  };
  for (const char* t : ok) {
    EXPECT_EQ(update_err(t, {{"#n", "name"}}, kV), "") << t;
  }
}

TEST(ParseProjection, Accepts) {
  Ctx ctx({{"#n", "name"}}, {});
  auto p = parse_projection("a, b.c, d[2].e, #n", ctx.subs);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->paths.size(), 4u);
  EXPECT_EQ(path_to_string(p->paths[2]), "[d, [2], e]");
  EXPECT_EQ(p->paths[3][0].name, "name");
}

// --- syntax errors ------------------------------------------------------------------------------

TEST(SyntaxErrors, UpdateMessagesMatchTheService) {
  EXPECT_EQ(update_err("INVALID SYNTAX HERE"),
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
  EXPECT_EQ(update_err("SET VALUE 1"), "Invalid UpdateExpression: Syntax error; token: \"1\", near: \"VALUE 1\"");
  EXPECT_EQ(update_err("SET a = ", {}, kV), "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"= \"");
  EXPECT_EQ(update_err("SET a = :v,", {}, kV),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(update_err("SET a = :v + :n + :n", {}, kV),
            "Invalid UpdateExpression: Syntax error; token: \"+\", near: \":n + :n\"");
  EXPECT_EQ(update_err("ADD a b"), "Invalid UpdateExpression: Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(update_err("SET add = :v", {}, kV),
            "Invalid UpdateExpression: Syntax error; token: \"add\", near: \"SET add =\"");
  EXPECT_EQ(update_err("SET a[x] = :v", {}, kV),
            "Invalid UpdateExpression: Syntax error; token: \"x\", near: \"[x]\"");
}

TEST(SyntaxErrors, ConditionMessages) {
  EXPECT_EQ(cond_err("a = :v b", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"b\", near: \":v b\"");
  EXPECT_EQ(cond_err("begins_with(a, G_M#)", {}, kV, "KeyConditionExpression"),
            "Invalid KeyConditionExpression: Syntax error; token: \"#\", near: \"G_M#)\"");
  EXPECT_EQ(cond_err("contains()"), "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(cond_err("a = 1"), "Invalid ConditionExpression: Syntax error; token: \"1\", near: \"= 1\"");
  EXPECT_EQ(cond_err("a"), "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"a\"");
  EXPECT_EQ(cond_err("a = :v AND", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(cond_err("(a = :v", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":v\"");
  EXPECT_EQ(cond_err("a BETWEEN :v", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":v\"");
  EXPECT_EQ(cond_err("a IN :v", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \":v\", near: \"IN :v\"");
  EXPECT_EQ(cond_err("and = :v", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"and\", near: \"and =\"");
  EXPECT_EQ(cond_err("a = :v $", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"$\", near: \":v $\"");
  EXPECT_EQ(cond_err("a[99999999999] = :v", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"99999999999\", near: \"[99999999999]\"");
  EXPECT_EQ(cond_err("$a = :v", {}, kV),
            "Invalid ConditionExpression: Syntax error; token: \"$\", near: \"$a\"");
  EXPECT_EQ(cond_err("a = :v", {}, kV, "FilterExpression"), "");
  EXPECT_EQ(cond_err("a == :v", {}, kV, "FilterExpression"),
            "Invalid FilterExpression: Syntax error; token: \"=\", near: \"== :v\"");
}

TEST(SyntaxErrors, Projection) {
  EXPECT_EQ(proj_err("a-b"), "Invalid ProjectionExpression: Syntax error; token: \"-\", near: \"a-b\"");
  EXPECT_EQ(proj_err("a,"), "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(proj_err("a b"), "Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"");
}

TEST(SyntaxErrors, DeepNestingIsRejectedNotACrash) {
  std::string deep(1500, '(');
  deep += "a = :v";
  deep += std::string(1500, ')');
  EXPECT_NE(cond_err(deep, {}, kV).find("Syntax error"), std::string::npos);
}

// --- empty and limits ---------------------------------------------------------------------------

TEST(Limits, EmptyExpressions) {
  EXPECT_EQ(update_err(""), "Invalid UpdateExpression: The expression can not be empty;");
  EXPECT_EQ(cond_err(""), "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(proj_err(""), "Invalid ProjectionExpression: The expression can not be empty;");
}

TEST(Limits, ExpressionSize) {
  std::string text = "a = :v";
  text += std::string(4096 - text.size(), ' ');
  EXPECT_EQ(cond_err(text, {}, kV), "");
  text += " ";
  EXPECT_EQ(cond_err(text, {}, kV),
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097");
}

TEST(Limits, OperatorCount) {
  // 150 comparisons + 149 ANDs = 299 operators; one more comparison + AND makes 301.
  std::string text = "a = :v";
  for (int i = 1; i < 150; ++i) text += " AND a = :v";
  EXPECT_EQ(cond_err(text, {}, kV, "FilterExpression"), "");
  text += " AND a = :v";
  EXPECT_EQ(cond_err(text, {}, kV, "FilterExpression"),
            "Invalid FilterExpression: The expression contains too many operators; operator count: 301");
}

TEST(Limits, InOperands) {
  std::string text = "a IN (:v";
  for (int i = 1; i < 100; ++i) text += ",:v";
  EXPECT_EQ(cond_err(text + ")", {}, kV), "");
  EXPECT_EQ(cond_err(text + ",:v)", {}, kV),
            "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101");
}

TEST(Limits, PathDepth) {
  std::string path = "a";
  for (int i = 1; i < 32; ++i) path += ".a";
  EXPECT_EQ(proj_err(path), "");
  EXPECT_EQ(proj_err(path + ".a"),
            "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33");
}

TEST(Limits, UpdateOperators) {
  std::string text = "SET a0=:n+:n";
  for (int i = 1; i < 300; ++i) text += ", a" + std::to_string(i) + "=:n+:n";
  EXPECT_EQ(update_err(text, {}, Item({{":n", N("1")}})), "");
  text += ", b=:n+:n";
  EXPECT_EQ(update_err(text, {}, Item({{":n", N("1")}})),
            "Invalid UpdateExpression: The expression contains too many operators; operator count: 301");
}

// --- placeholders -------------------------------------------------------------------------------

TEST(Placeholders, UndefinedNameAndValue) {
  EXPECT_EQ(update_err("SET attr1 = :v"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v");
  EXPECT_EQ(cond_err("#a = :v", {}, kV),
            "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #a");
  EXPECT_EQ(proj_err("a.#b"),
            "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #b");
  // In an update, an undefined name is reported ahead of an undefined value written earlier.
  EXPECT_EQ(update_err("SET a = :x, #b = :v", {}, kV),
            "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #b");
}

TEST(Placeholders, UnusedAcrossTheRequest) {
  Ctx ctx({{"#a", "a"}, {"#unused", "x"}}, Item({{":v", S("x")}, {":unused", S("y")}}));
  ASSERT_TRUE(parse_update("SET #a = :v", ctx.subs).ok());
  EXPECT_EQ(error_of(ctx.subs.check_all_used()),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
  ASSERT_TRUE(parse_projection("#unused", ctx.subs).ok());
  EXPECT_EQ(error_of(ctx.subs.check_all_used()),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");
  ASSERT_TRUE(parse_condition("attribute_not_exists(x) OR x = :unused", ctx.subs, "ConditionExpression").ok());
  EXPECT_EQ(error_of(ctx.subs.check_all_used()), "");
}

TEST(Placeholders, SeveralUnusedAreListed) {
  Ctx ctx({}, Item({{":a", S("x")}, {":b", S("y")}, {":c", S("z")}}));
  ASSERT_TRUE(parse_condition("x = :b", ctx.subs, "ConditionExpression").ok());
  EXPECT_EQ(error_of(ctx.subs.check_all_used()),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}");
}

TEST(Placeholders, NullMapsMeanNothingDefined) {
  Substitutions subs(nullptr, nullptr);
  EXPECT_EQ(error_of(parse_condition("a = :v", subs, "ConditionExpression")),
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v");
  EXPECT_EQ(error_of(subs.check_all_used()), "");
  EXPECT_EQ(error_of(subs.validate()), "");
}

TEST(Placeholders, ValidateMaps) {
  std::map<std::string, std::string> empty_names;
  AttributeMap empty_values;
  EXPECT_EQ(error_of(Substitutions(&empty_names, nullptr).validate()), "ExpressionAttributeNames must not be empty");
  EXPECT_EQ(error_of(Substitutions(nullptr, &empty_values).validate()), "ExpressionAttributeValues must not be empty");
  std::map<std::string, std::string> bad_names{{"a", "b"}};
  EXPECT_EQ(error_of(Substitutions(&bad_names, nullptr).validate()),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"");
  AttributeMap bad_values = Item({{":a-b", S("x")}});
  EXPECT_EQ(error_of(Substitutions(nullptr, &bad_values).validate()),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \":a-b\"");
}

// --- reserved words ----------------------------------------------------------------------------

TEST(ReservedWords, RejectedBareAcceptedAliased) {
  EXPECT_EQ(update_err("SET name = :v", {}, kV),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name");
  EXPECT_EQ(cond_err("a.Status = :v", {}, kV),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Status");
  EXPECT_EQ(proj_err("id, data"), "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: data");
  EXPECT_EQ(update_err("SET #n = :v", {{"#n", "name"}}, kV), "");
  // Function names are not attribute names.
  EXPECT_EQ(cond_err("size(a) > :n", {}, kV), "");
  EXPECT_EQ(cond_err("size > :n", {}, kV),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size");
}

// --- condition checks -------------------------------------------------------------------------

TEST(ConditionChecks, RedundantParentheses) {
  EXPECT_EQ(cond_err("((a = :v))", {}, kV), "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(cond_err("((a)) = :v", {}, kV), "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(cond_err("((a = :v) AND b = :v)", {}, kV), "");
}

TEST(ConditionChecks, UnknownAndMisusedFunctions) {
  EXPECT_EQ(cond_err("foo(a)"), "Invalid ConditionExpression: Invalid function name; function: foo");
  EXPECT_EQ(cond_err("if_not_exists(a, :v) = :v", {}, kV),
            "Invalid ConditionExpression: Invalid function name; function: if_not_exists");
  EXPECT_EQ(cond_err("Contains(a, :v)", {}, kV), "Invalid ConditionExpression: Invalid function name; function: Contains");
  EXPECT_EQ(cond_err("attribute_exists(a) = :v", {}, kV),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists");
  EXPECT_EQ(cond_err("size(a)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size");
  EXPECT_EQ(cond_err("contains(begins_with(a, :v), :v)", {}, kV),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: begins_with");
}

TEST(ConditionChecks, OperandCounts) {
  EXPECT_EQ(cond_err("begins_with(a)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1");
  EXPECT_EQ(cond_err("attribute_exists(a, b)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2");
  EXPECT_EQ(cond_err("size(a, b) = :n", {}, kV),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: size, number of operands: 2");
}

TEST(ConditionChecks, DistinctOperands) {
  EXPECT_EQ(cond_err("a = a"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]");
  EXPECT_EQ(cond_err("begins_with(a.b, #x)", {{"#x", "a"}}),
            "");
  EXPECT_EQ(cond_err("contains(#x.b, a.b)", {{"#x", "a"}}),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a, b]");
}

TEST(ConditionChecks, FunctionOperandTypes) {
  EXPECT_EQ(cond_err("attribute_exists(:v)", {}, kV),
            "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists");
  EXPECT_EQ(cond_err("begins_with(a, :n)", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
  EXPECT_EQ(cond_err("attribute_type(a, :n)", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N");
  EXPECT_EQ(cond_err("attribute_type(a, :v)", {}, kV),
            "Invalid ConditionExpression: Invalid attribute type name found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(cond_err("attribute_type(a, :t)", {}, kV), "");
  EXPECT_EQ(cond_err("size(:n) = :n", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N");
  EXPECT_EQ(cond_err("a < :b", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL");
  EXPECT_EQ(cond_err(":l >= a", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: L");
  EXPECT_EQ(cond_err("a = :l", {}, kV), "");
  EXPECT_EQ(cond_err("a BETWEEN :b AND :b", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL");
}

TEST(ConditionChecks, BetweenBounds) {
  EXPECT_EQ(cond_err("a BETWEEN :n AND :v", {}, kV),
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}");
  EXPECT_EQ(cond_err("a BETWEEN :m AND :n", {}, kV),
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}");
  EXPECT_EQ(cond_err("a BETWEEN :n AND :n", {}, kV), "");
}

TEST(ConditionChecks, FirstProblemInWrittenOrderWins) {
  // Matches the conformance captures for key conditions: the clause written first decides.
  EXPECT_EQ(cond_err("pk = :missing AND begins_with(sk, :n)", {}, kV),
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing");
  EXPECT_EQ(cond_err("begins_with(sk, :n) AND pk = :missing", {}, kV),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
  // Categorical checks come before per-condition ones.
  EXPECT_EQ(cond_err("a = :missing AND name = :v", {}, kV),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name");
}

// --- update checks ----------------------------------------------------------------------------

TEST(UpdateChecks, SectionsOnlyOnce) {
  EXPECT_EQ(update_err("SET a = :v SET b = :v", {}, kV),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;");
  EXPECT_EQ(update_err("REMOVE a remove b"),
            "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;");
}

TEST(UpdateChecks, OverlapAndConflict) {
  EXPECT_EQ(update_err("SET a = :v REMOVE a.b", {}, kV),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(update_err("SET #v = :v, #v = :w", {{"#v", "val"}}, kV),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [val], path two: [val]");
  EXPECT_EQ(update_err("SET a.b = :v, a[1] = :w", {}, kV),
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]");
  EXPECT_EQ(update_err("SET a.b = :v, a.c = :w, l[1] = :v, l[2] = :w", {}, kV), "");
  // The operands of SET are not update targets.
  EXPECT_EQ(update_err("SET a = a + :n", {}, kV), "");
}

TEST(UpdateChecks, AddAndDeleteOperandTypes) {
  EXPECT_EQ(update_err("ADD a :v", {}, kV),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
  EXPECT_EQ(update_err("ADD a :l", {}, kV),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST");
  EXPECT_EQ(update_err("DELETE a :n", {}, kV),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER");
  EXPECT_EQ(update_err("ADD a :n, b :ns DELETE c :ss", {}, kV), "");
}

TEST(UpdateChecks, Functions) {
  EXPECT_EQ(update_err("SET a = size(b)"), "Invalid UpdateExpression: Invalid function name; function: size");
  EXPECT_EQ(update_err("SET a = list_append(:v, b)", {}, kV),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S");
  EXPECT_EQ(update_err("SET a = b + :v", {}, kV),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S");
  EXPECT_EQ(update_err("SET a = :n - :l", {}, kV),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: L");
  EXPECT_EQ(update_err("SET a = if_not_exists(:v, b)", {}, kV),
            "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists");
  EXPECT_EQ(update_err("SET a = list_append(b)"),
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1");
}

// --- projection checks ------------------------------------------------------------------------

TEST(ProjectionChecks, OverlapAndConflict) {
  EXPECT_EQ(proj_err("a, a.b"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(proj_err("a[0], a.b"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]");
  EXPECT_EQ(proj_err("a.b, a.c, a2"), "");
}

}  // namespace
}  // namespace runnel::expr
