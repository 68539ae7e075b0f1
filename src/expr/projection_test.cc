#include <gtest/gtest.h>

#include "expr/expr.h"
#include "expr/test_util.h"

namespace runnel::expr {
namespace {

using namespace test;

const AttributeMap kItem = Item({
    {"id", S("1")},
    {"title", S("t")},
    {"m", M({{"a", N("1")}, {"b", M({{"c", S("c")}, {"d", S("d")}})}})},
    {"l", L({S("l0"), M({{"x", S("x1")}, {"y", S("y1")}}), S("l2"), S("l3")})},
});

AttributeMap proj(std::string_view text, std::map<std::string, std::string> names = {}) {
  Ctx ctx(std::move(names), {});
  auto p = parse_projection(text, ctx.subs);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  if (!p.ok()) return {};
  return project(*p, kItem);
}

TEST(Projection, TopLevel) {
  EXPECT_EQ(proj("id, title"), Item({{"id", S("1")}, {"title", S("t")}}));
  EXPECT_EQ(proj("id, nope"), Item({{"id", S("1")}}));
  EXPECT_EQ(proj("nope"), AttributeMap{});
}

TEST(Projection, NestedMapsKeepOnlyNamedParts) {
  EXPECT_EQ(proj("m.b.c, m.a"), Item({{"m", M({{"a", N("1")}, {"b", M({{"c", S("c")}})}})}}));
  EXPECT_EQ(proj("m.b"), Item({{"m", M({{"b", M({{"c", S("c")}, {"d", S("d")}})}})}}));
  EXPECT_EQ(proj("m.nope"), AttributeMap{});  // no empty container for a miss
}

TEST(Projection, ListIndexesAreCompactedInIndexOrder) {
  EXPECT_EQ(proj("l[3], l[0]"), Item({{"l", L({S("l0"), S("l3")})}}));
  EXPECT_EQ(proj("l[1].y, l[9]"), Item({{"l", L({M({{"y", S("y1")}})})}}));
  EXPECT_EQ(proj("l[1].x, l[1].y"), Item({{"l", L({M({{"x", S("x1")}, {"y", S("y1")}})})}}));
}

TEST(Projection, Placeholders) {
  EXPECT_EQ(proj("#m.#b.#c", {{"#m", "m"}, {"#b", "b"}, {"#c", "c"}}),
            Item({{"m", M({{"b", M({{"c", S("c")}})}})}}));
}

TEST(Projection, HandBuiltOverlappingPathsKeepTheWholeSubtree) {
  Projection p;
  p.paths = {Path{{"m", -1}, {"b", -1}, {"c", -1}}, Path{{"m", -1}, {"b", -1}}, Path{{"m", -1}, {"b", -1}, {"d", -1}}};
  EXPECT_EQ(project(p, kItem), Item({{"m", M({{"b", M({{"c", S("c")}, {"d", S("d")}})}})}}));
}

}  // namespace
}  // namespace runnel::expr
