// ProjectionExpression application.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ProjectionExpressions.html
//
// Each path found in the item is copied into a result tree that keeps only the named parts:
// maps keep the projected keys, lists keep the projected elements compacted in index order
// (a[3], a[1] -> [a[1], a[3]]); paths not found are skipped, and a container appears only if
// something under it was found.
#include <map>
#include <string>

#include "expr/ast.h"

namespace runnel::expr {
namespace {

struct Node {
  bool leaf = false;
  AttributeValue value;                              // leaf
  bool is_list = false;                              // inner node kind
  std::map<std::string, Node, std::less<>> fields;   // inner map node
  std::map<int, Node> elements;                      // inner list node
};

AttributeValue to_value(Node& n) {
  if (n.leaf) return std::move(n.value);
  AttributeValue v;
  if (n.is_list) {
    v.type = AttrType::L;
    for (auto& [i, child] : n.elements) v.list.push_back(to_value(child));
  } else {
    v.type = AttrType::M;
    for (auto& [k, child] : n.fields) v.map.emplace(k, to_value(child));
  }
  return v;
}

}  // namespace

AttributeMap project(const Projection& p, const AttributeMap& item) {
  Node root;
  for (const Path& path : p.paths) {
    const AttributeValue* v = detail::lookup(item, path);
    if (!v) continue;
    Node* cur = &root;
    for (size_t i = 0; i < path.size(); ++i) {
      const PathElement& e = path[i];
      if (cur->leaf) break;  // an earlier, shorter path already copied this whole subtree
      Node& next = e.is_index() ? cur->elements[e.index] : cur->fields[e.name];
      if (e.is_index()) cur->is_list = true;
      cur = &next;
    }
    if (!cur->leaf && cur != &root) {
      cur->leaf = true;
      cur->value = *v;
      cur->fields.clear();
      cur->elements.clear();
    }
  }
  AttributeMap out;
  for (auto& [k, child] : root.fields) out.emplace(k, to_value(child));
  return out;
}

}  // namespace runnel::expr
