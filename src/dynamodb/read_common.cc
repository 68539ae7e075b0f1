#include "dynamodb/read_common.h"

#include "common/json_parse.h"
#include "dynamodb/item_keys.h"
#include "expr/ast.h"

namespace runnel::dynamodb {

Result<std::optional<expr::Projection>> decode_read_projection(const JsonValue& obj, Placeholders& p) {
  RUNNEL_TRY(auto text, optional_string(obj, "ProjectionExpression"));
  if (text) {
    RUNNEL_TRY(expr::Projection projection, expr::parse_projection(*text, *p.subs));
    return std::optional<expr::Projection>(std::move(projection));
  }
  if (const JsonValue* names = member(obj, "AttributesToGet")) {
    // The model bounds the list to 1..255 names.
    if (names->IsArray() && names->Empty())
      return constraint_error("[]", "attributesToGet", "Member must have length greater than or equal to 1");
    if (names->IsArray() && names->Size() > 255)
      return constraint_error("[...]", "attributesToGet", "Member must have length less than or equal to 255");
    RUNNEL_TRY(expr::Projection projection, expr::projection_from_attributes_to_get(*names));
    return std::optional<expr::Projection>(std::move(projection));
  }
  return std::optional<expr::Projection>();
}

namespace {
bool is_index_key(const TableInfo& t, std::string_view name) {
  auto in = [&](const IndexInfo& i) {
    return i.keys.hash.name == name || (i.keys.range && i.keys.range->name == name);
  };
  for (const auto& i : t.global_indexes)
    if (in(i)) return true;
  for (const auto& i : t.local_indexes)
    if (in(i)) return true;
  return false;
}
}  // namespace

Status check_key_paths(const TableInfo& t, const std::vector<const expr::Path*>& paths) {
  // Key attributes are always S, N or B, so a nested path into one is a mistake DynamoDB reports.
  for (const expr::Path* p : paths) {
    if (p->size() < 2) continue;
    const std::string& head = (*p)[0].name;
    const char* what = nullptr;
    if (head == t.keys.hash.name || (t.keys.range && head == t.keys.range->name)) {
      what = "Key: ";
    } else if (is_index_key(t, head)) {
      what = "IndexKey: ";
    }
    if (what)
      return ApiError::validation(
          std::string("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: ") +
          what + head);
  }
  return ok_status();
}

std::vector<const expr::Path*> path_pointers(const std::vector<expr::Path>& paths) {
  std::vector<const expr::Path*> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back(&p);
  return out;
}

namespace {
void collect_operand_paths(const expr::detail::Operand& o, std::vector<const expr::Path*>& out) {
  if (o.kind == expr::detail::Operand::Kind::Path && !o.path.empty()) out.push_back(&o.path);
  for (const auto& a : o.args) collect_operand_paths(a, out);
}

void collect_condition_paths(const expr::detail::CondNode& n, std::vector<const expr::Path*>& out) {
  for (const auto& c : n.children) collect_condition_paths(c, out);
  for (const auto& o : n.operands) collect_operand_paths(o, out);
}
}  // namespace

std::vector<const expr::Path*> condition_paths(const expr::Condition& c) {
  std::vector<const expr::Path*> out;
  if (c.root) collect_condition_paths(*c.root, out);
  return out;
}

Result<std::shared_ptr<const TableInfo>> resolve_table_named(Env& env, const protocol::RequestContext& ctx,
                                                             std::string_view name) {
  rapidjson::Document lookup;
  lookup.SetObject();
  lookup.AddMember("TableName",
                   rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), lookup.GetAllocator()),
                   lookup.GetAllocator());
  return resolve_table(env, ctx, lookup, "requestItems");
}

Result<bool> read_stored(Env& env, storage::Family family, std::string_view key, const storage::Snapshot* snapshot,
                         storage::PinnedValue& out) {
  auto found = snapshot ? snapshot->get(family, key, out) : env.engine.get(family, key, out);
  if (!found.ok()) return ApiError::internal("Internal server error");
  return *found;
}

Result<std::string_view> stored_json(std::string_view stored) {
  if (stored.empty() || stored[0] != kItemFormatJson) return ApiError::internal("Internal server error");
  return stored.substr(1);
}

