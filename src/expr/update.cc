// Applying an update to an item.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
//
// Order of work, chosen so that every list index in the expression means the element it named in
// the original item (REMOVE a[1], a[2] removes both original elements, as the service does):
//  1. every SET value is computed against the item as it was before the update;
//  2. SET / ADD / DELETE write in place, in expression order; writes to a list index at or past
//     the end are deferred;
//  3. deferred list writes are appended, in index order ("SET l[10] = :v" on a 3-element list
//     makes it the 4th element, with no padding);
//  4. REMOVEs (and DELETEs that emptied a set: an empty set is never stored) run last, deepest
//     and highest index first, so earlier removals never shift later ones.
#include <algorithm>
#include <string>

#include "common/decimal.h"
#include "expr/ast.h"

namespace runnel::expr {
namespace detail {
namespace {

constexpr const char* kBadPath = "The document path provided in the update expression is invalid for update";
constexpr const char* kBadType = "An operand in the update expression has an incorrect data type";
constexpr const char* kMissingOperand =
    "The provided expression refers to an attribute that does not exist in the item";
constexpr const char* kLegacyMismatch = "Type mismatch for attribute to update";

Result<AttributeValue> arithmetic(Operand::Kind kind, const AttributeValue& a, const AttributeValue& b) {
  if (a.type != AttrType::N || b.type != AttrType::N) return ApiError::validation(kBadType);
  RUNNEL_TRY(Decimal x, Decimal::parse(a.scalar));
  RUNNEL_TRY(Decimal y, Decimal::parse(b.scalar));
  RUNNEL_TRY(Decimal r, kind == Operand::Kind::Plus ? Decimal::add(x, y) : Decimal::subtract(x, y));
  return AttributeValue::number(r.to_string());
}

// The value of a SET operand, evaluated against the original item.
Result<AttributeValue> compute(const Operand& o, const AttributeMap& item) {
  switch (o.kind) {
    case Operand::Kind::Path: {
      const AttributeValue* v = lookup(item, o.path);
      if (!v) return ApiError::validation(kMissingOperand);
      return *v;
    }
    case Operand::Kind::Value: return o.value;
    case Operand::Kind::Plus:
    case Operand::Kind::Minus: {
      RUNNEL_TRY(AttributeValue a, compute(o.args[0], item));
      RUNNEL_TRY(AttributeValue b, compute(o.args[1], item));
      return arithmetic(o.kind, a, b);
    }
    case Operand::Kind::Function:
      if (o.func == Func::IfNotExists) {
        if (const AttributeValue* v = lookup(item, o.args[0].path)) return *v;
        return compute(o.args[1], item);
      }
      if (o.func == Func::ListAppend) {
        RUNNEL_TRY(AttributeValue a, compute(o.args[0], item));
        RUNNEL_TRY(AttributeValue b, compute(o.args[1], item));
        if (a.type != AttrType::L || b.type != AttrType::L) return ApiError::validation(kBadType);
        for (AttributeValue& e : b.list) a.list.push_back(std::move(e));
        return a;
      }
      return ApiError::validation(kBadType);
  }
  return ApiError::validation(kBadType);
}

// Where the last step of a path lives: a map (the item itself for top-level names) or a list.
struct Slot {
  AttributeMap* map = nullptr;
  std::vector<AttributeValue>* list = nullptr;
};

Result<Slot> parent_of(AttributeMap& item, const Path& path) {
  if (path.empty() || path[0].is_index()) return ApiError::validation(kBadPath);
  if (path.size() == 1) return Slot{&item, nullptr};
  auto it = item.find(path[0].name);
  if (it == item.end()) return ApiError::validation(kBadPath);
  AttributeValue* cur = &it->second;
  for (size_t i = 1; i + 1 < path.size(); ++i) {
    const PathElement& e = path[i];
    if (e.is_index()) {
      if (cur->type != AttrType::L || static_cast<size_t>(e.index) >= cur->list.size()) {
        return ApiError::validation(kBadPath);
      }
      cur = &cur->list[static_cast<size_t>(e.index)];
    } else {
      if (cur->type != AttrType::M) return ApiError::validation(kBadPath);
      auto m = cur->map.find(e.name);
      if (m == cur->map.end()) return ApiError::validation(kBadPath);
      cur = &m->second;
    }
  }
  if (path.back().is_index()) {
    if (cur->type != AttrType::L) return ApiError::validation(kBadPath);
    return Slot{nullptr, &cur->list};
  }
  if (cur->type != AttrType::M) return ApiError::validation(kBadPath);
  return Slot{&cur->map, nullptr};
}

AttributeValue* slot_get(const Slot& s, const PathElement& last) {
  if (s.map) {
    auto it = s.map->find(last.name);
    return it == s.map->end() ? nullptr : &it->second;
  }
  size_t i = static_cast<size_t>(last.index);
  return i < s.list->size() ? &(*s.list)[i] : nullptr;
}

struct PendingAppend {
  const Path* path;
  AttributeValue value;
};

// Writes `v` at the slot, or defers it when it is a list index past the end.
void slot_put(const Slot& s, const Path& path, AttributeValue v, std::vector<PendingAppend>& appends) {
  const PathElement& last = path.back();
  if (s.map) {
    (*s.map)[last.name] = std::move(v);
    return;
  }
  size_t i = static_cast<size_t>(last.index);
  if (i < s.list->size()) {
    (*s.list)[i] = std::move(v);
  } else {
    appends.push_back(PendingAppend{&path, std::move(v)});
  }
}

// ADD: numbers add, sets union; a missing attribute starts as the operand. AttributeUpdates' ADD
// also appends lists.
Result<AttributeValue> add_values(const AttributeValue* existing, const AttributeValue& v, bool legacy) {
  if (!existing) return v;
  const char* mismatch = legacy ? kLegacyMismatch : kBadType;
  if (existing->type != v.type) return ApiError::validation(mismatch);
  if (v.type == AttrType::N) return arithmetic(Operand::Kind::Plus, *existing, v);
  AttributeValue out = *existing;
  if (v.is_set()) {
    for (const std::string& e : v.set) {
      if (std::find(out.set.begin(), out.set.end(), e) == out.set.end()) out.set.push_back(e);
    }
    return out;
  }
  if (legacy && v.type == AttrType::L) {
    for (const AttributeValue& e : v.list) out.list.push_back(e);
    return out;
  }
  return ApiError::validation(mismatch);
}

bool path_less(const Path& a, const Path& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i].is_index() != b[i].is_index()) return a[i].is_index();
    if (a[i].is_index()) {
      if (a[i].index != b[i].index) return a[i].index < b[i].index;
    } else if (a[i].name != b[i].name) {
      return a[i].name < b[i].name;
    }
  }
  return a.size() < b.size();
}

}  // namespace
}  // namespace detail

