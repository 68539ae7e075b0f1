#include "dynamodb/item_keys.h"

#include "common/decimal.h"
#include "storage/key_codec.h"

namespace runnel::dynamodb {

uint16_t partition_hash(const AttributeValue& pk) {
  // FNV-1a 64 over the type tag and the value bytes, top 16 bits. Frozen on disk.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  mix(static_cast<unsigned char>(pk.type));
  for (char c : pk.scalar) mix(static_cast<unsigned char>(c));
  return static_cast<uint16_t>(h >> 48);
}

void append_key_value(std::string& out, const AttributeValue& v) {
  if (v.type == AttrType::N) {
    auto d = Decimal::parse(v.scalar);
    if (d.ok()) {
      d->encode_ordered(out);
      return;
    }
  }
  storage::append_escaped(out, v.scalar);
}

std::string table_prefix(uint64_t table_id) {
  std::string k;
  storage::append_u64(k, table_id);
  return k;
}

std::string partition_prefix(uint64_t id, const AttributeValue& pk) {
  std::string k;
  k.reserve(48);
  storage::append_u64(k, id);
  storage::append_u16(k, partition_hash(pk));
  append_key_value(k, pk);
  return k;
}

std::string item_key(const TableInfo& t, const AttributeMap& item) {
  const auto& pk = item.find(t.keys.hash.name)->second;
  std::string k = partition_prefix(t.id, pk);
  if (t.keys.range) append_key_value(k, item.find(t.keys.range->name)->second);
  return k;
}

std::string index_entry_key(const TableInfo& t, const IndexInfo& index, const AttributeMap& item) {
  auto ih = item.find(index.keys.hash.name);
  if (ih == item.end() || ih->second.type != index.keys.hash.type) return {};
  const AttributeValue* ir = nullptr;
  if (index.keys.range) {
    auto it = item.find(index.keys.range->name);
    if (it == item.end() || it->second.type != index.keys.range->type) return {};
    ir = &it->second;
  }
  std::string k = partition_prefix(index.id, ih->second);
  if (ir) append_key_value(k, *ir);
  append_key_value(k, item.find(t.keys.hash.name)->second);
  if (t.keys.range) append_key_value(k, item.find(t.keys.range->name)->second);
  return k;
}

namespace {
ApiError key_mismatch() { return ApiError::validation("The provided key element does not match the schema"); }

Status check_key_value(const KeyAttribute& k, const AttributeValue& v, bool for_key_param) {
  if (v.type != k.type) {
    if (for_key_param) return key_mismatch();
    return ApiError::validation(std::string("One or more parameter values were invalid: Type mismatch for key ") +
                                k.name + " expected: " + attr_type_name(k.type) + " actual: " + attr_type_name(v.type));
  }
  if (v.scalar.empty() && v.type != AttrType::N) {
    return ApiError::validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
        "empty " + std::string(v.type == AttrType::S ? "string" : "binary") + " value. Key: " + k.name);
  }
  return ok_status();
}

Status check_key_sizes(const TableInfo& t, const AttributeMap& m) {
  // Partition key <= 2048 bytes, sort key <= 1024 bytes.
  auto pk = m.find(t.keys.hash.name);
  if (pk != m.end() && pk->second.scalar.size() > 2048)
    return ApiError::validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes");
  if (t.keys.range) {
    auto sk = m.find(t.keys.range->name);
    if (sk != m.end() && sk->second.scalar.size() > 1024)
      return ApiError::validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
  }
  return ok_status();
}
}  // namespace

Status validate_key(const TableInfo& t, const AttributeMap& key) {
  size_t expected = t.keys.range ? 2 : 1;
  if (key.size() != expected) return key_mismatch();
  auto h = key.find(t.keys.hash.name);
  if (h == key.end()) return key_mismatch();
  RUNNEL_CHECK(check_key_value(t.keys.hash, h->second, true));
  if (t.keys.range) {
    auto r = key.find(t.keys.range->name);
    if (r == key.end()) return key_mismatch();
    RUNNEL_CHECK(check_key_value(*t.keys.range, r->second, true));
  }
  return check_key_sizes(t, key);
}

Status validate_item(const TableInfo& t, const AttributeMap& item) {
  auto need = [&](const KeyAttribute& k) -> Status {
    auto it = item.find(k.name);
    if (it == item.end())
      return ApiError::validation("One or more parameter values were invalid: Missing the key " + k.name + " in the item");
    return check_key_value(k, it->second, false);
  };
  RUNNEL_CHECK(need(t.keys.hash));
  if (t.keys.range) RUNNEL_CHECK(need(*t.keys.range));
  // Index key attributes are optional (sparse indexes) but must have the declared type when present.
  auto check_index = [&](const IndexInfo& idx) -> Status {
    for (const KeyAttribute* k : {&idx.keys.hash, idx.keys.range ? &*idx.keys.range : nullptr}) {
      if (!k) continue;
      auto it = item.find(k->name);
      if (it == item.end()) continue;
      if (it->second.type != k->type)
        return ApiError::validation("One or more parameter values were invalid: Type mismatch for Index Key " + k->name +
                                    " Expected: " + attr_type_name(k->type) + " Actual: " + attr_type_name(it->second.type) +
                                    " IndexName: " + idx.name);
      if (it->second.scalar.empty() && k->type != AttrType::N)
        return ApiError::validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: " +
                                    idx.name + ", IndexKey: " + k->name);
    }
    return ok_status();
  };
  for (const auto& i : t.global_indexes) RUNNEL_CHECK(check_index(i));
  for (const auto& i : t.local_indexes) RUNNEL_CHECK(check_index(i));
  RUNNEL_CHECK(check_key_sizes(t, item));
  if (item_size(item) > kMaxItemBytes) return ApiError::validation("Item size has exceeded the maximum allowed size");
  return ok_status();
}

AttributeMap extract_key(const TableInfo& t, const AttributeMap& item, const IndexInfo* index) {
  AttributeMap key;
  auto take = [&](const std::string& name) {
    auto it = item.find(name);
    if (it != item.end()) key.insert_or_assign(name, it->second);
  };
  take(t.keys.hash.name);
  if (t.keys.range) take(t.keys.range->name);
  if (index) {
    take(index->keys.hash.name);
    if (index->keys.range) take(index->keys.range->name);
  }
  return key;
}

AttributeMap project_for_index(const TableInfo& t, const IndexInfo& index, const AttributeMap& item) {
  if (index.projection.type == IndexProjection::Type::kAll) return item;
  AttributeMap out = extract_key(t, item, &index);
  if (index.projection.type == IndexProjection::Type::kInclude) {
    for (const auto& name : index.projection.non_key_attributes) {
      auto it = item.find(name);
      if (it != item.end()) out.insert_or_assign(name, it->second);
    }
  }
  return out;
}

}  // namespace runnel::dynamodb
