// KeyConditionExpression: parsed with the condition grammar, then reduced to the one shape Query
// accepts: "hash = :v" AND at most one range condition.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
// Messages are the service's (dynalite's recordings and the 2026 conformance captures).
#include <optional>
#include <string>
#include <vector>

#include "expr/ast.h"

namespace runnel::expr {
namespace {

using detail::CmpOp;
using detail::CondNode;
using detail::Func;
using detail::Operand;

constexpr std::string_view kWhich = "KeyConditionExpression";

struct KeyTerm {
  std::string attr;
  KeyCondition::RangeOp op;
  std::vector<const AttributeValue*> values;
};

ApiError bad(std::string_view message) { return detail::invalid(kWhich, message); }

// The operator written with the key attribute on the right, turned around: ":v < k" is "k > :v".
CmpOp mirror(CmpOp op) {
  switch (op) {
    case CmpOp::Lt: return CmpOp::Gt;
    case CmpOp::Le: return CmpOp::Ge;
    case CmpOp::Gt: return CmpOp::Lt;
    case CmpOp::Ge: return CmpOp::Le;
    default: return op;
  }
}

Status collect(const CondNode& n, std::vector<KeyTerm>& terms) {
  switch (n.kind) {
    case CondNode::Kind::And:
      RUNNEL_CHECK(collect(n.children[0], terms));
      return collect(n.children[1], terms);
    case CondNode::Kind::Or: return bad("Invalid operator used in KeyConditionExpression: OR");
    case CondNode::Kind::Not: return bad("Invalid operator used in KeyConditionExpression: NOT");
    case CondNode::Kind::In: return bad("Invalid operator used in KeyConditionExpression: IN");
    default: break;
  }
  if (n.kind == CondNode::Kind::Compare && n.op == CmpOp::Ne) {
    return bad("Invalid operator used in KeyConditionExpression: <>");
  }
  const Operand* fn = n.kind == CondNode::Kind::Function ? &n.operands[0] : nullptr;
  if (fn && fn->func != Func::BeginsWith) {
    return bad("Invalid operator used in KeyConditionExpression: " + fn->func_name);
  }
  const std::vector<Operand>& ops = fn ? fn->args : n.operands;
  for (const Operand& o : ops) {
    if (o.kind == Operand::Kind::Function) return bad("KeyConditionExpressions cannot contain nested operations");
  }
  if (n.kind == CondNode::Kind::Between && ops[0].kind != Operand::Kind::Path) {
    return bad("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand");
  }
  if (fn && ops[0].kind != Operand::Kind::Path) {
    return bad("Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand");
  }
  const Path* key = nullptr;
  size_t key_index = 0;
  KeyTerm t;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != Operand::Kind::Path) {
      t.values.push_back(&ops[i].value);
      continue;
    }
    if (key) return bad("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
    if (ops[i].path.size() > 1) return bad("KeyConditionExpressions cannot have conditions on nested attributes");
    key = &ops[i].path;
    key_index = i;
  }
  if (!key) return bad("Invalid condition in KeyConditionExpression: No key attribute specified");
  t.attr = (*key)[0].name;
  for (const KeyTerm& other : terms) {
    if (other.attr == t.attr) return bad("KeyConditionExpressions must only contain one condition per key");
  }
  if (fn) {
    t.op = KeyCondition::RangeOp::BeginsWith;
  } else if (n.kind == CondNode::Kind::Between) {
    t.op = KeyCondition::RangeOp::Between;
  } else {
    CmpOp op = key_index == 0 ? n.op : mirror(n.op);
    switch (op) {
      case CmpOp::Eq: t.op = KeyCondition::RangeOp::Eq; break;
      case CmpOp::Lt: t.op = KeyCondition::RangeOp::Lt; break;
      case CmpOp::Le: t.op = KeyCondition::RangeOp::Le; break;
      case CmpOp::Gt: t.op = KeyCondition::RangeOp::Gt; break;
      case CmpOp::Ge: t.op = KeyCondition::RangeOp::Ge; break;
      default: t.op = KeyCondition::RangeOp::Eq; break;
    }
  }
  terms.push_back(std::move(t));
  return ok_status();
}

}  // namespace

namespace detail {

// Shared with the legacy KeyConditions path: checks the terms against the key schema.
Result<KeyCondition> key_condition_from_terms(std::vector<std::string>& attrs,
                                              std::vector<KeyCondition::RangeOp>& ops,
                                              std::vector<std::vector<const AttributeValue*>>& values,
                                              const std::string& hash_key_name,
                                              const std::string* range_key_name) {
  size_t key_count = range_key_name ? 2 : 1;
  if (attrs.size() > key_count) {
    return ApiError::validation("The number of query conditions (" + std::to_string(attrs.size()) +
                                ") exceeds the number of key attributes defined in the schema (" +
                                std::to_string(key_count) + ")");
  }
  KeyCondition kc;
  bool have_hash = false;
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (attrs[i] == hash_key_name) {
      if (ops[i] != KeyCondition::RangeOp::Eq) return ApiError::validation("Query key condition not supported");
      kc.hash_value = *values[i][0];
      have_hash = true;
    } else if (range_key_name && attrs[i] == *range_key_name) {
      kc.range_op = ops[i];
      kc.range_lo = *values[i][0];
      if (ops[i] == KeyCondition::RangeOp::Between) kc.range_hi = *values[i][1];
    }
  }
  if (!have_hash) return ApiError::validation("Query condition missed key schema element: " + hash_key_name);
  // A condition on a non-key attribute leaves a key element without one.
  for (const std::string& a : attrs) {
    if (a != hash_key_name && !(range_key_name && a == *range_key_name)) {
      return ApiError::validation("Query condition missed key schema element: " +
                                  (range_key_name ? *range_key_name : hash_key_name));
    }
  }
  return kc;
}

}  // namespace detail

Result<KeyCondition> parse_key_condition(std::string_view text, Substitutions& subs,
                                         const std::string& hash_key_name,
                                         const std::string* range_key_name) {
  RUNNEL_TRY(Condition c, parse_condition(text, subs, kWhich));
  std::vector<KeyTerm> terms;
  RUNNEL_CHECK(collect(*c.root, terms));
  std::vector<std::string> attrs;
  std::vector<KeyCondition::RangeOp> ops;
  std::vector<std::vector<const AttributeValue*>> values;
  for (KeyTerm& t : terms) {
    attrs.push_back(t.attr);
    ops.push_back(t.op);
    values.push_back(t.values);
  }
  return detail::key_condition_from_terms(attrs, ops, values, hash_key_name, range_key_name);
}

}  // namespace runnel::expr
