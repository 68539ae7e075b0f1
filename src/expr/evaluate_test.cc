// Condition evaluation: comparators across types, missing paths, nested paths, every function.
#include <gtest/gtest.h>

#include "expr/expr.h"
#include "expr/test_util.h"

namespace runnel::expr {
namespace {

using namespace test;

const AttributeMap kItem = Item({
    {"s", S("hello")},
    {"n", N("10")},
    {"neg", N("-2.5")},
    {"b", B(std::string("\x01\xff\x00\x7f", 4))},
    {"t", Bool(true)},
    {"z", Null()},
    {"ss", SS({"red", "green"})},
    {"ns", NS({"1", "2.5"})},
    {"bs", BS({"\x01", "\x02"})},
    {"l", L({S("x"), N("3"), M({{"k", S("v")}}), L({S("deep")})})},
    {"m", M({{"mid", M({{"leaf", N("7")}})}, {"arr", L({N("1"), N("2")})}, {"dotted.name", S("d")}})},
    {"uni", S("\xC3\xA9\xF0\x9D\x84\x9E")},  // "é𝄞": 2 UTF-16 units + a surrogate pair
    {"blank", S("")},
});

bool eval(std::string_view text, AttributeMap values = {}, std::map<std::string, std::string> names = {}) {
  Ctx ctx(std::move(names), std::move(values));
  auto c = parse_condition(text, ctx.subs, "ConditionExpression");
  EXPECT_TRUE(c.ok()) << text << ": " << (c.ok() ? "" : c.error().message);
  if (!c.ok()) return false;
  auto r = evaluate(*c, kItem);
  EXPECT_TRUE(r.ok());
  return r.ok() && *r;
}

TEST(Evaluate, EqualityAcrossTypes) {
  EXPECT_TRUE(eval("s = :v", Item({{":v", S("hello")}})));
  EXPECT_FALSE(eval("s = :v", Item({{":v", S("Hello")}})));
  EXPECT_FALSE(eval("n = :v", Item({{":v", S("10")}})));  // different types: false, not an error
  EXPECT_TRUE(eval("n = :v", Item({{":v", N("10")}})));
  EXPECT_TRUE(eval("n <> :v", Item({{":v", S("10")}})));
  EXPECT_TRUE(eval("ss = :v", Item({{":v", SS({"green", "red"})}})));  // sets compare as sets
  EXPECT_TRUE(eval("l[2] = :v", Item({{":v", M({{"k", S("v")}})}})));
  EXPECT_TRUE(eval("t = :v", Item({{":v", Bool(true)}})));
  EXPECT_TRUE(eval("z = :v", Item({{":v", Null()}})));
  EXPECT_TRUE(eval("s = s2", {}) == false);
}

TEST(Evaluate, MissingPaths) {
  AttributeMap v = Item({{":v", S("x")}});
  EXPECT_FALSE(eval("nope = :v", v));
  EXPECT_TRUE(eval("nope <> :v", v));  // a missing attribute is not equal to anything
  EXPECT_FALSE(eval("nope < :v", v));
  EXPECT_FALSE(eval("nope >= :v", v));
  EXPECT_FALSE(eval("nope BETWEEN :v AND :v", v));
  EXPECT_FALSE(eval("nope IN (:v)", v));
  EXPECT_TRUE(eval("NOT nope = :v", v));
  EXPECT_FALSE(eval("s.x = :v", v));        // a string has no fields
  EXPECT_FALSE(eval("l[10] = :v", v));      // past the end
  EXPECT_FALSE(eval("m[0] = :v", v));       // a map is not a list
  EXPECT_FALSE(eval("l.x = :v", v));        // a list is not a map
}

TEST(Evaluate, Ordering) {
  EXPECT_TRUE(eval("n > :v", Item({{":v", N("9.99")}})));
  EXPECT_TRUE(eval("n < :v", Item({{":v", N("100")}})));  // numeric, not textual
  EXPECT_TRUE(eval("neg < :v", Item({{":v", N("-2")}})));
  EXPECT_TRUE(eval("n >= :v AND n <= :v", Item({{":v", N("10")}})));
  EXPECT_TRUE(eval("s > :v", Item({{":v", S("Hello")}})));  // bytewise: 'h' > 'H'
  EXPECT_TRUE(eval("s < :v", Item({{":v", S("hello!")}})));
  EXPECT_TRUE(eval("b > :v", Item({{":v", B(std::string("\x01\x80", 2))}})));  // unsigned bytes
  EXPECT_FALSE(eval("n < :v", Item({{":v", S("zzz")}})));
  EXPECT_FALSE(eval("ss < :v", Item({{":v", S("zzz")}})));
}

TEST(Evaluate, BetweenAndIn) {
  AttributeMap v = Item({{":lo", N("5")}, {":hi", N("10")}, {":a", S("a")}, {":z", S("z")}, {":x", N("10")},
                         {":y", S("hello")}, {":q", N("11")}});
  EXPECT_TRUE(eval("n BETWEEN :lo AND :hi", v));
  EXPECT_FALSE(eval("neg BETWEEN :lo AND :hi", v));
  EXPECT_TRUE(eval("s BETWEEN :a AND :z", v));
  EXPECT_FALSE(eval("n BETWEEN :a AND :z", v));
  EXPECT_TRUE(eval("n IN (:q, :x)", v));
  EXPECT_TRUE(eval("s IN (:x, :y)", v));
  EXPECT_FALSE(eval("s IN (:x, :q)", v));
}

TEST(Evaluate, LogicalOperatorsAndPrecedence) {
  AttributeMap v = Item({{":t", Bool(true)}, {":f", Bool(false)}});
  // NOT binds tighter than AND, AND tighter than OR.
  EXPECT_TRUE(eval("t = :t OR t = :f AND t = :f", v));
  EXPECT_FALSE(eval("(t = :t OR t = :f) AND t = :f", v));
  EXPECT_TRUE(eval("NOT t = :f AND t = :t", v));
  EXPECT_FALSE(eval("NOT (t = :f OR t = :t)", v));
  EXPECT_TRUE(eval("t = :t and not t = :f", v));
}

TEST(Evaluate, NestedPathsAndPlaceholders) {
  EXPECT_TRUE(eval("m.mid.leaf = :v", Item({{":v", N("7")}})));
  EXPECT_TRUE(eval("#m.#i.#l = :v", Item({{":v", N("7")}}), {{"#m", "m"}, {"#i", "mid"}, {"#l", "leaf"}}));
  EXPECT_TRUE(eval("m.arr[1] = :v", Item({{":v", N("2")}})));
  EXPECT_TRUE(eval("l[3][0] = :v", Item({{":v", S("deep")}})));
  EXPECT_TRUE(eval("l[2].k = :v", Item({{":v", S("v")}})));
  // A placeholder holding a dot names one attribute; it is not a path.
  EXPECT_TRUE(eval("m.#d = :v", Item({{":v", S("d")}}), {{"#d", "dotted.name"}}));
  EXPECT_FALSE(eval("#d = :v", Item({{":v", S("d")}}), {{"#d", "m.mid"}}));
  // Two values compared directly.
  EXPECT_TRUE(eval(":a = :b", Item({{":a", S("q")}, {":b", S("q")}})));
}

TEST(Evaluate, AttributeExistsAndType) {
  EXPECT_TRUE(eval("attribute_exists(s)"));
  EXPECT_TRUE(eval("attribute_exists(z)"));  // NULL is a value
  EXPECT_FALSE(eval("attribute_exists(nope)"));
  EXPECT_TRUE(eval("attribute_not_exists(nope)"));
  EXPECT_TRUE(eval("attribute_exists(m.mid.leaf)"));
  EXPECT_TRUE(eval("attribute_not_exists(m.mid.nope)"));
  EXPECT_TRUE(eval("attribute_exists(l[3])"));
  EXPECT_FALSE(eval("attribute_exists(l[4])"));
  const std::pair<const char*, const char*> types[] = {
      {"s", "S"}, {"n", "N"}, {"b", "B"}, {"t", "BOOL"}, {"z", "NULL"}, {"ss", "SS"},
      {"ns", "NS"}, {"bs", "BS"}, {"l", "L"}, {"m", "M"}};
  for (const auto& [attr, type] : types) {
    EXPECT_TRUE(eval(std::string("attribute_type(") + attr + ", :t)", Item({{":t", S(type)}}))) << attr;
    EXPECT_FALSE(eval(std::string("attribute_type(") + attr + ", :t)", Item({{":t", S("M")}})) &&
                 std::string(type) != "M") << attr;
  }
  EXPECT_FALSE(eval("attribute_type(nope, :t)", Item({{":t", S("S")}})));
}

TEST(Evaluate, BeginsWith) {
  EXPECT_TRUE(eval("begins_with(s, :p)", Item({{":p", S("he")}})));
  EXPECT_TRUE(eval("begins_with(s, :p)", Item({{":p", S("")}})));
  EXPECT_TRUE(eval("begins_with(s, :p)", Item({{":p", S("hello")}})));
  EXPECT_FALSE(eval("begins_with(s, :p)", Item({{":p", S("hello world")}})));
  EXPECT_FALSE(eval("begins_with(s, :p)", Item({{":p", S("He")}})));
  EXPECT_TRUE(eval("begins_with(b, :p)", Item({{":p", B(std::string("\x01\xff", 2))}})));
  EXPECT_FALSE(eval("begins_with(b, :p)", Item({{":p", S("\x01")}})));  // type mismatch
  EXPECT_FALSE(eval("begins_with(nope, :p)", Item({{":p", S("")}})));
  EXPECT_FALSE(eval("begins_with(ss, :p)", Item({{":p", S("r")}})));
}

TEST(Evaluate, Contains) {
  EXPECT_TRUE(eval("contains(s, :v)", Item({{":v", S("ell")}})));
  EXPECT_FALSE(eval("contains(s, :v)", Item({{":v", S("xyz")}})));
  EXPECT_TRUE(eval("contains(b, :v)", Item({{":v", B(std::string("\xff\x00", 2))}})));
  EXPECT_TRUE(eval("contains(ss, :v)", Item({{":v", S("red")}})));
  EXPECT_FALSE(eval("contains(ss, :v)", Item({{":v", S("re")}})));  // set members, not substrings
  EXPECT_TRUE(eval("contains(ns, :v)", Item({{":v", N("2.5")}})));
  EXPECT_FALSE(eval("contains(ns, :v)", Item({{":v", S("2.5")}})));
  EXPECT_TRUE(eval("contains(bs, :v)", Item({{":v", B("\x02")}})));
  EXPECT_TRUE(eval("contains(l, :v)", Item({{":v", S("x")}})));
  EXPECT_TRUE(eval("contains(l, :v)", Item({{":v", N("3")}})));
  EXPECT_TRUE(eval("contains(l, :v)", Item({{":v", M({{"k", S("v")}})}})));
  EXPECT_FALSE(eval("contains(l, :v)", Item({{":v", S("deep")}})));
  EXPECT_FALSE(eval("contains(m, :v)", Item({{":v", S("mid")}})));
  EXPECT_FALSE(eval("contains(nope, :v)", Item({{":v", S("x")}})));
  EXPECT_TRUE(eval("NOT contains(nope, :v)", Item({{":v", S("x")}})));
}

TEST(Evaluate, Size) {
  auto n = [](const char* v) { return Item({{":n", N(v)}}); };
  EXPECT_TRUE(eval("size(s) = :n", n("5")));
  EXPECT_TRUE(eval("size(uni) = :n", n("3")));  // UTF-16 code units, as DynamoDB counts
  EXPECT_TRUE(eval("size(blank) = :n", n("0")));
  EXPECT_TRUE(eval("size(b) = :n", n("4")));
  EXPECT_TRUE(eval("size(ss) = :n", n("2")));
  EXPECT_TRUE(eval("size(l) = :n", n("4")));
  EXPECT_TRUE(eval("size(m) = :n", n("3")));
  EXPECT_TRUE(eval("size(m.arr) > :n", n("1")));
  EXPECT_FALSE(eval("size(n) = :n", n("2")));    // size of a number has no value
  EXPECT_FALSE(eval("size(nope) = :n", n("0")));
  EXPECT_TRUE(eval("size(nope) <> :n", n("0")));
  EXPECT_TRUE(eval("size(s) BETWEEN :a AND :b", Item({{":a", N("1")}, {":b", N("5")}})));
  EXPECT_TRUE(eval("size(s) IN (:a, :b)", Item({{":a", N("1")}, {":b", N("5")}})));
}

TEST(Evaluate, EmptyConditionMatches) {
  Condition none;
  auto r = evaluate(none, kItem);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
}

TEST(Evaluate, ConditionIsReusableAndCopyable) {
  Ctx ctx({}, Item({{":v", N("10")}}));
  auto c = parse_condition("n = :v", ctx.subs, "ConditionExpression");
  ASSERT_TRUE(c.ok());
  Condition copy = *c;
  EXPECT_TRUE(*evaluate(copy, kItem));
  EXPECT_FALSE(*evaluate(copy, Item({{"n", N("11")}})));
}

}  // namespace
}  // namespace runnel::expr