Status parse_stored_json(std::string_view json, rapidjson::Document& doc, std::string* insitu_buffer) {
  if (insitu_buffer) {
    insitu_buffer->assign(json);
    doc.ParseInsitu(insitu_buffer->data());
  } else {
    json::parse(doc, json);
  }
  if (doc.HasParseError() || !doc.IsObject()) return ApiError::internal("Internal server error");
  return ok_status();
}

namespace {

size_t string_size(const rapidjson::Value& v) { return v.IsString() ? v.GetStringLength() : 0; }

size_t number_text_size(const rapidjson::Value& v) {
  if (!v.IsString()) return 0;
  // Numbers are stored normalised; reuse the one formula in common/ rather than restating it.
  return attribute_value_size(AttributeValue::number(std::string(v.GetString(), v.GetStringLength())));
}

size_t base64_size(const rapidjson::Value& v) {
  if (!v.IsString()) return 0;
  size_t n = v.GetStringLength();
  const char* s = v.GetString();
  size_t pad = 0;
  if (n >= 1 && s[n - 1] == '=') ++pad;
  if (n >= 2 && s[n - 2] == '=') ++pad;
  return n / 4 * 3 - pad;
}

size_t value_size(const rapidjson::Value& v);

template <typename F>
size_t sum_array(const rapidjson::Value& a, F element_size, size_t per_element) {
  if (!a.IsArray()) return 0;
  size_t n = 0;
  for (const auto& e : a.GetArray()) n += element_size(e) + per_element;
  return n;
}

size_t value_size(const rapidjson::Value& v) {
  if (!v.IsObject() || v.MemberCount() != 1) return 0;
  const auto& m = *v.MemberBegin();
  std::string_view type(m.name.GetString(), m.name.GetStringLength());
  const rapidjson::Value& p = m.value;
  // Same formula as common/attribute_value.cc's attribute_value_size (aws-reference.md 1.4).
  if (type == "S") return string_size(p);
  if (type == "N") return number_text_size(p);
  if (type == "B") return base64_size(p);
  if (type == "BOOL" || type == "NULL") return 1;
  if (type == "SS") return sum_array(p, string_size, 0);
  if (type == "NS") return sum_array(p, number_text_size, 0);
  if (type == "BS") return sum_array(p, base64_size, 0);
  if (type == "L") return 3 + sum_array(p, value_size, 1);
  if (type == "M" && p.IsObject()) {
    size_t n = 3;
    for (const auto& e : p.GetObject()) n += e.name.GetStringLength() + value_size(e.value) + 1;
    return n;
  }
  return 0;
}

}  // namespace

size_t stored_item_size(const rapidjson::Value& item) {
  if (!item.IsObject()) return 0;
  size_t n = 0;
  for (const auto& e : item.GetObject()) n += e.name.GetStringLength() + value_size(e.value);
  return n;
}

std::optional<AttributeValue> attribute_from_json(const rapidjson::Value& item, const std::string& name) {
  auto it = item.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (it == item.MemberEnd()) return std::nullopt;
  auto v = decode_attribute_value(it->value);
  if (!v.ok()) return std::nullopt;
  return std::move(v).value();
}

AttributeMap key_from_json(const rapidjson::Value& item, const std::vector<const KeyAttribute*>& keys) {
  AttributeMap out;
  for (const KeyAttribute* k : keys) {
    if (auto v = attribute_from_json(item, k->name)) out.insert_or_assign(k->name, std::move(*v));
  }
  return out;
}

Status write_stored_item(Writer& w, std::string_view json, const expr::Projection* projection, size_t* size) {
  if (!projection) {
    if (size) {
      ScratchDocument scratch;
      RUNNEL_CHECK(parse_stored_json(json, scratch.doc()));
      *size = stored_item_size(scratch.doc());
    }
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return ok_status();
  }
  ScratchDocument scratch;
  RUNNEL_CHECK(parse_stored_json(json, scratch.doc()));
  auto item = decode_attribute_map(scratch.doc());
  if (!item.ok()) return ApiError::internal("Internal server error");
  if (size) *size = item_size(*item);
  write_attribute_map(w, expr::project(*projection, *item));
  return ok_status();
}

void write_read_capacity(Writer& w, CapacityMode mode, const TableInfo& t, const IndexInfo* index, double units) {
  // A read through an index is charged to the index; the table part is 0.
  if (!index) return write_capacity_object(w, mode, t, units);
  write_capacity_object(w, mode, t, 0, {{index, units}});
}

}  // namespace runnel::dynamodb
