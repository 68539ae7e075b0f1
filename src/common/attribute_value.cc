#include "common/attribute_value.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "common/base64.h"
#include "common/decimal.h"

namespace runnel {

const char* attr_type_name(AttrType t) {
  switch (t) {
    case AttrType::S: return "S";
    case AttrType::N: return "N";
    case AttrType::B: return "B";
    case AttrType::SS: return "SS";
    case AttrType::NS: return "NS";
    case AttrType::BS: return "BS";
    case AttrType::M: return "M";
    case AttrType::L: return "L";
    case AttrType::Null: return "NULL";
    case AttrType::Bool: return "BOOL";
  }
  return "?";
}

namespace {

// DynamoDB nests documents at most 32 levels deep.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-attributes
constexpr int kMaxDepth = 32;

std::optional<AttrType> type_from_key(std::string_view k) {
  if (k.size() == 1) {
    switch (k[0]) {
      case 'S': return AttrType::S;
      case 'N': return AttrType::N;
      case 'B': return AttrType::B;
      case 'M': return AttrType::M;
      case 'L': return AttrType::L;
    }
    return std::nullopt;
  }
  if (k == "SS") return AttrType::SS;
  if (k == "NS") return AttrType::NS;
  if (k == "BS") return AttrType::BS;
  if (k == "NULL") return AttrType::Null;
  if (k == "BOOL") return AttrType::Bool;
  return std::nullopt;
}

ApiError wrong_json_type(const char* expected) {
  return ApiError::serialization(std::string("Unexpected value type in payload; expected ") + expected);
}

const char* set_noun(AttrType t) {
  switch (t) {
    case AttrType::SS: return "string";
    case AttrType::NS: return "number";
    default: return "binary";
  }
}

Result<std::string> decode_scalar(AttrType t, const rapidjson::Value& j) {
  if (!j.IsString()) return wrong_json_type("string");
  std::string_view text(j.GetString(), j.GetStringLength());
  if (t == AttrType::S) return std::string(text);
  if (t == AttrType::N) {
    RUNNEL_TRY(Decimal d, Decimal::parse(text));
    return d.to_string();
  }
  auto bytes = base64_decode(text);
  if (!bytes) return ApiError::serialization("Base64 encoded length is expected a multiple of 4 bytes but found: " + std::to_string(text.size()));
  return std::move(*bytes);
}

}  // namespace

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case AttrType::S:
    case AttrType::N:  // normalised text: equal numbers have equal text
    case AttrType::B: return a.scalar == b.scalar;
    case AttrType::Bool: return a.boolean == b.boolean;
    case AttrType::Null: return true;
    case AttrType::SS:
    case AttrType::NS:
    case AttrType::BS: {
      if (a.set.size() != b.set.size()) return false;
      std::unordered_set<std::string_view> s(a.set.begin(), a.set.end());
      for (const auto& e : b.set)
        if (!s.count(e)) return false;
      return true;
    }
    case AttrType::L: return a.list == b.list;
    case AttrType::M: return a.map == b.map;
  }
  return false;
}

Result<AttributeValue> decode_attribute_value(const rapidjson::Value& json, int depth) {
  if (depth > kMaxDepth) return ApiError::validation("Nesting Levels have exceeded supported limits");
  if (!json.IsObject()) return wrong_json_type("object");
  if (json.MemberCount() == 0)
    return ApiError::validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  if (json.MemberCount() > 1)
    return ApiError::validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
  const auto& m = *json.MemberBegin();
  auto type = type_from_key(std::string_view(m.name.GetString(), m.name.GetStringLength()));
  if (!type) return ApiError::validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  AttributeValue v;
  v.type = *type;
  const rapidjson::Value& j = m.value;
  switch (*type) {
    case AttrType::S:
    case AttrType::N:
    case AttrType::B: {
      RUNNEL_TRY(v.scalar, decode_scalar(*type, j));
      break;
    }
    case AttrType::Bool:
      if (!j.IsBool()) return wrong_json_type("boolean");
      v.boolean = j.GetBool();
      break;
    case AttrType::Null:
      if (!j.IsBool()) return wrong_json_type("boolean");
      if (!j.GetBool())
        return ApiError::validation("One or more parameter values were invalid: Null attribute value types must have the value of true");
      break;
    case AttrType::SS:
    case AttrType::NS:
    case AttrType::BS: {
      if (!j.IsArray()) return wrong_json_type("array");
      if (j.Empty())
        return ApiError::validation(std::string("One or more parameter values were invalid: An ") + set_noun(*type) + " set  may not be empty");
      AttrType elem = *type == AttrType::SS ? AttrType::S : *type == AttrType::NS ? AttrType::N : AttrType::B;
      std::unordered_set<std::string> seen;
      for (const auto& e : j.GetArray()) {
        RUNNEL_TRY(std::string s, decode_scalar(elem, e));
        if (!seen.insert(s).second) {
          std::string listing;
          for (const auto& x : j.GetArray()) {
            if (!listing.empty()) listing += ", ";
            listing.append(x.IsString() ? x.GetString() : "?");
          }
          return ApiError::validation("One or more parameter values were invalid: Input collection [" + listing + "] contains duplicates.");
        }
        v.set.push_back(std::move(s));
      }
      break;
    }
    case AttrType::L:
      if (!j.IsArray()) return wrong_json_type("array");
      v.list.reserve(j.Size());
      for (const auto& e : j.GetArray()) {
        RUNNEL_TRY(AttributeValue child, decode_attribute_value(e, depth + 1));
        v.list.push_back(std::move(child));
      }
      break;
    case AttrType::M:
      if (!j.IsObject()) return wrong_json_type("object");
      for (const auto& e : j.GetObject()) {
        RUNNEL_TRY(AttributeValue child, decode_attribute_value(e.value, depth + 1));
        v.map.insert_or_assign(std::string(e.name.GetString(), e.name.GetStringLength()), std::move(child));
      }
      break;
  }
  return v;
}

