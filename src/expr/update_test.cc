// Update application: every clause, nested paths, list semantics, runtime errors.
#include <gtest/gtest.h>

#include "expr/expr.h"
#include "expr/test_util.h"

namespace runnel::expr {
namespace {

using namespace test;

// Parses and applies; returns the error message ("" on success). `item` is updated in place.
std::string run(std::string_view text, AttributeMap& item, AttributeMap values = {},
                std::map<std::string, std::string> names = {}) {
  Ctx ctx(std::move(names), std::move(values));
  auto u = parse_update(text, ctx.subs);
  if (!u.ok()) return "parse: " + u.error().message;
  return error_of(apply_update(*u, item));
}

TEST(Update, SetTopLevelCreatesAndOverwrites) {
  AttributeMap item = Item({{"pk", S("k")}, {"a", S("old")}});
  EXPECT_EQ(run("SET a = :v, b = :w", item, Item({{":v", S("new")}, {":w", N("1")}})), "");
  EXPECT_EQ(item, Item({{"pk", S("k")}, {"a", S("new")}, {"b", N("1")}}));
}

TEST(Update, UpsertIntoEmptyItem) {
  AttributeMap item;
  EXPECT_EQ(run("SET a = :v ADD c :n", item, Item({{":v", S("x")}, {":n", N("3")}})), "");
  EXPECT_EQ(item, Item({{"a", S("x")}, {"c", N("3")}}));
}

TEST(Update, SetCopiesAnotherAttributeAndReadsTheOriginalItem) {
  AttributeMap item = Item({{"a", N("1")}, {"b", N("2")}});
  EXPECT_EQ(run("SET a = b, b = a", item), "");  // a swap: operands see the item before the update
  EXPECT_EQ(item, Item({{"a", N("2")}, {"b", N("1")}}));
}

TEST(Update, Arithmetic) {
  AttributeMap item = Item({{"n", N("10")}, {"m", M({{"cnt", N("10")}})}});
  EXPECT_EQ(run("SET n = n + :d, m.cnt = m.cnt - :d, x = :d - n", item, Item({{":d", N("0.5")}})), "");
  EXPECT_EQ(item.at("n"), N("10.5"));
  EXPECT_EQ(item.at("m").map.at("cnt"), N("9.5"));
  EXPECT_EQ(item.at("x"), N("-9.5"));
}

TEST(Update, ArithmeticErrors) {
  AttributeMap item = Item({{"s", S("x")}, {"n", N("1")}});
  EXPECT_EQ(run("SET n = s + :d", item, Item({{":d", N("1")}})),
            "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(run("SET n = nope + :d", item, Item({{":d", N("1")}})),
            "The provided expression refers to an attribute that does not exist in the item");
  EXPECT_EQ(run("SET n = nope", item), "The provided expression refers to an attribute that does not exist in the item");
  // Overflow surfaces Decimal's error.
  AttributeMap big = Item({{"n", N("9" + std::string(37, '9') + std::string(88, '0'))}});
  EXPECT_NE(run("SET n = n + n", big), "");
}

TEST(Update, IfNotExists) {
  AttributeMap item = Item({{"a", N("5")}});
  EXPECT_EQ(run("SET a = if_not_exists(a, :z) + :one, b = if_not_exists(b, :z) + :one", item,
                Item({{":z", N("0")}, {":one", N("1")}})), "");
  EXPECT_EQ(item.at("a"), N("6"));
  EXPECT_EQ(item.at("b"), N("1"));
}

TEST(Update, ListAppend) {
  AttributeMap item = Item({{"l", L({S("a")})}});
  AttributeMap v = Item({{":tail", L({S("b"), S("c")})}, {":head", L({S("z")})}, {":e", L({})}});
  EXPECT_EQ(run("SET l = list_append(l, :tail)", item, v), "");
  EXPECT_EQ(item.at("l"), L({S("a"), S("b"), S("c")}));
  EXPECT_EQ(run("SET l = list_append(:head, l)", item, v), "");
  EXPECT_EQ(item.at("l"), L({S("z"), S("a"), S("b"), S("c")}));
  EXPECT_EQ(run("SET n = list_append(if_not_exists(n, :e), :head)", item, v), "");
  EXPECT_EQ(item.at("n"), L({S("z")}));
  item["s"] = S("x");
  EXPECT_EQ(run("SET l = list_append(s, :head)", item, v),
            "An operand in the update expression has an incorrect data type");
}

TEST(Update, NestedSet) {
  AttributeMap item = Item({{"m", M({{"keep", S("k")}, {"inner2", M({})}})}, {"l", L({S("a"), S("b")})}});
  AttributeMap v = Item({{":v", S("v")}});
  EXPECT_EQ(run("SET m.child = :v, m.inner2.x = :v, l[1] = :v", item, v), "");
  EXPECT_EQ(item.at("m"), M({{"keep", S("k")}, {"child", S("v")}, {"inner2", M({{"x", S("v")}})}}));
  EXPECT_EQ(item.at("l"), L({S("a"), S("v")}));
  EXPECT_EQ(item.count("m.child"), 0u);
}

TEST(Update, SetPastTheEndOfAListAppends) {
  AttributeMap item = Item({{"l", L({S("a"), S("b"), S("c")})}, {"e", L({})}});
  EXPECT_EQ(run("SET l[5] = :v, e[0] = :v", item, Item({{":v", S("new")}})), "");
  EXPECT_EQ(item.at("l"), L({S("a"), S("b"), S("c"), S("new")}));
  EXPECT_EQ(item.at("e"), L({S("new")}));
  // Several appends land in index order, whatever the order written.
  EXPECT_EQ(run("SET l[20] = :y, l[10] = :x", item, Item({{":x", S("x")}, {":y", S("y")}})), "");
  EXPECT_EQ(item.at("l"), L({S("a"), S("b"), S("c"), S("new"), S("x"), S("y")}));
}

TEST(Update, InvalidDocumentPaths) {
  const char* kBad = "The document path provided in the update expression is invalid for update";
  AttributeMap item = Item({{"s", S("x")}, {"m", M({})}, {"l", L({})}});
  AttributeMap v = Item({{":v", S("v")}, {":n", N("1")}});
  EXPECT_EQ(run("SET absent.nested.deep = :v", item, v), kBad);
  EXPECT_EQ(run("SET s.x = :v", item, v), kBad);
  EXPECT_EQ(run("SET m[0] = :v", item, v), kBad);
  EXPECT_EQ(run("SET l.x = :v", item, v), kBad);
  EXPECT_EQ(run("SET l[0].x = :v", item, v), kBad);
  EXPECT_EQ(run("REMOVE absent.x", item, v), kBad);
  EXPECT_EQ(run("ADD absent.x :n", item, v), kBad);
}

TEST(Update, Remove) {
  AttributeMap item = Item({{"a", S("x")}, {"m", M({{"gone", S("g")}, {"keep", S("k")}})},
                            {"l", L({S("a"), S("b"), S("c"), S("d")})}});
  EXPECT_EQ(run("REMOVE a, m.gone, l[1], nothing, m.nothing, l[10]", item), "");
  EXPECT_EQ(item, Item({{"m", M({{"keep", S("k")}})}, {"l", L({S("a"), S("c"), S("d")})}}));
}

TEST(Update, RemoveSeveralListElementsUsesOriginalIndexes) {
  AttributeMap item = Item({{"l", L({S("0"), S("1"), S("2"), S("3"), S("4")})}});
  EXPECT_EQ(run("REMOVE l[1], l[3], l[2]", item), "");
  EXPECT_EQ(item.at("l"), L({S("0"), S("4")}));
}

TEST(Update, RemoveAndSetInOneList) {
  AttributeMap item = Item({{"l", L({M({{"x", S("0")}}), S("1"), M({{"x", S("2")}})})}});
  // l[2].x refers to the original third element even though l[0] is removed.
  EXPECT_EQ(run("REMOVE l[0] SET l[2].x = :v, l[9] = :v", item, Item({{":v", S("v")}})), "");
  EXPECT_EQ(item.at("l"), L({S("1"), M({{"x", S("v")}}), S("v")}));
}

TEST(Update, AddNumbers) {
  AttributeMap item = Item({{"n", N("1")}});
  EXPECT_EQ(run("ADD n :d, fresh :d", item, Item({{":d", N("-3")}})), "");
  EXPECT_EQ(item.at("n"), N("-2"));
  EXPECT_EQ(item.at("fresh"), N("-3"));
}

TEST(Update, AddSets) {
  AttributeMap item = Item({{"ss", SS({"a", "b"})}, {"m", M({})}});
  EXPECT_EQ(run("ADD ss :s, m.ns :n", item, Item({{":s", SS({"b", "c"})}, {":n", NS({"1"})}})), "");
  EXPECT_EQ(item.at("ss"), SS({"a", "b", "c"}));
  EXPECT_EQ(item.at("ss").set.size(), 3u);
  EXPECT_EQ(item.at("m").map.at("ns"), NS({"1"}));
}

TEST(Update, AddTypeMismatch) {
  const char* kType = "An operand in the update expression has an incorrect data type";
  AttributeMap item = Item({{"s", S("x")}, {"ss", SS({"a"})}, {"n", N("1")}});
  EXPECT_EQ(run("ADD s :n", item, Item({{":n", N("1")}})), kType);
  EXPECT_EQ(run("ADD ss :n", item, Item({{":n", NS({"1"})}})), kType);
  EXPECT_EQ(run("ADD n :n", item, Item({{":n", SS({"1"})}})), kType);
}

TEST(Update, DeleteFromSets) {
  AttributeMap item = Item({{"ss", SS({"a", "b", "c"})}, {"one", NS({"1"})}, {"m", M({{"bs", BS({"x"})}})}});
  EXPECT_EQ(run("DELETE ss :d, one :n, m.bs :b, absent :d", item,
                Item({{":d", SS({"b", "zzz"})}, {":n", NS({"1"})}, {":b", BS({"x"})}})), "");
  EXPECT_EQ(item.at("ss"), SS({"a", "c"}));
  EXPECT_EQ(item.count("one"), 0u);  // an emptied set is removed, never stored empty
  EXPECT_EQ(item.at("m"), M({}));
  EXPECT_EQ(item.count("absent"), 0u);
  EXPECT_EQ(run("DELETE ss :n", item, Item({{":n", NS({"1"})}})),
            "An operand in the update expression has an incorrect data type");
}

TEST(Update, AllClausesTogether) {
  AttributeMap item = Item({{"pk", S("k")}, {"stale", S("x")}, {"tags", SS({"a", "b"})}});
  EXPECT_EQ(run("SET #s = :s REMOVE stale ADD visits :one DELETE tags :a", item,
                Item({{":s", S("active")}, {":one", N("1")}, {":a", SS({"a"})}}), {{"#s", "status"}}), "");
  EXPECT_EQ(item, Item({{"pk", S("k")}, {"status", S("active")}, {"visits", N("1")}, {"tags", SS({"b"})}}));
}

TEST(Update, UpdatedNamesAndPaths) {
  Ctx ctx({{"#a", "a"}}, Item({{":v", S("x")}, {":n", N("1")}}));
  auto u = parse_update("SET #a.b = :v, c = :v REMOVE a.d ADD e :n", ctx.subs);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(updated_top_level_names(*u), (std::vector<std::string>{"a", "c", "e"}));
  auto paths = updated_paths(*u);
  ASSERT_EQ(paths.size(), 4u);
  EXPECT_EQ(path_to_string(paths[0]), "[a, b]");
  EXPECT_EQ(path_to_string(paths[2]), "[a, d]");
}

TEST(Update, EmptyUpdateIsANoOp) {
  AttributeMap item = Item({{"a", S("x")}});
  EXPECT_EQ(error_of(apply_update(Update{}, item)), "");
  EXPECT_EQ(item, Item({{"a", S("x")}}));
  EXPECT_TRUE(updated_top_level_names(Update{}).empty());
}

}  // namespace
}  // namespace runnel::expr
