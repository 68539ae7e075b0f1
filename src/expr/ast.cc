// Small helpers shared by the expression files, and the Substitutions bookkeeping.
#include <string>

#include "common/base64.h"
#include "expr/ast.h"

namespace runnel::expr {

std::string path_to_string(const Path& p) {
  std::string out = "[";
  for (size_t i = 0; i < p.size(); ++i) {
    if (i) out += ", ";
    if (p[i].is_index()) {
      out += "[" + std::to_string(p[i].index) + "]";
    } else {
      out += p[i].name;
    }
  }
  out += "]";
  return out;
}

// --- Substitutions ------------------------------------------------------------------------------
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeValues.html

Substitutions::Substitutions(const std::map<std::string, std::string>* names,
                             const AttributeMap* values)
    : names_(names), values_(values) {}

namespace {
bool valid_placeholder_key(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  for (size_t i = 1; i < key.size(); ++i) {
    char c = key[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}
}  // namespace

Status Substitutions::validate() const {
  // Messages as DynamoDB words them (dynalite's test suite, recorded against the real service).
  if (names_) {
    if (names_->empty()) return ApiError::validation("ExpressionAttributeNames must not be empty");
    for (const auto& [k, v] : *names_) {
      if (!valid_placeholder_key(k, '#')) {
        return ApiError::validation("ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + k + "\"");
      }
    }
  }
  if (values_) {
    if (values_->empty()) return ApiError::validation("ExpressionAttributeValues must not be empty");
    for (const auto& [k, v] : *values_) {
      if (!valid_placeholder_key(k, ':')) {
        return ApiError::validation("ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + k + "\"");
      }
    }
  }
  return ok_status();
}

const std::string* Substitutions::name(std::string_view placeholder) {
  if (!names_) return nullptr;
  auto it = names_->find(std::string(placeholder));
  if (it == names_->end()) return nullptr;
  used_names_.insert(it->first);
  return &it->second;
}

const AttributeValue* Substitutions::value(std::string_view placeholder) {
  if (!values_) return nullptr;
  auto it = values_->find(placeholder);
  if (it == values_->end()) return nullptr;
  used_values_.insert(it->first);
  return &it->second;
}

Status Substitutions::check_all_used() const {
  auto unused = [](const auto& all, const auto& used) {
    std::string keys;
    for (const auto& kv : all) {
      if (used.count(kv.first)) continue;
      if (!keys.empty()) keys += ", ";
      keys += kv.first;
    }
    return keys;
  };
  if (names_) {
    std::string keys = unused(*names_, used_names_);
    if (!keys.empty()) {
      return ApiError::validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + keys + "}");
    }
  }
  if (values_) {
    std::string keys = unused(*values_, used_values_);
    if (!keys.empty()) {
      return ApiError::validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + keys + "}");
    }
  }
  return ok_status();
}

namespace detail {

const char* cmp_op_text(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: return "=";
    case CmpOp::Ne: return "<>";
    case CmpOp::Lt: return "<";
    case CmpOp::Le: return "<=";
    case CmpOp::Gt: return ">";
    case CmpOp::Ge: return ">=";
  }
  return "=";
}

const AttributeValue* lookup(const AttributeMap& item, const Path& path) {
  if (path.empty() || path[0].is_index()) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const AttributeValue* cur = &it->second;
  for (size_t i = 1; i < path.size(); ++i) {
    const PathElement& e = path[i];
    if (e.is_index()) {
      if (cur->type != AttrType::L || static_cast<size_t>(e.index) >= cur->list.size()) return nullptr;
      cur = &cur->list[static_cast<size_t>(e.index)];
    } else {
      if (cur->type != AttrType::M) return nullptr;
      auto m = cur->map.find(e.name);
      if (m == cur->map.end()) return nullptr;
      cur = &m->second;
    }
  }
  return cur;
}

ApiError invalid(std::string_view which, std::string_view message) {
  std::string m = "Invalid ";
  m += which;
  m += ": ";
  m += message;
  return ApiError::validation(std::move(m));
}

std::string value_for_message(const AttributeValue& v) {
  std::string body;
  switch (v.type) {
    case AttrType::S:
    case AttrType::N: body = v.scalar; break;
    case AttrType::B: body = base64_encode(v.scalar); break;
    case AttrType::Bool: body = v.boolean ? "true" : "false"; break;
    case AttrType::Null: body = "true"; break;
    default: body = "..."; break;  // bounds are scalars by the time this is called
  }
  return std::string("{") + attr_type_name(v.type) + ":" + body + "}";
}

}  // namespace detail
}  // namespace runnel::expr
