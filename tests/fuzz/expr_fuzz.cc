// libFuzzer target for the expression engine: the input is parsed as every expression kind
// (condition, key condition, update, projection) against a fixed set of placeholders, and what
// parses is also evaluated / applied / projected on a sample item. Any crash, sanitizer report or
// hang is a bug; ValidationExceptions are the expected outcome for most inputs.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/attribute_value.h"
#include "expr/expr.h"

namespace {

using runnel::AttributeMap;
using runnel::AttributeValue;
using runnel::AttrType;

AttributeValue list_of(std::initializer_list<AttributeValue> l) {
  AttributeValue v;
  v.type = AttrType::L;
  v.list = l;
  return v;
}

AttributeValue map_of(std::initializer_list<std::pair<const std::string, AttributeValue>> m) {
  AttributeValue v;
  v.type = AttrType::M;
  for (const auto& kv : m) v.map.emplace(kv.first, kv.second);
  return v;
}

AttributeValue string_set(std::initializer_list<std::string> s) {
  AttributeValue v;
  v.type = AttrType::SS;
  v.set = s;
  return v;
}

AttributeValue number_set(std::initializer_list<std::string> s) {
  AttributeValue v;
  v.type = AttrType::NS;
  v.set = s;
  return v;
}

const std::map<std::string, std::string>& names() {
  static const std::map<std::string, std::string> n = {
      {"#a", "a"}, {"#b", "b"}, {"#n", "name"}, {"#l", "l"}, {"#m", "m"}, {"#dot", "x.y"}};
  return n;
}

const AttributeMap& values() {
  static const AttributeMap v = [] {
    AttributeMap m;
    m.emplace(":s", AttributeValue::string("abc"));
    m.emplace(":e", AttributeValue::string(""));
    m.emplace(":n", AttributeValue::number("1"));
    m.emplace(":big", AttributeValue::number("99999999999999999999999999999999999999"));
    m.emplace(":neg", AttributeValue::number("-0.5"));
    m.emplace(":b", AttributeValue::binary(std::string("\x00\xff", 2)));
    m.emplace(":t", AttributeValue::boolean_value(true));
    m.emplace(":z", AttributeValue::null());
    m.emplace(":ss", string_set({"a", "b"}));
    m.emplace(":ns", number_set({"1", "2"}));
    m.emplace(":l", list_of({AttributeValue::string("x")}));
    m.emplace(":m", map_of({{"k", AttributeValue::number("2")}}));
    m.emplace(":type", AttributeValue::string("S"));
    return m;
  }();
  return v;
}

const AttributeMap& sample_item() {
  static const AttributeMap item = [] {
    AttributeMap m;
    m.emplace("pk", AttributeValue::string("key"));
    m.emplace("a", AttributeValue::number("10"));
    m.emplace("b", AttributeValue::string("hello"));
    m.emplace("l", list_of({AttributeValue::number("1"), map_of({{"c", AttributeValue::string("d")}}),
                            list_of({AttributeValue::string("deep")})}));
    m.emplace("m", map_of({{"k", AttributeValue::number("2")}, {"l", list_of({})}}));
    m.emplace("s", string_set({"a", "c"}));
    m.emplace("x.y", AttributeValue::boolean_value(false));
    return m;
  }();
  return item;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace expr = runnel::expr;

  {
    expr::Substitutions subs(&names(), &values());
    auto c = expr::parse_condition(text, subs, "ConditionExpression");
    if (c.ok()) (void)expr::evaluate(*c, sample_item());
    (void)subs.check_all_used();
  }
  {
    expr::Substitutions subs(&names(), &values());
    const std::string hash = "pk", range = "a";
    (void)expr::parse_key_condition(text, subs, hash, &range);
    (void)expr::parse_key_condition(text, subs, hash, nullptr);
  }
  {
    expr::Substitutions subs(&names(), &values());
    auto u = expr::parse_update(text, subs);
    if (u.ok()) {
      AttributeMap item = sample_item();
      (void)expr::apply_update(*u, item);
      (void)expr::updated_top_level_names(*u);
      (void)expr::updated_paths(*u);
      AttributeMap empty;
      (void)expr::apply_update(*u, empty);
    }
  }
  {
    expr::Substitutions subs(&names(), &values());
    auto p = expr::parse_projection(text, subs);
    if (p.ok()) (void)expr::project(*p, sample_item());
  }
  return 0;
}
