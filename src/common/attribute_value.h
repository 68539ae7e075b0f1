// AttributeValue: DynamoDB's typed value (S, N, B, SS, NS, BS, M, L, NULL, BOOL), the currency of the
// dynamodb service, the expression engine and the stream records.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html
//
// It lives in common/ (not dynamodb/) because expr/ evaluates it and sits below the services.
// Numbers are kept as their normalised text (Decimal::to_string()), so rendering is a copy and
// equality is string equality; arithmetic and ordering parse them with Decimal.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/writer.h>
#include <rapidjson/stringbuffer.h>

#include "common/result.h"

namespace runnel {

// Values are stable: they are written to disk in key encodings. Never reorder.
enum class AttrType : uint8_t { S = 1, N = 2, B = 3, SS = 4, NS = 5, BS = 6, M = 7, L = 8, Null = 9, Bool = 10 };

const char* attr_type_name(AttrType t);  // "S", "N", ..., "NULL", "BOOL"

struct AttributeValue;
using AttributeMap = std::map<std::string, AttributeValue, std::less<>>;  // an item, or an M value

struct AttributeValue {
  AttrType type = AttrType::Null;
  std::string scalar;                    // S text, B raw bytes, N normalised text
  bool boolean = false;                  // BOOL
  std::vector<std::string> set;          // SS/BS raw, NS normalised; in insertion order, no duplicates
  std::vector<AttributeValue> list;      // L
  AttributeMap map;                      // M

  static AttributeValue string(std::string s) { AttributeValue v; v.type = AttrType::S; v.scalar = std::move(s); return v; }
  static AttributeValue number(std::string normalised) { AttributeValue v; v.type = AttrType::N; v.scalar = std::move(normalised); return v; }
  static AttributeValue binary(std::string bytes) { AttributeValue v; v.type = AttrType::B; v.scalar = std::move(bytes); return v; }
  static AttributeValue null() { AttributeValue v; v.type = AttrType::Null; return v; }
  static AttributeValue boolean_value(bool b) { AttributeValue v; v.type = AttrType::Bool; v.boolean = b; return v; }

  bool is_set() const { return type == AttrType::SS || type == AttrType::NS || type == AttrType::BS; }
  bool is_scalar_key_type() const { return type == AttrType::S || type == AttrType::N || type == AttrType::B; }

  // Deep equality as DynamoDB defines it (sets compare as sets, numbers by value).
  friend bool operator==(const AttributeValue& a, const AttributeValue& b);
};

// --- JSON codec (DynamoDB's wire form: {"S":"x"}, {"N":"1"}, {"M":{...}}, ...) -----------------

// Decodes one wire AttributeValue with DynamoDB's validation (exactly one type key, valid numbers,
// valid base64, non-empty sets without duplicates, nesting depth <= 32). `what` names the value in
// error messages.
Result<AttributeValue> decode_attribute_value(const rapidjson::Value& json, int depth = 0);
// Decodes an item / key map {"name": {AttributeValue}, ...}.
Result<AttributeMap> decode_attribute_map(const rapidjson::Value& json);

void write_attribute_value(rapidjson::Writer<rapidjson::StringBuffer>& w, const AttributeValue& v);
void write_attribute_map(rapidjson::Writer<rapidjson::StringBuffer>& w, const AttributeMap& m);
std::string attribute_map_to_json(const AttributeMap& m);

// --- sizes (aws-reference.md 1.4) -------------------------------------------------------------
size_t attribute_value_size(const AttributeValue& v);
size_t item_size(const AttributeMap& item);  // sum of name bytes + value sizes

// Total order for sort keys of one type: S and B by unsigned bytes, N numerically. Returns <0, 0, >0.
// Only meaningful for two values of the same scalar type.
int compare_scalar(const AttributeValue& a, const AttributeValue& b);

}  // namespace runnel
