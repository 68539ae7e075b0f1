#include "dynamodb/table_defs.h"

#include <chrono>
#include <set>

#include <fmt/format.h>

namespace runnel::dynamodb {

namespace {

ApiError invalid(std::string_view what) {
  return ApiError::validation(fmt::format("One or more parameter values were invalid: {}", what));
}

Result<std::vector<KeyAttribute>> decode_attribute_definitions(const JsonValue& body) {
  std::vector<KeyAttribute> out;
  const JsonValue* defs = member(body, "AttributeDefinitions");
  if (!defs) return out;
  if (!defs->IsArray()) return ApiError::serialization("AttributeDefinitions must be a list");
  int n = 0;
  for (const auto& d : defs->GetArray()) {
    ++n;
    RUNNEL_TRY(std::string name, required_string(d, "AttributeName", fmt::format("attributeDefinitions.{}.member.attributeName", n)));
    RUNNEL_TRY(std::string type, enum_param(d, "AttributeType", fmt::format("attributeDefinitions.{}.member.attributeType", n),
                                            {"B", "N", "S"}, ""));
    if (type.empty()) return constraint_error("null", fmt::format("attributeDefinitions.{}.member.attributeType", n), "Member must not be null");
    for (const auto& existing : out)
      if (existing.name == name) return invalid("Duplicate AttributeName in AttributeDefinitions: " + name);
    out.push_back({name, type == "S" ? AttrType::S : type == "N" ? AttrType::N : AttrType::B});
  }
  return out;
}

// Decodes a KeySchema list against the attribute definitions.
Result<KeySchema> decode_key_schema(const JsonValue* ks, const std::vector<KeyAttribute>& defs, std::string_view wire_path,
                                    std::set<std::string>& used) {
  if (!ks) return constraint_error("null", wire_path, "Member must not be null");
  if (!ks->IsArray()) return ApiError::serialization("KeySchema must be a list");
  if (ks->Size() < 1) return constraint_error("[]", wire_path, "Member must have length greater than or equal to 1");
  if (ks->Size() > 2) return constraint_error("[...]", wire_path, "Member must have length less than or equal to 2");
  std::vector<std::pair<std::string, std::string>> elems;
  int n = 0;
  for (const auto& e : ks->GetArray()) {
    ++n;
    RUNNEL_TRY(std::string name, required_string(e, "AttributeName", fmt::format("{}.{}.member.attributeName", wire_path, n)));
    RUNNEL_TRY(std::string type, enum_param(e, "KeyType", fmt::format("{}.{}.member.keyType", wire_path, n), {"HASH", "RANGE"}, ""));
    if (type.empty()) return constraint_error("null", fmt::format("{}.{}.member.keyType", wire_path, n), "Member must not be null");
    if (name.size() > 255)
      return constraint_error("'" + name + "'", fmt::format("{}.{}.member.attributeName", wire_path, n),
                              "Member must have length less than or equal to 255");
    elems.emplace_back(name, type);
  }
  if (elems[0].second != "HASH") return ApiError::validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  if (elems.size() == 2) {
    if (elems[1].second != "RANGE") return ApiError::validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    if (elems[0].first == elems[1].first)
      return ApiError::validation("Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  auto lookup = [&](const std::string& name) -> Result<KeyAttribute> {
    for (const auto& d : defs)
      if (d.name == name) {
        used.insert(name);
        return d;
      }
    std::vector<std::string> def_names;
    for (const auto& d : defs) def_names.push_back(d.name);
    std::vector<std::string> key_names;
    for (const auto& e : elems) key_names.push_back(e.first);
    return invalid(fmt::format("Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                               fmt::join(key_names, ", "), fmt::join(def_names, ", ")));
  };
  KeySchema k;
  RUNNEL_TRY(k.hash, lookup(elems[0].first));
  if (elems.size() == 2) {
    RUNNEL_TRY(KeyAttribute r, lookup(elems[1].first));
    k.range = r;
  }
  return k;
}

Result<std::pair<int64_t, int64_t>> decode_throughput(const JsonValue& pt, std::string_view wire_path) {
  auto field = [&](const char* name, const char* wire) -> Result<int64_t> {
    const JsonValue* v = member(pt, name);
    if (!v) return constraint_error("null", fmt::format("{}.{}", wire_path, wire), "Member must not be null");
    if (!v->IsInt64()) return ApiError::serialization(fmt::format("Unexpected type for {}", name));
    if (v->GetInt64() < 1)
      return constraint_error(std::to_string(v->GetInt64()), fmt::format("{}.{}", wire_path, wire),
                              "Member must have value greater than or equal to 1");
    return v->GetInt64();
  };
  RUNNEL_TRY(int64_t r, field("ReadCapacityUnits", "readCapacityUnits"));
  RUNNEL_TRY(int64_t w, field("WriteCapacityUnits", "writeCapacityUnits"));
  return std::make_pair(r, w);
}

Result<IndexProjection> decode_projection(const JsonValue& idx, std::string_view wire_path) {
  const JsonValue* p = member(idx, "Projection");
  if (!p) return constraint_error("null", fmt::format("{}.projection", wire_path), "Member must not be null");
  IndexProjection out;
  RUNNEL_TRY(std::string type, enum_param(*p, "ProjectionType", fmt::format("{}.projection.projectionType", wire_path),
                                          {"ALL", "KEYS_ONLY", "INCLUDE"}, ""));
  const JsonValue* nka = member(*p, "NonKeyAttributes");
  if (type.empty()) {
    // DynamoDB defaults a missing ProjectionType only when nothing else is given.
    if (nka) return invalid("Unknown ProjectionType: null");
    type = "ALL";
  }
  out.type = type == "ALL" ? IndexProjection::Type::kAll
             : type == "KEYS_ONLY" ? IndexProjection::Type::kKeysOnly
                                   : IndexProjection::Type::kInclude;
  if (out.type == IndexProjection::Type::kInclude) {
    if (!nka || !nka->IsArray() || nka->Empty())
      return invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified");
    for (const auto& n : nka->GetArray()) {
      if (!n.IsString()) return ApiError::serialization("NonKeyAttributes must hold strings");
      out.non_key_attributes.emplace_back(n.GetString());
    }
  } else if (nka) {
    return invalid(fmt::format("ProjectionType is {}, but NonKeyAttributes is specified", type));
  }
  return out;
}

Result<IndexInfo> decode_index(const JsonValue& idx, bool global, int n, const std::vector<KeyAttribute>& defs,
                               std::set<std::string>& used, bool provisioned) {
  std::string wire = fmt::format("{}.{}.member", global ? "globalSecondaryIndexes" : "localSecondaryIndexes", n);
  IndexInfo i;
  i.global = global;
  RUNNEL_TRY(i.name, required_string(idx, "IndexName", wire + ".indexName"));
  RUNNEL_CHECK(validate_name(i.name, wire + ".indexName"));
  RUNNEL_TRY(i.keys, decode_key_schema(member(idx, "KeySchema"), defs, wire + ".keySchema", used));
  RUNNEL_TRY(i.projection, decode_projection(idx, wire));
  const JsonValue* pt = member(idx, "ProvisionedThroughput");
  if (global) {
    if (provisioned) {
      if (!pt) return invalid("ProvisionedThroughput must be specified for index: " + i.name);
      RUNNEL_TRY(auto rw, decode_throughput(*pt, wire + ".provisionedThroughput"));
      i.read_capacity = rw.first;
      i.write_capacity = rw.second;
    } else if (pt) {
      return invalid("ProvisionedThroughput should not be specified for index: " + i.name +
                     " when BillingMode is PAY_PER_REQUEST");
    }
  }
  return i;
}

size_t projected_attribute_count(const TableInfo& t) {
  size_t n = 0;
  for (const auto* list : {&t.global_indexes, &t.local_indexes})
    for (const auto& i : *list) n += i.projection.non_key_attributes.size();
  return n;
}

}  // namespace

Status decode_table_definition(const JsonValue& body, TableInfo& t) {
  RUNNEL_TRY(t.attribute_definitions, decode_attribute_definitions(body));
  if (!member(body, "AttributeDefinitions"))
    return constraint_error("null", "attributeDefinitions", "Member must not be null");
  std::set<std::string> used;
  RUNNEL_TRY(t.keys, decode_key_schema(member(body, "KeySchema"), t.attribute_definitions, "keySchema", used));

  RUNNEL_TRY(t.billing_mode, enum_param(body, "BillingMode", "billingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, "PROVISIONED"));
  bool provisioned = t.billing_mode == "PROVISIONED";
  const JsonValue* pt = member(body, "ProvisionedThroughput");
  if (provisioned) {
    if (!pt) return invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    RUNNEL_TRY(auto rw, decode_throughput(*pt, "provisionedThroughput"));
    t.read_capacity = rw.first;
    t.write_capacity = rw.second;
  } else if (pt) {
    return invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
  }

  std::set<std::string> index_names;
  if (const JsonValue* gsis = member(body, "GlobalSecondaryIndexes")) {
    if (!gsis->IsArray()) return ApiError::serialization("GlobalSecondaryIndexes must be a list");
    if (gsis->Empty()) return invalid("List of GlobalSecondaryIndexes is empty");
    int n = 0;
    for (const auto& g : gsis->GetArray()) {
      RUNNEL_TRY(IndexInfo i, decode_index(g, true, ++n, t.attribute_definitions, used, provisioned));
      if (!index_names.insert(i.name).second) return invalid("Duplicate index name: " + i.name);
      t.global_indexes.push_back(std::move(i));
    }
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#gsi-limits
    if (t.global_indexes.size() > 20)
      return invalid("GlobalSecondaryIndex count exceeds the per-table limit of 20");
  }
  if (const JsonValue* lsis = member(body, "LocalSecondaryIndexes")) {
    if (!lsis->IsArray()) return ApiError::serialization("LocalSecondaryIndexes must be a list");
    if (lsis->Empty()) return invalid("List of LocalSecondaryIndexes is empty");
    if (!t.keys.range)
      return invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
    int n = 0;
    for (const auto& l : lsis->GetArray()) {
      RUNNEL_TRY(IndexInfo i, decode_index(l, false, ++n, t.attribute_definitions, used, provisioned));
      if (i.keys.hash.name != t.keys.hash.name)
        return invalid("Index KeySchema does not have the same leading hash key as table KeySchema for index: " + i.name +
                       ". index hash key: " + i.keys.hash.name + ", table hash key: " + t.keys.hash.name);
      if (!i.keys.range) return invalid("Index KeySchema for a LocalSecondaryIndex must have a range key: " + i.name);
      if (!index_names.insert(i.name).second) return invalid("Duplicate index name: " + i.name);
      t.local_indexes.push_back(std::move(i));
    }
    if (t.local_indexes.size() > 5) return invalid("Number of LocalSecondaryIndexes exceeds per-table limit of 5");
  }
  if (projected_attribute_count(t) > 100)
    return invalid("The number of projected attributes in all secondary indexes exceeds the limit of 100");
  if (used.size() != t.attribute_definitions.size())
    return invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");

  if (const JsonValue* ss = member(body, "StreamSpecification")) {
    RUNNEL_TRY(t.stream.enabled, optional_bool(*ss, "StreamEnabled", false));
    RUNNEL_TRY(t.stream.view_type, enum_param(*ss, "StreamViewType", "streamSpecification.streamViewType",
                                              {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"}, ""));
    if (t.stream.enabled && t.stream.view_type.empty())
      return invalid("StreamViewType must be specified when StreamEnabled is true");
    if (!t.stream.enabled && !t.stream.view_type.empty())
      return ApiError::validation("One or more parameter values were invalid: StreamSpecification: StreamViewType can not be specified when StreamEnabled is false");
  }
  if (const JsonValue* tags = member(body, "Tags")) {
    if (!tags->IsArray()) return ApiError::serialization("Tags must be a list");
    for (const auto& tag : tags->GetArray()) {
      RUNNEL_TRY(std::string k, required_string(tag, "Key", "tags.member.key"));
      RUNNEL_TRY(std::string v, required_string(tag, "Value", "tags.member.value"));
      t.tags.emplace_back(k, v);
    }
  }
  RUNNEL_TRY(t.table_class, enum_param(body, "TableClass", "tableClass", {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}, "STANDARD"));
  RUNNEL_TRY(t.deletion_protection, optional_bool(body, "DeletionProtectionEnabled", false));
  return ok_status();
}

Result<TableUpdate> decode_table_update(const JsonValue& body, const TableInfo& current) {
  TableUpdate u;
  RUNNEL_TRY(u.attribute_definitions, decode_attribute_definitions(body));
  RUNNEL_TRY(auto billing, optional_string(body, "BillingMode"));
  if (billing) {
    RUNNEL_TRY(std::string b, enum_param(body, "BillingMode", "billingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, ""));
    u.billing_mode = b;
  }
  std::string effective_billing = u.billing_mode.value_or(current.billing_mode);
  if (const JsonValue* pt = member(body, "ProvisionedThroughput")) {
    if (effective_billing == "PAY_PER_REQUEST")
      return invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    RUNNEL_TRY(auto rw, decode_throughput(*pt, "provisionedThroughput"));
    u.throughput = rw;
  } else if (u.billing_mode == "PROVISIONED" && current.billing_mode != "PROVISIONED") {
    return invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED");
  }
  bool provisioned = effective_billing == "PROVISIONED";
  if (const JsonValue* updates = member(body, "GlobalSecondaryIndexUpdates")) {
    if (!updates->IsArray()) return ApiError::serialization("GlobalSecondaryIndexUpdates must be a list");
    int creates_or_deletes = 0;
    int n = 0;
    for (const auto& gu : updates->GetArray()) {
      ++n;
      if (const JsonValue* c = member(gu, "Create")) {
        ++creates_or_deletes;
        std::set<std::string> used;
        std::vector<KeyAttribute> defs = current.attribute_definitions;
        for (const auto& d : u.attribute_definitions) {
          bool seen = false;
          for (auto& e : defs)
            if (e.name == d.name) {
              if (e.type != d.type) return invalid("Cannot change the type of existing attribute " + d.name);
              seen = true;
            }
          if (!seen) defs.push_back(d);
        }
        RUNNEL_TRY(IndexInfo i, decode_index(*c, true, n, defs, used, provisioned));
        if (current.find_index(i.name)) return invalid("Index with name: " + i.name + " already exists");
        u.create_index = std::move(i);
      } else if (const JsonValue* d = member(gu, "Delete")) {
        ++creates_or_deletes;
        RUNNEL_TRY(std::string name, required_string(*d, "IndexName", "globalSecondaryIndexUpdates.member.delete.indexName"));
        const IndexInfo* i = current.find_index(name);
        if (!i || !i->global) return ApiError::resource_not_found("Requested resource not found: Index: " + name + " not found");
        u.delete_index = name;
      } else if (const JsonValue* up = member(gu, "Update")) {
        RUNNEL_TRY(std::string name, required_string(*up, "IndexName", "globalSecondaryIndexUpdates.member.update.indexName"));
        const IndexInfo* i = current.find_index(name);
        if (!i || !i->global) return ApiError::resource_not_found("Requested resource not found: Index: " + name + " not found");
        const JsonValue* pt = member(*up, "ProvisionedThroughput");
        if (!pt) return constraint_error("null", "globalSecondaryIndexUpdates.member.update.provisionedThroughput", "Member must not be null");
        RUNNEL_TRY(auto rw, decode_throughput(*pt, "globalSecondaryIndexUpdates.member.update.provisionedThroughput"));
        u.index_throughput.emplace_back(name, rw);
      } else {
        return invalid("One of GlobalSecondaryIndexUpdate.Create, Update, or Delete must be specified");
      }
    }
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
    if (creates_or_deletes > 1)
      return ApiError{"LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
                      400, true, "com.amazonaws.dynamodb.v20120810", {}};
  }
  if (const JsonValue* ss = member(body, "StreamSpecification")) {
    StreamChange s;
    RUNNEL_TRY(s.enabled, optional_bool(*ss, "StreamEnabled", false));
    RUNNEL_TRY(s.view_type, enum_param(*ss, "StreamViewType", "streamSpecification.streamViewType",
                                       {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"}, ""));
    if (s.enabled && s.view_type.empty()) return invalid("StreamViewType must be specified when StreamEnabled is true");
    u.stream = s;
  }
  if (const JsonValue* dp = member(body, "DeletionProtectionEnabled")) {
    if (!dp->IsBool()) return ApiError::serialization("DeletionProtectionEnabled must be a boolean");
    u.deletion_protection = dp->GetBool();
  }
  RUNNEL_TRY(auto table_class, optional_string(body, "TableClass"));
  if (table_class) {
    RUNNEL_TRY(std::string c, enum_param(body, "TableClass", "tableClass", {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}, ""));
    u.table_class = c;
  }
  if (!u.billing_mode && !u.throughput && !u.create_index && !u.delete_index && u.index_throughput.empty() && !u.stream &&
      !u.deletion_protection && !u.table_class && !member(body, "SSESpecification") && !member(body, "ReplicaUpdates"))
    return ApiError::validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
        "SSESpecification or ReplicaUpdates is required");
  return u;
}

Result<TableInfo> apply_table_update(const TableInfo& current, const TableUpdate& u) {
  TableInfo t = current;
  if (u.billing_mode) {
    if (*u.billing_mode == "PAY_PER_REQUEST" && t.billing_mode != "PAY_PER_REQUEST") {
      t.billing_mode_changed = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      t.read_capacity = t.write_capacity = 0;
      for (auto& i : t.global_indexes) i.read_capacity = i.write_capacity = 0;
    }
    t.billing_mode = *u.billing_mode;
  }
  if (u.throughput) {
    t.read_capacity = u.throughput->first;
    t.write_capacity = u.throughput->second;
  }
  for (const auto& [name, rw] : u.index_throughput)
    for (auto& i : t.global_indexes)
      if (i.name == name) {
        i.read_capacity = rw.first;
        i.write_capacity = rw.second;
      }
  if (u.create_index) {
    if (t.find_index(u.create_index->name)) return invalid("Index with name: " + u.create_index->name + " already exists");
    for (const auto& d : u.attribute_definitions) {
      bool seen = false;
      for (const auto& e : t.attribute_definitions) seen |= e.name == d.name;
      if (!seen) t.attribute_definitions.push_back(d);
    }
    t.global_indexes.push_back(*u.create_index);
  }
  if (u.delete_index) {
    std::erase_if(t.global_indexes, [&](const IndexInfo& i) { return i.name == *u.delete_index; });
    // Attribute definitions that no key uses any more are dropped, as DynamoDB does.
    std::erase_if(t.attribute_definitions, [&](const KeyAttribute& a) { return !t.is_key_attribute(a.name); });
  }
  if (u.stream) {
    if (u.stream->enabled && t.stream.enabled)
      return ApiError::validation("Table already has an enabled stream: TableName: " + t.name);
    if (!u.stream->enabled && !t.stream.enabled)
      return ApiError::validation("Table already has no stream enabled: TableName: " + t.name);
    t.stream.enabled = u.stream->enabled;
    if (u.stream->enabled) t.stream.view_type = u.stream->view_type;
  }
  if (u.deletion_protection) t.deletion_protection = *u.deletion_protection;
  if (u.table_class) t.table_class = *u.table_class;
  return t;
}

}  // namespace runnel::dynamodb