Status apply_update(const Update& u, AttributeMap& item) {
  using namespace detail;
  if (!u.ast) return ok_status();
  const std::vector<UpdateAction>& actions = u.ast->actions;
  const bool legacy = u.ast->legacy;

  std::vector<AttributeValue> set_values(actions.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].kind == UpdateAction::Kind::Set) {
      RUNNEL_TRY(set_values[i], compute(actions[i].value, item));
    }
  }

  std::vector<PendingAppend> appends;
  std::vector<const Path*> removals;
  for (size_t i = 0; i < actions.size(); ++i) {
    const UpdateAction& a = actions[i];
    RUNNEL_TRY(Slot slot, parent_of(item, a.path));
    switch (a.kind) {
      case UpdateAction::Kind::Set:
        slot_put(slot, a.path, std::move(set_values[i]), appends);
        break;
      case UpdateAction::Kind::Remove:
        removals.push_back(&a.path);
        break;
      case UpdateAction::Kind::Add: {
        RUNNEL_TRY(AttributeValue v, add_values(slot_get(slot, a.path.back()), a.value.value, legacy));
        slot_put(slot, a.path, std::move(v), appends);
        break;
      }
      case UpdateAction::Kind::Delete: {
        AttributeValue* existing = slot_get(slot, a.path.back());
        if (!existing) break;
        if (existing->type != a.value.value.type) {
          return ApiError::validation(legacy ? kLegacyMismatch : kBadType);
        }
        auto& s = existing->set;
        const auto& drop = a.value.value.set;
        s.erase(std::remove_if(s.begin(), s.end(),
                               [&](const std::string& e) {
                                 return std::find(drop.begin(), drop.end(), e) != drop.end();
                               }),
                s.end());
        if (s.empty()) removals.push_back(&a.path);
        break;
      }
    }
  }

  std::stable_sort(appends.begin(), appends.end(), [](const PendingAppend& x, const PendingAppend& y) {
    return x.path->back().index < y.path->back().index;
  });
  for (PendingAppend& p : appends) {
    RUNNEL_TRY(Slot slot, parent_of(item, *p.path));
    if (slot.list) slot.list->push_back(std::move(p.value));
  }

  std::sort(removals.begin(), removals.end(), [](const Path* x, const Path* y) { return path_less(*y, *x); });
  for (const Path* p : removals) {
    RUNNEL_TRY(Slot slot, parent_of(item, *p));
    if (slot.map) {
      slot.map->erase(p->back().name);
    } else {
      size_t i = static_cast<size_t>(p->back().index);
      if (i < slot.list->size()) slot.list->erase(slot.list->begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return ok_status();
}

std::vector<std::string> updated_top_level_names(const Update& u) {
  std::vector<std::string> out;
  if (!u.ast) return out;
  for (const auto& a : u.ast->actions) {
    if (std::find(out.begin(), out.end(), a.path[0].name) == out.end()) out.push_back(a.path[0].name);
  }
  return out;
}

std::vector<Path> updated_paths(const Update& u) {
  std::vector<Path> out;
  if (!u.ast) return out;
  for (const auto& a : u.ast->actions) out.push_back(a.path);
  return out;
}

}  // namespace runnel::expr
