// Condition / filter evaluation.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
//
// Semantics (matching the service; alternator and dynalite agree, both tested against it):
//  - an operand whose path is missing has no value: every comparison with it is false, except
//    <>, which is true ("a missing attribute is not equal to anything");
//  - values of different types never compare equal or ordered, and that is not an error;
//  - < <= > >= BETWEEN order N numerically and S / B by unsigned bytes; other types are false;
//  - = and <> are deep equality (sets as sets, numbers by value).
#include <string>
#include <string_view>

#include "expr/ast.h"

namespace runnel::expr {
namespace detail {
namespace {

// size() of a string counts UTF-16 code units, as the service does (verified against DynamoDB:
// size("é𝄞") = 3), i.e. one per UTF-8 character plus one more for each 4-byte character.
size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;   // a character starts here
    if ((c & 0xF8) == 0xF0) ++n;   // outside the BMP: a surrogate pair
  }
  return n;
}

// Pointer to the operand's value (inside the item, inside the tree, or in `scratch` for computed
// values), nullptr when it has none.
const AttributeValue* operand_value(const Operand& o, const AttributeMap& item, AttributeValue& scratch) {
  switch (o.kind) {
    case Operand::Kind::Path: return lookup(item, o.path);
    case Operand::Kind::Value: return &o.value;
    case Operand::Kind::Function: {
      if (o.func != Func::Size) return nullptr;
      AttributeValue inner_scratch;
      const AttributeValue* v = operand_value(o.args[0], item, inner_scratch);
      if (!v) return nullptr;
      size_t n;
      switch (v->type) {
        case AttrType::S: n = utf16_length(v->scalar); break;
        case AttrType::B: n = v->scalar.size(); break;
        case AttrType::SS:
        case AttrType::NS:
        case AttrType::BS: n = v->set.size(); break;
        case AttrType::L: n = v->list.size(); break;
        case AttrType::M: n = v->map.size(); break;
        default: return nullptr;  // size() of N, BOOL, NULL has no value
      }
      scratch = AttributeValue::number(std::to_string(n));
      return &scratch;
    }
    default: return nullptr;  // + and - only occur in updates
  }
}

bool orderable(const AttributeValue* a, const AttributeValue* b) {
  return a && b && a->type == b->type &&
         (a->type == AttrType::S || a->type == AttrType::N || a->type == AttrType::B);
}

bool compare(CmpOp op, const AttributeValue* a, const AttributeValue* b) {
  switch (op) {
    case CmpOp::Eq: return a && b && *a == *b;
    case CmpOp::Ne: return !(a && b && *a == *b);
    default: break;
  }
  if (!orderable(a, b)) return false;
  int c = compare_scalar(*a, *b);
  switch (op) {
    case CmpOp::Lt: return c < 0;
    case CmpOp::Le: return c <= 0;
    case CmpOp::Gt: return c > 0;
    case CmpOp::Ge: return c >= 0;
    default: return false;
  }
}

bool set_contains(const AttributeValue& set, const std::string& element) {
  for (const std::string& e : set.set) {
    if (e == element) return true;  // NS elements are normalised, so text equality is numeric
  }
  return false;
}

bool contains(const AttributeValue* a, const AttributeValue* b) {
  if (!a || !b) return false;
  switch (a->type) {
    case AttrType::S:
    case AttrType::B:
      return b->type == a->type && a->scalar.find(b->scalar) != std::string::npos;
    case AttrType::SS: return b->type == AttrType::S && set_contains(*a, b->scalar);
    case AttrType::NS: return b->type == AttrType::N && set_contains(*a, b->scalar);
    case AttrType::BS: return b->type == AttrType::B && set_contains(*a, b->scalar);
    case AttrType::L:
      for (const AttributeValue& e : a->list) {
        if (e == *b) return true;
      }
      return false;
    default: return false;
  }
}

bool eval_function(const Operand& f, const AttributeMap& item) {
  AttributeValue s0, s1;
  switch (f.func) {
    case Func::AttributeExists: return lookup(item, f.args[0].path) != nullptr;
    case Func::AttributeNotExists: return lookup(item, f.args[0].path) == nullptr;
    case Func::AttributeType: {
      const AttributeValue* v = operand_value(f.args[0], item, s0);
      const AttributeValue* t = operand_value(f.args[1], item, s1);
      return v && t && t->type == AttrType::S && t->scalar == attr_type_name(v->type);
    }
    case Func::BeginsWith: {
      const AttributeValue* v = operand_value(f.args[0], item, s0);
      const AttributeValue* p = operand_value(f.args[1], item, s1);
      return v && p && v->type == p->type && (v->type == AttrType::S || v->type == AttrType::B) &&
             v->scalar.compare(0, p->scalar.size(), p->scalar) == 0;
    }
    case Func::Contains:
      return contains(operand_value(f.args[0], item, s0), operand_value(f.args[1], item, s1));
    case Func::LegacyNotContains: {
      const AttributeValue* a = operand_value(f.args[0], item, s0);
      const AttributeValue* b = operand_value(f.args[1], item, s1);
      return a && b && !contains(a, b);
    }
    default: return false;
  }
}

bool eval(const CondNode& n, const AttributeMap& item) {
  AttributeValue s0, s1, s2;
  switch (n.kind) {
    case CondNode::Kind::Or: return eval(n.children[0], item) || eval(n.children[1], item);
    case CondNode::Kind::And: return eval(n.children[0], item) && eval(n.children[1], item);
    case CondNode::Kind::Not: return !eval(n.children[0], item);
    case CondNode::Kind::Compare:
      return compare(n.op, operand_value(n.operands[0], item, s0), operand_value(n.operands[1], item, s1));
    case CondNode::Kind::Between: {
      const AttributeValue* v = operand_value(n.operands[0], item, s0);
      const AttributeValue* lo = operand_value(n.operands[1], item, s1);
      const AttributeValue* hi = operand_value(n.operands[2], item, s2);
      return orderable(v, lo) && orderable(v, hi) && compare_scalar(*v, *lo) >= 0 &&
             compare_scalar(*v, *hi) <= 0;
    }
    case CondNode::Kind::In: {
      const AttributeValue* v = operand_value(n.operands[0], item, s0);
      if (!v) return false;
      for (size_t i = 1; i < n.operands.size(); ++i) {
        const AttributeValue* c = operand_value(n.operands[i], item, s1);
        if (c && *c == *v) return true;
      }
      return false;
    }
    case CondNode::Kind::Function: return eval_function(n.operands[0], item);
  }
  return false;
}

}  // namespace
}  // namespace detail

Result<bool> evaluate(const Condition& c, const AttributeMap& item) {
  if (!c.root) return true;  // no condition: everything matches
  return detail::eval(*c.root, item);
}

}  // namespace runnel::expr
