// Static checks and placeholder substitution, run after a successful parse. DynamoDB reports one
// error per request; which one wins follows dynalite's ordering (its tests were recorded against
// the real service) and the order the conformance captures show for key conditions: categorical
// checks first (redundant parentheses, unknown functions, misused functions, reserved words),
// then the first condition, in the order written, that has an undefined placeholder, a wrong
// operand count, identical operands or a wrongly typed operand.
// Messages: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.html
#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "expr/ast.h"
#include "expr/parser.h"
#include "expr/resolve.h"

namespace runnel::expr {
namespace detail {
namespace {

using Msg = std::optional<std::string>;

struct FuncInfo {
  const char* name;
  Func id;
  size_t arity;
  bool in_update;  // true: update function, false: condition function
};
constexpr FuncInfo kFuncs[] = {
    {"attribute_exists", Func::AttributeExists, 1, false},
    {"attribute_not_exists", Func::AttributeNotExists, 1, false},
    {"attribute_type", Func::AttributeType, 2, false},
    {"begins_with", Func::BeginsWith, 2, false},
    {"contains", Func::Contains, 2, false},
    {"size", Func::Size, 1, false},
    {"if_not_exists", Func::IfNotExists, 2, true},
    {"list_append", Func::ListAppend, 2, true},
};

const FuncInfo* find_func(std::string_view name, bool update) {
  for (const FuncInfo& f : kFuncs) {  // function names are case-sensitive
    if (f.in_update == update && name == f.name) return &f;
  }
  return nullptr;
}
size_t arity_of(Func f) {
  for (const FuncInfo& i : kFuncs) {
    if (i.id == f) return i.arity;
  }
  return 0;
}

// Depth-first, in the order written.
template <class F>
Msg walk_operand(Operand& o, F&& f) {
  if (Msg m = f(o)) return m;
  for (Operand& a : o.args) {
    if (Msg m = walk_operand(a, f)) return m;
  }
  return std::nullopt;
}

template <class F>
Msg walk_leaves(CondNode& n, F&& f) {
  switch (n.kind) {
    case CondNode::Kind::Or:
    case CondNode::Kind::And:
    case CondNode::Kind::Not:
      for (CondNode& c : n.children) {
        if (Msg m = walk_leaves(c, f)) return m;
      }
      return std::nullopt;
    default:
      return f(n);
  }
}

template <class F>
Msg walk_all_operands(CondNode& root, F&& f) {
  return walk_leaves(root, [&](CondNode& leaf) -> Msg {
    for (Operand& o : leaf.operands) {
      if (Msg m = walk_operand(o, f)) return m;
    }
    return std::nullopt;
  });
}

Msg check_reserved(const std::vector<RawPathElement>& p) {
  for (const RawPathElement& e : p) {
    if (e.index < 0 && !e.placeholder && is_reserved_word(e.name)) {
      return "Attribute name is a reserved keyword; reserved keyword: " + e.name;
    }
  }
  return std::nullopt;
}

// 32 levels: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-attributes-nested-depth
// The wording is not confirmed against the service (no capture found); the limit is.
Msg check_depth(const std::vector<RawPathElement>& p) {
  if (p.size() > kMaxPathDepth) {
    return "The document path has too many nesting levels; nesting levels: " + std::to_string(p.size());
  }
  return std::nullopt;
}

// The type an operand is known to have before evaluation: a value's type, or a function's result.
std::optional<AttrType> static_type(const Operand& o) {
  if (o.kind == Operand::Kind::Value) return o.value.type;
  if (o.kind == Operand::Kind::Function && o.func == Func::Size) return AttrType::N;
  if (o.kind == Operand::Kind::Plus || o.kind == Operand::Kind::Minus) return AttrType::N;
  if (o.kind == Operand::Kind::Function && o.func == Func::ListAppend) return AttrType::L;
  return std::nullopt;
}

std::string incorrect_operand(std::string_view fn, AttrType t) {
  return "Incorrect operand type for operator or function; operator or function: " + std::string(fn) +
         ", operand type: " + attr_type_name(t);
}

bool is_key_scalar(AttrType t) { return t == AttrType::S || t == AttrType::N || t == AttrType::B; }

}  // namespace

Msg resolve_path(const std::vector<RawPathElement>& raw, Path& out, Substitutions& subs) {
  out.clear();
  out.reserve(raw.size());
  for (const RawPathElement& e : raw) {
    if (e.index >= 0) {
      out.push_back(PathElement{std::string(), e.index});
    } else if (e.placeholder) {
      const std::string* n = subs.name(e.name);
      if (!n) return "An expression attribute name used in the document path is not defined; attribute name: " + e.name;
      out.push_back(PathElement{*n, -1});
    } else {
      out.push_back(PathElement{e.name, -1});
    }
  }
  return std::nullopt;
}

Msg resolve_operand_placeholders(Operand& root, Substitutions& subs) {
  return walk_operand(root, [&](Operand& o) -> Msg {
    if (o.kind == Operand::Kind::Path) return resolve_path(o.raw_path, o.path, subs);
    if (o.kind == Operand::Kind::Value) {
      const AttributeValue* v = subs.value(o.placeholder);
      if (!v) return "An expression attribute value used in expression is not defined; attribute value: " + o.placeholder;
      o.value = *v;
    }
    return std::nullopt;
  });
}

// --- condition --------------------------------------------------------------------------------

namespace {

Msg function_checks(Operand& root) {
  return walk_operand(root, [](Operand& o) -> Msg {
    if (o.kind != Operand::Kind::Function) return std::nullopt;
    const std::string& fn = o.func_name;
    switch (o.func) {
      case Func::AttributeExists:
      case Func::AttributeNotExists:
        if (o.args[0].kind != Operand::Kind::Path) {
          return "Operator or function requires a document path; operator or function: " + fn;
        }
        break;
      case Func::BeginsWith:
        for (const Operand& a : o.args) {
          auto t = static_type(a);
          if (t && *t != AttrType::S && *t != AttrType::B) return incorrect_operand(fn, *t);
        }
        break;
      case Func::AttributeType: {
        auto t = static_type(o.args[1]);
        if (!t) {
          return "Incorrect operand type for operator or function; operator or function: " + fn +
                 ", operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}";
        }
        if (*t != AttrType::S) return incorrect_operand(fn, *t);
        static const char* const kTypes[] = {"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"};
        bool known = false;
        for (const char* k : kTypes) known = known || o.args[1].value.scalar == k;
        if (!known) {
          return "Invalid attribute type name found; type: " + o.args[1].value.scalar +
                 ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}";
        }
        break;
      }
      case Func::Size: {
        auto t = static_type(o.args[0]);
        if (t && (*t == AttrType::N || *t == AttrType::Bool || *t == AttrType::Null)) {
          return incorrect_operand(fn, *t);
        }
        break;
      }
      default: break;
    }
    return std::nullopt;
  });
}

Msg leaf_checks(CondNode& leaf, Substitutions& subs) {
  // 1. placeholders
  for (Operand& o : leaf.operands) {
    if (Msg m = resolve_operand_placeholders(o, subs)) return m;
  }
  // 2. operand counts
  for (Operand& o : leaf.operands) {
    Msg m = walk_operand(o, [](Operand& f) -> Msg {
      if (f.kind == Operand::Kind::Function && f.args.size() != arity_of(f.func)) {
        return "Incorrect number of operands for operator or function; operator or function: " +
               f.func_name + ", number of operands: " + std::to_string(f.args.size());
      }
      return std::nullopt;
    });
    if (m) return m;
  }
  if (leaf.kind == CondNode::Kind::In && leaf.operands.size() - 1 > kMaxInOperands) {
    return "The IN operator is provided with too many operands; number of operands: " +
           std::to_string(leaf.operands.size() - 1);
  }
  // 3. identical operands ("a = a", "begins_with(a, a)")
  auto same_paths = [](const Operand& x, const Operand& y) {
    return x.kind == Operand::Kind::Path && y.kind == Operand::Kind::Path && x.path == y.path;
  };
  const char* distinct_fail = nullptr;
  const Path* distinct_path = nullptr;
  std::string fn_name;
  if (leaf.kind == CondNode::Kind::Compare && same_paths(leaf.operands[0], leaf.operands[1])) {
    fn_name = cmp_op_text(leaf.op);
    distinct_fail = "";
    distinct_path = &leaf.operands[0].path;
  }
  for (Operand& o : leaf.operands) {
    if (distinct_fail) break;
    walk_operand(o, [&](Operand& f) -> Msg {
      if (!distinct_fail && f.kind == Operand::Kind::Function && f.args.size() == 2 &&
          same_paths(f.args[0], f.args[1])) {
        distinct_fail = "";
        fn_name = f.func_name;
        distinct_path = &f.args[0].path;
      }
      return std::nullopt;
    });
  }
  if (distinct_fail) {
    return "The first operand must be distinct from the remaining operands for this operator or "
           "function; operator: " + fn_name + ", first operand: " + path_to_string(*distinct_path);
  }
  // 4. operand types
  for (Operand& o : leaf.operands) {
    if (Msg m = function_checks(o)) return m;
  }
  if (leaf.kind == CondNode::Kind::Compare && leaf.op != CmpOp::Eq && leaf.op != CmpOp::Ne) {
    for (const Operand& o : leaf.operands) {
      auto t = static_type(o);
      if (t && !is_key_scalar(*t)) return incorrect_operand(cmp_op_text(leaf.op), *t);
    }
  }
  if (leaf.kind == CondNode::Kind::Between) {
    for (const Operand& o : leaf.operands) {
      auto t = static_type(o);
      if (t && !is_key_scalar(*t)) return incorrect_operand("BETWEEN", *t);
    }
    const Operand& lo = leaf.operands[1];
    const Operand& hi = leaf.operands[2];
    if (lo.kind == Operand::Kind::Value && hi.kind == Operand::Kind::Value) {
      std::string bounds = "lower bound operand: AttributeValue: " + value_for_message(lo.value) +
                           ", upper bound operand: AttributeValue: " + value_for_message(hi.value);
      if (lo.value.type != hi.value.type) {
        return "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds;
      }
      if (compare_scalar(lo.value, hi.value) > 0) {
        return "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; " + bounds;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Msg resolve_condition(CondNode& root, Substitutions& subs) {
  // Path depth first: nothing else is meaningful on an over-deep path.
  if (Msg m = walk_all_operands(root, [](Operand& o) -> Msg {
        return o.kind == Operand::Kind::Path ? check_depth(o.raw_path) : std::nullopt;
      })) {
    return m;
  }
  // Redundant parentheses: "((a = :v))", "((a)) = :v".
  std::function<bool(const CondNode&)> parens = [&](const CondNode& n) {
    if (n.redundant_parens) return true;
    for (const CondNode& c : n.children) {
      if (parens(c)) return true;
    }
    return false;
  };
  bool redundant = parens(root);
  if (!redundant) {
    walk_all_operands(root, [&](Operand& o) -> Msg {
      redundant = redundant || o.redundant_parens;
      return std::nullopt;
    });
  }
  if (redundant) return std::string("The expression has redundant parentheses;");
  // Unknown functions (this also binds each call to its function id).
  if (Msg m = walk_all_operands(root, [](Operand& o) -> Msg {
        if (o.kind != Operand::Kind::Function) return std::nullopt;
        const FuncInfo* f = find_func(o.func_name, false);
        if (!f) return "Invalid function name; function: " + o.func_name;
        o.func = f->id;
        return std::nullopt;
      })) {
    return m;
  }
  // Misused functions: only size() may be an operand; size() cannot be a condition.
  if (Msg m = walk_leaves(root, [](CondNode& leaf) -> Msg {
        auto misused = [](const Operand& o) -> Msg {
          if (o.kind == Operand::Kind::Function && o.func != Func::Size) {
            return "The function is not allowed to be used this way in an expression; function: " + o.func_name;
          }
          return std::nullopt;
        };
        for (Operand& o : leaf.operands) {
          if (leaf.kind != CondNode::Kind::Function) {
            if (Msg m = misused(o)) return m;
          }
          Msg inner = walk_operand(o, [&](Operand& f) -> Msg {
            for (const Operand& a : f.args) {
              if (Msg m = misused(a)) return m;
            }
            return std::nullopt;
          });
          if (inner) return inner;
        }
        if (leaf.kind == CondNode::Kind::Function && leaf.operands[0].func == Func::Size) {
          return std::string("The function is not allowed to be used this way in an expression; function: size");
        }
        return std::nullopt;
      })) {
    return m;
  }
  if (Msg m = walk_all_operands(root, [](Operand& o) -> Msg {
        return o.kind == Operand::Kind::Path ? check_reserved(o.raw_path) : std::nullopt;
      })) {
    return m;
  }
  return walk_leaves(root, [&](CondNode& leaf) { return leaf_checks(leaf, subs); });
}

// --- update -----------------------------------------------------------------------------------

namespace {

const char* update_type_name(AttrType t) {
  switch (t) {
    case AttrType::S: return "STRING";
    case AttrType::N: return "NUMBER";
    case AttrType::B: return "BINARY";
    case AttrType::Null: return "NULL";
    case AttrType::Bool: return "BOOLEAN";
    case AttrType::L: return "LIST";
    case AttrType::M: return "MAP";
    default: return attr_type_name(t);
  }
}

}  // namespace

// Overlap: one path is a prefix of (or equal to) the other. Conflict: at the first difference one
// path indexes a list where the other names a map key.
Msg check_path_overlaps(const std::vector<const Path*>& paths) {
  Msg conflict;
  for (size_t j = 1; j < paths.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const Path& a = *paths[i];
      const Path& b = *paths[j];
      size_t n = std::min(a.size(), b.size());
      size_t k = 0;
      bool differ = false;
      for (; k < n; ++k) {
        if (a[k].is_index() != b[k].is_index()) {
          if (!conflict) {
            conflict = "Two document paths conflict with each other; must remove or rewrite one of "
                       "these paths; path one: " + path_to_string(a) + ", path two: " + path_to_string(b);
          }
          differ = true;
          break;
        }
        if (!(a[k] == b[k])) {
          differ = true;
          break;
        }
      }
      if (!differ) {
        return "Two document paths overlap with each other; must remove or rewrite one of these "
               "paths; path one: " + path_to_string(a) + ", path two: " + path_to_string(b);
      }
    }
  }
  return conflict;
}

Msg resolve_update(ParsedUpdate& parsed, Substitutions& subs) {
  std::vector<UpdateAction>& actions = parsed.ast.actions;
  auto each_operand = [&](auto&& f) -> Msg {
    for (UpdateAction& a : actions) {
      if (Msg m = f(a.raw_path)) return m;
      if (a.kind == UpdateAction::Kind::Remove) continue;
      Msg m = walk_operand(a.value, [&](Operand& o) -> Msg {
        return o.kind == Operand::Kind::Path ? f(o.raw_path) : std::nullopt;
      });
      if (m) return m;
    }
    return std::nullopt;
  };
  if (Msg m = each_operand([](const std::vector<RawPathElement>& p) { return check_depth(p); })) return m;
  if (Msg m = each_operand([](const std::vector<RawPathElement>& p) { return check_reserved(p); })) return m;
  for (UpdateAction& a : actions) {
    if (a.kind != UpdateAction::Kind::Set) continue;
    Msg m = walk_operand(a.value, [](Operand& o) -> Msg {
      if (o.kind != Operand::Kind::Function) return std::nullopt;
      const FuncInfo* f = find_func(o.func_name, true);
      if (!f) return "Invalid function name; function: " + o.func_name;
      o.func = f->id;
      return std::nullopt;
    });
    if (m) return m;
  }
  for (size_t i = 0; i < parsed.clauses.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (parsed.clauses[i] == parsed.clauses[j]) {
        return "The \"" + parsed.clauses[i] + "\" section can only be used once in an update expression;";
      }
    }
  }
  // Names, then values (DynamoDB reports an undefined name ahead of an undefined value).
  for (UpdateAction& a : actions) {
    if (Msg m = resolve_path(a.raw_path, a.path, subs)) return m;
    if (a.kind == UpdateAction::Kind::Remove) continue;
    Msg m = walk_operand(a.value, [&](Operand& o) -> Msg {
      return o.kind == Operand::Kind::Path ? resolve_path(o.raw_path, o.path, subs) : std::nullopt;
    });
    if (m) return m;
  }
  for (UpdateAction& a : actions) {
    if (a.kind == UpdateAction::Kind::Remove) continue;
    Msg m = walk_operand(a.value, [&](Operand& o) -> Msg {
      if (o.kind != Operand::Kind::Value) return std::nullopt;
      const AttributeValue* v = subs.value(o.placeholder);
      if (!v) return "An expression attribute value used in expression is not defined; attribute value: " + o.placeholder;
      o.value = *v;
      return std::nullopt;
    });
    if (m) return m;
  }
  std::vector<const Path*> paths;
  for (const UpdateAction& a : actions) paths.push_back(&a.path);
  if (Msg m = check_path_overlaps(paths)) return m;
  for (const UpdateAction& a : actions) {
    AttrType t = a.value.value.type;
    if (a.kind == UpdateAction::Kind::Add && t != AttrType::N && !a.value.value.is_set()) {
      return std::string("Incorrect operand type for operator or function; operator: ADD, operand type: ") + update_type_name(t);
    }
    if (a.kind == UpdateAction::Kind::Delete && !a.value.value.is_set()) {
      return std::string("Incorrect operand type for operator or function; operator: DELETE, operand type: ") + update_type_name(t);
    }
  }
  for (UpdateAction& a : actions) {
    if (a.kind != UpdateAction::Kind::Set) continue;
    Msg m = walk_operand(a.value, [](Operand& o) -> Msg {
      if (o.kind == Operand::Kind::Function) {
        if (o.args.size() != arity_of(o.func)) {
          return "Incorrect number of operands for operator or function; operator or function: " +
                 o.func_name + ", number of operands: " + std::to_string(o.args.size());
        }
        if (o.func == Func::IfNotExists && o.args[0].kind != Operand::Kind::Path) {
          return "Operator or function requires a document path; operator or function: " + o.func_name;
        }
        if (o.func == Func::ListAppend) {
          for (const Operand& arg : o.args) {
            if (arg.kind == Operand::Kind::Value && arg.value.type != AttrType::L) {
              return incorrect_operand(o.func_name, arg.value.type);
            }
          }
        }
      } else if (o.kind == Operand::Kind::Plus || o.kind == Operand::Kind::Minus) {
        for (const Operand& arg : o.args) {
          if (arg.kind == Operand::Kind::Value && arg.value.type != AttrType::N) {
            return incorrect_operand(o.func_name, arg.value.type);
          }
        }
      }
      return std::nullopt;
    });
    if (m) return m;
  }
  return std::nullopt;
}

// --- projection -------------------------------------------------------------------------------

Msg resolve_projection(const ParsedProjection& parsed, std::vector<Path>& out, Substitutions& subs) {
  for (const auto& p : parsed.paths) {
    if (Msg m = check_depth(p)) return m;
  }
  for (const auto& p : parsed.paths) {
    if (Msg m = check_reserved(p)) return m;
  }
  out.resize(parsed.paths.size());
  for (size_t i = 0; i < parsed.paths.size(); ++i) {
    if (Msg m = resolve_path(parsed.paths[i], out[i], subs)) return m;
  }
  std::vector<const Path*> ptrs;
  for (const Path& p : out) ptrs.push_back(&p);
  return check_path_overlaps(ptrs);
}

}  // namespace detail

// --- public entry points ----------------------------------------------------------------------

namespace {

Status check_text(std::string_view text, std::string_view which) {
  if (text.empty()) return detail::invalid(which, "The expression can not be empty;");
  if (text.size() > kMaxExpressionBytes) {
    return detail::invalid(which, "Expression size has exceeded the maximum allowed size; expression size: " +
                                      std::to_string(text.size()));
  }
  return ok_status();
}

Status check_operators(size_t n, std::string_view which) {
  if (n > kMaxOperators) {
    return detail::invalid(which, "The expression contains too many operators; operator count: " + std::to_string(n));
  }
  return ok_status();
}

}  // namespace

Result<Condition> parse_condition(std::string_view text, Substitutions& subs, std::string_view which) {
  RUNNEL_CHECK(check_text(text, which));
  auto parsed = detail::parse_condition_syntax(text);
  if (!parsed.ok()) return detail::invalid(which, parsed.error().message);
  RUNNEL_CHECK(check_operators(parsed->operators, which));
  if (auto m = detail::resolve_condition(parsed->root, subs)) return detail::invalid(which, *m);
  return Condition{std::make_shared<const detail::CondNode>(std::move(parsed->root))};
}

Result<Update> parse_update(std::string_view text, Substitutions& subs) {
  constexpr std::string_view kWhich = "UpdateExpression";
  RUNNEL_CHECK(check_text(text, kWhich));
  auto parsed = detail::parse_update_syntax(text);
  if (!parsed.ok()) return detail::invalid(kWhich, parsed.error().message);
  RUNNEL_CHECK(check_operators(parsed->operators, kWhich));
  if (auto m = detail::resolve_update(*parsed, subs)) return detail::invalid(kWhich, *m);
  return Update{std::make_shared<const detail::UpdateAst>(std::move(parsed->ast))};
}

Result<Projection> parse_projection(std::string_view text, Substitutions& subs) {
  constexpr std::string_view kWhich = "ProjectionExpression";
  RUNNEL_CHECK(check_text(text, kWhich));
  auto parsed = detail::parse_projection_syntax(text);
  if (!parsed.ok()) return detail::invalid(kWhich, parsed.error().message);
  Projection out;
  if (auto m = detail::resolve_projection(*parsed, out.paths, subs)) return detail::invalid(kWhich, *m);
  return out;
}

}  // namespace runnel::expr
