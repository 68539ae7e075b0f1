// Legacy conditional parameters, converted to the same trees as expressions so one evaluator
// serves both. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LegacyConditionalParameters.html
// Validation messages are the service's, as recorded by dynalite's test suite.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "expr/ast.h"

namespace runnel::expr {
namespace detail {
Result<KeyCondition> key_condition_from_terms(std::vector<std::string>& attrs,
                                              std::vector<KeyCondition::RangeOp>& ops,
                                              std::vector<std::vector<const AttributeValue*>>& values,
                                              const std::string& hash_key_name,
                                              const std::string* range_key_name);
}  // namespace detail

namespace {

using detail::CmpOp;
using detail::CondNode;
using detail::Func;
using detail::Operand;

constexpr const char* kInvalid = "One or more parameter values were invalid: ";

enum class LegacyOp { EQ, NE, LE, LT, GE, GT, NOT_NULL, NULL_, CONTAINS, NOT_CONTAINS, BEGINS_WITH, IN, BETWEEN };

struct OpInfo {
  const char* name;
  LegacyOp op;
  int min_args, max_args;        // AttributeValueList length
  const char* types;             // allowed value types, space separated; nullptr: any
};
constexpr std::array<OpInfo, 13> kOps = {{
    {"EQ", LegacyOp::EQ, 1, 1, "S N B SS NS BS"},
    {"NE", LegacyOp::NE, 1, 1, "S N B SS NS BS"},
    {"LE", LegacyOp::LE, 1, 1, "S N B"},
    {"LT", LegacyOp::LT, 1, 1, "S N B"},
    {"GE", LegacyOp::GE, 1, 1, "S N B"},
    {"GT", LegacyOp::GT, 1, 1, "S N B"},
    {"NOT_NULL", LegacyOp::NOT_NULL, 0, 0, nullptr},
    {"NULL", LegacyOp::NULL_, 0, 0, nullptr},
    {"CONTAINS", LegacyOp::CONTAINS, 1, 1, "S N B"},
    {"NOT_CONTAINS", LegacyOp::NOT_CONTAINS, 1, 1, "S N B"},
    {"BEGINS_WITH", LegacyOp::BEGINS_WITH, 1, 1, "S B"},
    {"IN", LegacyOp::IN, 1, 1 << 30, "S N B"},
    {"BETWEEN", LegacyOp::BETWEEN, 2, 2, "S N B"},
}};

ApiError bad_enum(std::string_view value, std::string_view where, std::string_view allowed) {
  return ApiError::validation("1 validation error detected: Value '" + std::string(value) + "' at '" +
                              std::string(where) + "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                              std::string(allowed) + "]");
}

Result<const OpInfo*> find_op(const rapidjson::Value& v) {
  std::string_view name = v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : "";
  for (const OpInfo& o : kOps) {
    if (name == o.name) return &o;
  }
  return bad_enum(name, "comparisonOperator",
                  "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS");
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

bool type_allowed(const char* types, AttrType t) {
  if (!types) return true;
  std::string_view list(types), name(attr_type_name(t));
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(' ', pos);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(pos, end - pos) == name) return true;
    pos = end + 1;
  }
  return false;
}

// The checks DynamoDB applies to a ComparisonOperator + AttributeValueList pair.
Status check_values(const OpInfo& op, const std::vector<AttributeValue>& vals) {
  int n = static_cast<int>(vals.size());
  if (n < op.min_args || n > op.max_args) {
    return ApiError::validation(std::string(kInvalid) + "Invalid number of argument(s) for the " + op.name +
                                " ComparisonOperator");
  }
  for (const AttributeValue& v : vals) {
    if (v.type != vals[0].type) {
      return ApiError::validation(std::string(kInvalid) + "AttributeValues inside AttributeValueList must be of same type");
    }
  }
  for (const AttributeValue& v : vals) {
    if (!type_allowed(op.types, v.type)) {
      return ApiError::validation(std::string(kInvalid) + "ComparisonOperator " + op.name +
                                  " is not valid for " + attr_type_name(v.type) + " AttributeValue type");
    }
  }
  if (op.op == LegacyOp::BETWEEN && compare_scalar(vals[0], vals[1]) > 0) {
    return ApiError::validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound");
  }
  return ok_status();
}

Result<std::vector<AttributeValue>> decode_list(const rapidjson::Value* list) {
  std::vector<AttributeValue> out;
  if (!list) return out;
  if (!list->IsArray()) return ApiError::validation("AttributeValueList must be a list");
  for (const auto& v : list->GetArray()) {
    RUNNEL_TRY(AttributeValue a, decode_attribute_value(v));
    out.push_back(std::move(a));
  }
  return out;
}

Operand path_operand(const std::string& name) {
  Operand o;
  o.kind = Operand::Kind::Path;
  o.path = Path{PathElement{name, -1}};
  return o;
}
Operand value_operand(AttributeValue v) {
  Operand o;
  o.kind = Operand::Kind::Value;
  o.value = std::move(v);
  return o;
}

CondNode leaf(const std::string& attr, LegacyOp op, std::vector<AttributeValue> vals) {
  CondNode n;
  auto compare = [&](CmpOp c) {
    n.kind = CondNode::Kind::Compare;
    n.op = c;
    n.operands.push_back(path_operand(attr));
    n.operands.push_back(value_operand(std::move(vals[0])));
  };
  auto function = [&](Func f, const char* name, bool with_value) {
    n.kind = CondNode::Kind::Function;
    Operand call;
    call.kind = Operand::Kind::Function;
    call.func = f;
    call.func_name = name;
    call.args.push_back(path_operand(attr));
    if (with_value) call.args.push_back(value_operand(std::move(vals[0])));
    n.operands.push_back(std::move(call));
  };
  switch (op) {
    case LegacyOp::EQ: compare(CmpOp::Eq); break;
    case LegacyOp::NE: compare(CmpOp::Ne); break;
    case LegacyOp::LE: compare(CmpOp::Le); break;
    case LegacyOp::LT: compare(CmpOp::Lt); break;
    case LegacyOp::GE: compare(CmpOp::Ge); break;
    case LegacyOp::GT: compare(CmpOp::Gt); break;
    case LegacyOp::NOT_NULL: function(Func::AttributeExists, "attribute_exists", false); break;
    case LegacyOp::NULL_: function(Func::AttributeNotExists, "attribute_not_exists", false); break;
    case LegacyOp::CONTAINS: function(Func::Contains, "contains", true); break;
    case LegacyOp::NOT_CONTAINS: function(Func::LegacyNotContains, "NOT_CONTAINS", true); break;
    case LegacyOp::BEGINS_WITH: function(Func::BeginsWith, "begins_with", true); break;
    case LegacyOp::IN:
      n.kind = CondNode::Kind::In;
      n.operands.push_back(path_operand(attr));
      for (auto& v : vals) n.operands.push_back(value_operand(std::move(v)));
      break;
    case LegacyOp::BETWEEN:
      n.kind = CondNode::Kind::Between;
      n.operands.push_back(path_operand(attr));
      n.operands.push_back(value_operand(std::move(vals[0])));
      n.operands.push_back(value_operand(std::move(vals[1])));
      break;
  }
  return n;
}

Result<bool> is_or(const rapidjson::Value* conditional_operator) {
  if (!conditional_operator) return false;
  std::string_view s = conditional_operator->IsString()
                           ? std::string_view(conditional_operator->GetString(), conditional_operator->GetStringLength())
                           : "";
  if (s == "AND") return false;
  if (s == "OR") return true;
  return bad_enum(s, "conditionalOperator", "OR, AND");
}

Condition combine(std::vector<CondNode> leaves, bool use_or) {
  if (leaves.empty()) return Condition{};
  CondNode acc = std::move(leaves[0]);
  for (size_t i = 1; i < leaves.size(); ++i) {
    CondNode n;
    n.kind = use_or ? CondNode::Kind::Or : CondNode::Kind::And;
    n.children.push_back(std::move(acc));
    n.children.push_back(std::move(leaves[i]));
    acc = std::move(n);
  }
  return Condition{std::make_shared<const CondNode>(std::move(acc))};
}

}  // namespace

