// The expression trees. The parser fills the "raw" fields (placeholders as written); resolve.cc
// checks them and fills the resolved fields (Path, AttributeValue); evaluate.cc / update.cc only
// read resolved fields. Legacy parameters (legacy.cc) build resolved trees directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/attribute_value.h"
#include "expr/expr.h"

namespace runnel::expr::detail {

// A path step as written: an identifier, a #placeholder, or a [index].
struct RawPathElement {
  std::string name;          // identifier or "#placeholder" (empty for an index)
  bool placeholder = false;  // name is a #placeholder
  int index = -1;            // >= 0 for [index]
};

enum class Func : uint8_t {
  Unknown,
  // condition functions
  AttributeExists, AttributeNotExists, AttributeType, BeginsWith, Contains, Size,
  // update functions
  IfNotExists, ListAppend,
  // legacy NOT_CONTAINS: unlike NOT contains(...), false when the attribute is missing
  LegacyNotContains,
};

struct Operand {
  enum class Kind : uint8_t { Path, Value, Function, Plus, Minus };
  Kind kind = Kind::Path;
  // Path
  std::vector<RawPathElement> raw_path;
  Path path;
  // Value
  std::string placeholder;  // ":v" as written
  AttributeValue value;     // resolved
  // Function (args) / Plus, Minus (two args)
  std::string func_name;    // as written (function names are case-sensitive)
  Func func = Func::Unknown;
  std::vector<Operand> args;
  // Written inside two or more pairs of parentheses: "The expression has redundant parentheses;"
  bool redundant_parens = false;
  bool parenthesized = false;  // parser bookkeeping for redundant_parens
};

enum class CmpOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
const char* cmp_op_text(CmpOp op);

struct CondNode {
  enum class Kind : uint8_t { Or, And, Not, Compare, Between, In, Function };
  Kind kind = Kind::Compare;
  CmpOp op = CmpOp::Eq;              // Compare
  std::vector<CondNode> children;    // Or / And (two), Not (one)
  std::vector<Operand> operands;     // Compare: 2; Between: 3; In: 1 + list; Function: the call
  bool redundant_parens = false;
  bool parenthesized = false;        // parser bookkeeping for redundant_parens
};

struct UpdateAction {
  enum class Kind : uint8_t { Set, Remove, Add, Delete };
  Kind kind = Kind::Set;
  std::vector<RawPathElement> raw_path;
  Path path;
  Operand value;  // Set: the value expression; Add / Delete: a Value operand; Remove: unused
};

struct UpdateAst {
  std::vector<UpdateAction> actions;  // in expression order
  // AttributeUpdates semantics: ADD also appends to lists, type errors read
  // "Type mismatch for attribute to update".
  bool legacy = false;
};

// --- helpers shared by the evaluation files ---------------------------------------------------

// The value at `path` in `item`, or nullptr when any step is missing or of the wrong type.
const AttributeValue* lookup(const AttributeMap& item, const Path& path);

// ApiError::validation("Invalid <which>: <message>").
ApiError invalid(std::string_view which, std::string_view message);

// Attribute value rendered as DynamoDB prints it inside messages, e.g. {N:5} or {S:abc}.
std::string value_for_message(const AttributeValue& v);

}  // namespace runnel::expr::detail
