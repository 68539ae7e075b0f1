// Helpers shared by the expr unit tests: terse AttributeValue builders and a request context
// holding the placeholder maps.
#pragma once

#include <initializer_list>
#include <ostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/attribute_value.h"
#include "expr/expr.h"

namespace runnel::expr::test {

inline AttributeValue S(std::string s) { return AttributeValue::string(std::move(s)); }
inline AttributeValue N(std::string normalised) { return AttributeValue::number(std::move(normalised)); }
inline AttributeValue B(std::string bytes) { return AttributeValue::binary(std::move(bytes)); }
inline AttributeValue Bool(bool b) { return AttributeValue::boolean_value(b); }
inline AttributeValue Null() { return AttributeValue::null(); }
inline AttributeValue set_of(AttrType t, std::initializer_list<std::string> elems) {
  AttributeValue v;
  v.type = t;
  v.set.assign(elems.begin(), elems.end());
  return v;
}
inline AttributeValue SS(std::initializer_list<std::string> e) { return set_of(AttrType::SS, e); }
inline AttributeValue NS(std::initializer_list<std::string> e) { return set_of(AttrType::NS, e); }
inline AttributeValue BS(std::initializer_list<std::string> e) { return set_of(AttrType::BS, e); }
inline AttributeValue L(std::vector<AttributeValue> e) {
  AttributeValue v;
  v.type = AttrType::L;
  v.list = std::move(e);
  return v;
}
inline AttributeValue M(std::initializer_list<std::pair<const std::string, AttributeValue>> e) {
  AttributeValue v;
  v.type = AttrType::M;
  for (const auto& kv : e) v.map.emplace(kv.first, kv.second);
  return v;
}
inline AttributeMap Item(std::initializer_list<std::pair<const std::string, AttributeValue>> e) {
  AttributeMap m;
  for (const auto& kv : e) m.emplace(kv.first, kv.second);
  return m;
}

// One request's placeholders. Not movable: Substitutions points at the maps.
struct Ctx {
  std::map<std::string, std::string> names;
  AttributeMap values;
  Substitutions subs{&names, &values};
  Ctx() = default;
  Ctx(std::map<std::string, std::string> n, AttributeMap v) : names(std::move(n)), values(std::move(v)) {}
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

// The error message of a failed Result, or "" on success.
template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message;
}

}  // namespace runnel::expr::test

namespace runnel {
// Readable gtest failure output for values.
inline void PrintTo(const AttributeValue& v, std::ostream* os) {
  AttributeMap m;
  m.emplace("v", v);
  *os << attribute_map_to_json(m);
}
}  // namespace runnel