Result<Condition> condition_from_expected(const rapidjson::Value& expected,
                                          const rapidjson::Value* conditional_operator) {
  RUNNEL_TRY(bool use_or, is_or(conditional_operator));
  if (!expected.IsObject()) return ApiError::validation("Expected must be a map");
  std::vector<CondNode> leaves;
  for (const auto& m : expected.GetObject()) {
    std::string attr(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value& c = m.value;
    const rapidjson::Value* value = member(c, "Value");
    const rapidjson::Value* exists = member(c, "Exists");
    const rapidjson::Value* op = member(c, "ComparisonOperator");
    const rapidjson::Value* list = member(c, "AttributeValueList");
    if (list && value) {
      return ApiError::validation(std::string(kInvalid) + "Value and AttributeValueList cannot be used together for Attribute: " + attr);
    }
    if (op) {
      if (exists) {
        return ApiError::validation(std::string(kInvalid) + "Exists and ComparisonOperator cannot be used together for Attribute: " + attr);
      }
      RUNNEL_TRY(const OpInfo* info, find_op(*op));
      if (info->op != LegacyOp::NULL_ && info->op != LegacyOp::NOT_NULL && !list && !value) {
        return ApiError::validation(std::string(kInvalid) + "Value or AttributeValueList must be used with ComparisonOperator: " +
                                    info->name + " for Attribute: " + attr);
      }
      std::vector<AttributeValue> vals;
      if (value) {
        RUNNEL_TRY(AttributeValue v, decode_attribute_value(*value));
        vals.push_back(std::move(v));
      } else {
        RUNNEL_TRY(vals, decode_list(list));
      }
      RUNNEL_CHECK(check_values(*info, vals));
      leaves.push_back(leaf(attr, info->op, std::move(vals)));
      continue;
    }
    if (list) {
      return ApiError::validation(std::string(kInvalid) + "AttributeValueList can only be used with a ComparisonOperator for Attribute: " + attr);
    }
    bool exists_flag = !exists || (exists->IsBool() && exists->GetBool());
    if (exists_flag && !value) {
      std::string shown = !exists ? "null" : "true";
      return ApiError::validation(std::string(kInvalid) + "Value must be provided when Exists is " + shown +
                                  " for Attribute: " + attr);
    }
    if (!exists_flag && value) {
      return ApiError::validation(std::string(kInvalid) + "Value cannot be used when Exists is false for Attribute: " + attr);
    }
    if (!exists_flag) {
      leaves.push_back(leaf(attr, LegacyOp::NULL_, {}));
    } else {
      RUNNEL_TRY(AttributeValue v, decode_attribute_value(*value));
      std::vector<AttributeValue> vals;
      vals.push_back(std::move(v));
      leaves.push_back(leaf(attr, LegacyOp::EQ, std::move(vals)));
    }
  }
  return combine(std::move(leaves), use_or);
}

Result<Condition> condition_from_filter(const rapidjson::Value& filter,
                                        const rapidjson::Value* conditional_operator) {
  RUNNEL_TRY(bool use_or, is_or(conditional_operator));
  if (!filter.IsObject()) return ApiError::validation("Filter must be a map");
  std::vector<CondNode> leaves;
  for (const auto& m : filter.GetObject()) {
    std::string attr(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value* op = member(m.value, "ComparisonOperator");
    if (!op) return bad_enum("null", "comparisonOperator", "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS");
    RUNNEL_TRY(const OpInfo* info, find_op(*op));
    RUNNEL_TRY(std::vector<AttributeValue> vals, decode_list(member(m.value, "AttributeValueList")));
    RUNNEL_CHECK(check_values(*info, vals));
    leaves.push_back(leaf(attr, info->op, std::move(vals)));
  }
  return combine(std::move(leaves), use_or);
}

Result<KeyCondition> key_condition_from_legacy(const rapidjson::Value& key_conditions,
                                               const std::string& hash_key_name,
                                               const std::string* range_key_name) {
  if (!key_conditions.IsObject()) return ApiError::validation("KeyConditions must be a map");
  std::vector<std::string> attrs;
  std::vector<KeyCondition::RangeOp> ops;
  std::vector<std::vector<AttributeValue>> decoded;
  std::vector<LegacyOp> legacy_ops;
  for (const auto& m : key_conditions.GetObject()) {
    const rapidjson::Value* op = member(m.value, "ComparisonOperator");
    if (!op) return bad_enum("null", "comparisonOperator", "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS");
    RUNNEL_TRY(const OpInfo* info, find_op(*op));
    RUNNEL_TRY(std::vector<AttributeValue> vals, decode_list(member(m.value, "AttributeValueList")));
    RUNNEL_CHECK(check_values(*info, vals));
    attrs.emplace_back(m.name.GetString(), m.name.GetStringLength());
    legacy_ops.push_back(info->op);
    decoded.push_back(std::move(vals));
  }
  if (attrs.size() != 1 && attrs.size() != 2) return ApiError::validation("Conditions can be of length 1 or 2 only");
  if (!range_key_name && attrs.size() > 1) return ApiError::validation("Query key condition not supported");
  for (size_t i = 0; i < attrs.size(); ++i) {
    switch (legacy_ops[i]) {
      case LegacyOp::NULL_: case LegacyOp::NOT_NULL: case LegacyOp::NE: case LegacyOp::CONTAINS:
      case LegacyOp::NOT_CONTAINS: case LegacyOp::IN:
        if (attrs[i] == hash_key_name || (range_key_name && attrs[i] == *range_key_name)) {
          return ApiError::validation("Attempted conditional constraint is not an indexable operation");
        }
        break;
      default: break;
    }
  }
  std::vector<std::vector<const AttributeValue*>> ptrs;
  for (size_t i = 0; i < attrs.size(); ++i) {
    KeyCondition::RangeOp r = KeyCondition::RangeOp::None;
    switch (legacy_ops[i]) {
      case LegacyOp::EQ: r = KeyCondition::RangeOp::Eq; break;
      case LegacyOp::LT: r = KeyCondition::RangeOp::Lt; break;
      case LegacyOp::LE: r = KeyCondition::RangeOp::Le; break;
      case LegacyOp::GT: r = KeyCondition::RangeOp::Gt; break;
      case LegacyOp::GE: r = KeyCondition::RangeOp::Ge; break;
      case LegacyOp::BETWEEN: r = KeyCondition::RangeOp::Between; break;
      case LegacyOp::BEGINS_WITH: r = KeyCondition::RangeOp::BeginsWith; break;
      default: return ApiError::validation("Query condition missed key schema element: " +
                                           (range_key_name ? *range_key_name : hash_key_name));
    }
    ops.push_back(r);
    std::vector<const AttributeValue*> p;
    for (const AttributeValue& v : decoded[i]) p.push_back(&v);
    ptrs.push_back(std::move(p));
  }
  return detail::key_condition_from_terms(attrs, ops, ptrs, hash_key_name, range_key_name);
}

Result<Update> update_from_attribute_updates(const rapidjson::Value& attribute_updates) {
  if (!attribute_updates.IsObject()) return ApiError::validation("AttributeUpdates must be a map");
  auto ast = std::make_shared<detail::UpdateAst>();
  ast->legacy = true;
  for (const auto& m : attribute_updates.GetObject()) {
    std::string attr(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value* value = member(m.value, "Value");
    const rapidjson::Value* action = member(m.value, "Action");
    std::string_view act = "PUT";
    if (action) {
      act = action->IsString() ? std::string_view(action->GetString(), action->GetStringLength()) : "";
      if (act != "PUT" && act != "ADD" && act != "DELETE") {
        return bad_enum(act, "attributeUpdates." + attr + ".member.action", "ADD, PUT, DELETE");
      }
    }
    detail::UpdateAction a;
    a.path = Path{PathElement{attr, -1}};
    if (!value) {
      if (act != "DELETE") {
        return ApiError::validation(std::string(kInvalid) + "Only DELETE action is allowed when no attribute value is specified");
      }
      a.kind = detail::UpdateAction::Kind::Remove;
      ast->actions.push_back(std::move(a));
      continue;
    }
    RUNNEL_TRY(AttributeValue v, decode_attribute_value(*value));
    if (act == "DELETE" && !v.is_set()) {
      return ApiError::validation(std::string(kInvalid) + "DELETE action with value is not supported for the type " +
                                  attr_type_name(v.type));
    }
    if (act == "ADD" && !v.is_set() && v.type != AttrType::N && v.type != AttrType::L) {
      return ApiError::validation(std::string(kInvalid) + "ADD action is not supported for the type " +
                                  attr_type_name(v.type));
    }
    a.kind = act == "PUT" ? detail::UpdateAction::Kind::Set
             : act == "ADD" ? detail::UpdateAction::Kind::Add
                            : detail::UpdateAction::Kind::Delete;
    a.value = value_operand(std::move(v));
    ast->actions.push_back(std::move(a));
  }
  return Update{std::move(ast)};
}

Result<Projection> projection_from_attributes_to_get(const rapidjson::Value& attributes_to_get) {
  if (!attributes_to_get.IsArray()) return ApiError::validation("AttributesToGet must be a list");
  Projection p;
  std::vector<std::string> seen;
  for (const auto& v : attributes_to_get.GetArray()) {
    if (!v.IsString()) return ApiError::validation("AttributesToGet must contain strings");
    std::string name(v.GetString(), v.GetStringLength());
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return ApiError::validation(std::string(kInvalid) + "Duplicate value in attribute name: " + name);
    }
    seen.push_back(name);
    p.paths.push_back(Path{PathElement{name, -1}});
  }
  return p;
}

}  // namespace runnel::expr