Result<AttributeMap> decode_attribute_map(const rapidjson::Value& json) {
  if (!json.IsObject()) return wrong_json_type("object");
  AttributeMap out;
  for (const auto& e : json.GetObject()) {
    // Attribute names are 1 to 64 KB long (the model's AttributeName has min length 1).
    if (e.name.GetStringLength() == 0)
      return ApiError::validation("One or more parameter values were invalid: Empty attribute name");
    RUNNEL_TRY(AttributeValue v, decode_attribute_value(e.value, 1));
    out.insert_or_assign(std::string(e.name.GetString(), e.name.GetStringLength()), std::move(v));
  }
  return out;
}

void write_attribute_value(rapidjson::Writer<rapidjson::StringBuffer>& w, const AttributeValue& v) {
  w.StartObject();
  w.Key(attr_type_name(v.type));
  switch (v.type) {
    case AttrType::S:
    case AttrType::N: w.String(v.scalar.data(), static_cast<rapidjson::SizeType>(v.scalar.size())); break;
    case AttrType::B: {
      std::string b = base64_encode(v.scalar);
      w.String(b.data(), static_cast<rapidjson::SizeType>(b.size()));
      break;
    }
    case AttrType::Bool: w.Bool(v.boolean); break;
    case AttrType::Null: w.Bool(true); break;
    case AttrType::SS:
    case AttrType::NS:
    case AttrType::BS:
      w.StartArray();
      for (const auto& e : v.set) {
        if (v.type == AttrType::BS) {
          std::string b = base64_encode(e);
          w.String(b.data(), static_cast<rapidjson::SizeType>(b.size()));
        } else {
          w.String(e.data(), static_cast<rapidjson::SizeType>(e.size()));
        }
      }
      w.EndArray();
      break;
    case AttrType::L:
      w.StartArray();
      for (const auto& e : v.list) write_attribute_value(w, e);
      w.EndArray();
      break;
    case AttrType::M: write_attribute_map(w, v.map); break;
  }
  w.EndObject();
}

void write_attribute_map(rapidjson::Writer<rapidjson::StringBuffer>& w, const AttributeMap& m) {
  w.StartObject();
  for (const auto& [k, v] : m) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    write_attribute_value(w, v);
  }
  w.EndObject();
}

std::string attribute_map_to_json(const AttributeMap& m) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  write_attribute_map(w, m);
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {
size_t number_size(const std::string& normalised) {
  // ~ ceil(significant digits / 2) + 1 (aws-reference.md 1.4).
  int digits = 0;
  bool leading = true;
  size_t last_nonzero_count = 0;
  for (char c : normalised) {
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
    if (c != '0') last_nonzero_count = static_cast<size_t>(digits);
  }
  size_t sig = std::max<size_t>(last_nonzero_count, 1);
  return (sig + 1) / 2 + 1;
}
}  // namespace

size_t attribute_value_size(const AttributeValue& v) {
  switch (v.type) {
    case AttrType::S:
    case AttrType::B: return v.scalar.size();
    case AttrType::N: return number_size(v.scalar);
    case AttrType::Bool:
    case AttrType::Null: return 1;
    case AttrType::SS:
    case AttrType::BS: {
      size_t n = 0;
      for (const auto& e : v.set) n += e.size();
      return n;
    }
    case AttrType::NS: {
      size_t n = 0;
      for (const auto& e : v.set) n += number_size(e);
      return n;
    }
    case AttrType::L: {
      size_t n = 3;
      for (const auto& e : v.list) n += attribute_value_size(e) + 1;
      return n;
    }
    case AttrType::M: {
      size_t n = 3;
      for (const auto& [k, e] : v.map) n += k.size() + attribute_value_size(e) + 1;
      return n;
    }
  }
  return 0;
}

size_t item_size(const AttributeMap& item) {
  size_t n = 0;
  for (const auto& [k, v] : item) n += k.size() + attribute_value_size(v);
  return n;
}

int compare_scalar(const AttributeValue& a, const AttributeValue& b) {
  if (a.type == AttrType::N && b.type == AttrType::N) {
    auto x = Decimal::parse(a.scalar);
    auto y = Decimal::parse(b.scalar);
    if (!x.ok() || !y.ok()) return a.scalar.compare(b.scalar);
    auto c = *x <=> *y;
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  // S and B: unsigned byte order (std::string::compare uses char_traits<char>, which compares as
  // unsigned char).
  int c = a.scalar.compare(b.scalar);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace runnel
