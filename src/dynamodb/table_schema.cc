#include "dynamodb/table_schema.h"

#include "common/json_parse.h"

#include <cmath>

#include <fmt/format.h>

namespace runnel::dynamodb {

namespace {

void key_string(JsonWriter& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

const char* projection_type_name(IndexProjection::Type t) {
  switch (t) {
    case IndexProjection::Type::kAll: return "ALL";
    case IndexProjection::Type::kKeysOnly: return "KEYS_ONLY";
    case IndexProjection::Type::kInclude: return "INCLUDE";
  }
  return "ALL";
}

void write_key_schema(JsonWriter& w, const KeySchema& k) {
  w.Key("KeySchema");
  w.StartArray();
  w.StartObject();
  key_string(w, "AttributeName", k.hash.name);
  key_string(w, "KeyType", "HASH");
  w.EndObject();
  if (k.range) {
    w.StartObject();
    key_string(w, "AttributeName", k.range->name);
    key_string(w, "KeyType", "RANGE");
    w.EndObject();
  }
  w.EndArray();
}

void write_projection(JsonWriter& w, const IndexProjection& p) {
  w.Key("Projection");
  w.StartObject();
  key_string(w, "ProjectionType", projection_type_name(p.type));
  if (p.type == IndexProjection::Type::kInclude) {
    w.Key("NonKeyAttributes");
    w.StartArray();
    for (const auto& n : p.non_key_attributes) w.String(n.c_str());
    w.EndArray();
  }
  w.EndObject();
}

void write_throughput(JsonWriter& w, int64_t rcu, int64_t wcu) {
  w.Key("ProvisionedThroughput");
  w.StartObject();
  w.Key("NumberOfDecreasesToday");
  w.Int(0);
  w.Key("ReadCapacityUnits");
  w.Int64(rcu);
  w.Key("WriteCapacityUnits");
  w.Int64(wcu);
  w.EndObject();
}

// --- persistence helpers ---
Result<KeyAttribute> read_key_attr(const rapidjson::Value& v) {
  if (!v.IsObject() || !v.HasMember("n") || !v.HasMember("t")) return ApiError::internal("corrupt catalog key");
  return KeyAttribute{v["n"].GetString(), static_cast<AttrType>(v["t"].GetInt())};
}

void write_key_attr(JsonWriter& w, const KeyAttribute& k) {
  w.StartObject();
  key_string(w, "n", k.name);
  w.Key("t");
  w.Int(static_cast<int>(k.type));
  w.EndObject();
}

void write_stored_keys(JsonWriter& w, const KeySchema& k) {
  w.Key("hash");
  write_key_attr(w, k.hash);
  if (k.range) {
    w.Key("range");
    write_key_attr(w, *k.range);
  }
}

Result<KeySchema> read_stored_keys(const rapidjson::Value& v) {
  KeySchema k;
  RUNNEL_TRY(k.hash, read_key_attr(v["hash"]));
  if (v.HasMember("range")) {
    RUNNEL_TRY(KeyAttribute r, read_key_attr(v["range"]));
    k.range = r;
  }
  return k;
}

void write_stored_index(JsonWriter& w, const IndexInfo& i) {
  w.StartObject();
  key_string(w, "name", i.name);
  w.Key("id");
  w.Uint64(i.id);
  w.Key("global");
  w.Bool(i.global);
  write_stored_keys(w, i.keys);
  w.Key("ptype");
  w.Int(static_cast<int>(i.projection.type));
  w.Key("nonkey");
  w.StartArray();
  for (const auto& n : i.projection.non_key_attributes) w.String(n.c_str());
  w.EndArray();
  w.Key("rcu");
  w.Int64(i.read_capacity);
  w.Key("wcu");
  w.Int64(i.write_capacity);
  w.EndObject();
}

Result<IndexInfo> read_stored_index(const rapidjson::Value& v) {
  IndexInfo i;
  i.name = v["name"].GetString();
  i.id = v["id"].GetUint64();
  i.global = v["global"].GetBool();
  RUNNEL_TRY(i.keys, read_stored_keys(v));
  i.projection.type = static_cast<IndexProjection::Type>(v["ptype"].GetInt());
  for (const auto& n : v["nonkey"].GetArray()) i.projection.non_key_attributes.emplace_back(n.GetString());
  i.read_capacity = v["rcu"].GetInt64();
  i.write_capacity = v["wcu"].GetInt64();
  return i;
}

// One entry of LocalSecondaryIndexes / GlobalSecondaryIndexes; GSIs add status and throughput.
void write_index_description(JsonWriter& w, const TableInfo& t, const IndexInfo& i) {
  w.StartObject();
  key_string(w, "IndexName", i.name);
  write_key_schema(w, i.keys);
  write_projection(w, i.projection);
  if (i.global) {
    key_string(w, "IndexStatus", "ACTIVE");
    write_throughput(w, i.read_capacity, i.write_capacity);
  }
  w.Key("IndexSizeBytes");
  w.Int64(0);
  w.Key("ItemCount");
  w.Int64(0);
  key_string(w, "IndexArn", t.index_arn(i));
  w.EndObject();
}

}  // namespace

std::string TableInfo::arn() const { return fmt::format("arn:aws:dynamodb:{}:{}:table/{}", region, account, name); }

std::string TableInfo::index_arn(const IndexInfo& index) const { return arn() + "/index/" + index.name; }

std::string TableInfo::stream_arn() const { return arn() + "/stream/" + stream.label; }

const IndexInfo* TableInfo::find_index(std::string_view index_name) const {
  for (const auto& i : global_indexes)
    if (i.name == index_name) return &i;
  for (const auto& i : local_indexes)
    if (i.name == index_name) return &i;
  return nullptr;
}

bool TableInfo::is_key_attribute(std::string_view attr) const {
  auto in = [&](const KeySchema& k) { return k.hash.name == attr || (k.range && k.range->name == attr); };
  if (in(keys)) return true;
  for (const auto& i : global_indexes)
    if (in(i.keys)) return true;
  for (const auto& i : local_indexes)
    if (in(i.keys)) return true;
  return false;
}

std::string encode_table_info(const TableInfo& t) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  key_string(w, "account", t.account);
  key_string(w, "region", t.region);
  key_string(w, "name", t.name);
  key_string(w, "uuid", t.table_uuid);
  w.Key("id");
  w.Uint64(t.id);
  w.Key("created");
  w.Double(t.creation_time);
  write_stored_keys(w, t.keys);
  w.Key("attrs");
  w.StartArray();
  for (const auto& a : t.attribute_definitions) write_key_attr(w, a);
  w.EndArray();
  w.Key("gsi");
  w.StartArray();
  for (const auto& i : t.global_indexes) write_stored_index(w, i);
  w.EndArray();
  w.Key("lsi");
  w.StartArray();
  for (const auto& i : t.local_indexes) write_stored_index(w, i);
  w.EndArray();
  key_string(w, "billing", t.billing_mode);
  w.Key("rcu");
  w.Int64(t.read_capacity);
  w.Key("wcu");
  w.Int64(t.write_capacity);
  w.Key("billing_changed");
  w.Double(t.billing_mode_changed);
  w.Key("stream_enabled");
  w.Bool(t.stream.enabled);
  key_string(w, "stream_view", t.stream.view_type);
  key_string(w, "stream_label", t.stream.label);
  key_string(w, "ttl_attr", t.ttl_attribute);
  w.Key("ttl_enabled");
  w.Bool(t.ttl_enabled);
  w.Key("ttl_changed");
  w.Double(t.ttl_changed);
  w.Key("tags");
  w.StartArray();
  for (const auto& [k, v] : t.tags) {
    w.StartArray();
    w.String(k.c_str());
    w.String(v.c_str());
    w.EndArray();
  }
  w.EndArray();
  w.Key("deletion_protection");
  w.Bool(t.deletion_protection);
  key_string(w, "class", t.table_class);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Result<TableInfo> decode_table_info(std::string_view json) {
  rapidjson::Document d;
  json::parse(d, json);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("v") || d["v"].GetInt() != 1)
    return ApiError::internal("corrupt or unknown table catalog entry");
  TableInfo t;
  t.account = d["account"].GetString();
  t.region = d["region"].GetString();
  t.name = d["name"].GetString();
  t.table_uuid = d["uuid"].GetString();
  t.id = d["id"].GetUint64();
  t.creation_time = d["created"].GetDouble();
  RUNNEL_TRY(t.keys, read_stored_keys(d));
  for (const auto& a : d["attrs"].GetArray()) {
    RUNNEL_TRY(KeyAttribute k, read_key_attr(a));
    t.attribute_definitions.push_back(k);
  }
  for (const auto& i : d["gsi"].GetArray()) {
    RUNNEL_TRY(IndexInfo idx, read_stored_index(i));
    t.global_indexes.push_back(std::move(idx));
  }
  for (const auto& i : d["lsi"].GetArray()) {
    RUNNEL_TRY(IndexInfo idx, read_stored_index(i));
    t.local_indexes.push_back(std::move(idx));
  }
  t.billing_mode = d["billing"].GetString();
  t.read_capacity = d["rcu"].GetInt64();
  t.write_capacity = d["wcu"].GetInt64();
  t.billing_mode_changed = d["billing_changed"].GetDouble();
  t.stream.enabled = d["stream_enabled"].GetBool();
  t.stream.view_type = d["stream_view"].GetString();
  t.stream.label = d["stream_label"].GetString();
  t.ttl_attribute = d["ttl_attr"].GetString();
  t.ttl_enabled = d["ttl_enabled"].GetBool();
  t.ttl_changed = d["ttl_changed"].GetDouble();
  for (const auto& kv : d["tags"].GetArray()) t.tags.emplace_back(kv[0].GetString(), kv[1].GetString());
  t.deletion_protection = d["deletion_protection"].GetBool();
  t.table_class = d["class"].GetString();
  return t;
}

void write_table_description(JsonWriter& w, const TableInfo& t, std::string_view status, int64_t item_count,
                             int64_t size_bytes) {
  w.StartObject();
  w.Key("AttributeDefinitions");
  w.StartArray();
  for (const auto& a : t.attribute_definitions) {
    w.StartObject();
    key_string(w, "AttributeName", a.name);
    key_string(w, "AttributeType", attr_type_name(a.type));
    w.EndObject();
  }
  w.EndArray();
  key_string(w, "TableName", t.name);
  write_key_schema(w, t.keys);
  key_string(w, "TableStatus", status);
  w.Key("CreationDateTime");
  w.Double(t.creation_time);
  write_throughput(w, t.read_capacity, t.write_capacity);
  w.Key("TableSizeBytes");
  w.Int64(size_bytes);
  w.Key("ItemCount");
  w.Int64(item_count);
  key_string(w, "TableArn", t.arn());
  key_string(w, "TableId", t.table_uuid);
  w.Key("BillingModeSummary");
  w.StartObject();
  key_string(w, "BillingMode", t.billing_mode);
  if (t.billing_mode_changed > 0) {
    w.Key("LastUpdateToPayPerRequestDateTime");
    w.Double(t.billing_mode_changed);
  }
  w.EndObject();
  for (const auto* list : {&t.local_indexes, &t.global_indexes}) {
    if (list->empty()) continue;
    w.Key(list == &t.local_indexes ? "LocalSecondaryIndexes" : "GlobalSecondaryIndexes");
    w.StartArray();
    for (const auto& i : *list) write_index_description(w, t, i);
    w.EndArray();
  }
  if (t.stream.enabled || !t.stream.label.empty()) {
    w.Key("StreamSpecification");
    w.StartObject();
    w.Key("StreamEnabled");
    w.Bool(t.stream.enabled);
    if (t.stream.enabled) key_string(w, "StreamViewType", t.stream.view_type);
    w.EndObject();
    if (!t.stream.label.empty()) {
      key_string(w, "LatestStreamLabel", t.stream.label);
      key_string(w, "LatestStreamArn", t.stream_arn());
    }
  }
  if (t.table_class != "STANDARD") {
    w.Key("TableClassSummary");
    w.StartObject();
    key_string(w, "TableClass", t.table_class);
    w.EndObject();
  }
  w.Key("DeletionProtectionEnabled");
  w.Bool(t.deletion_protection);
  w.EndObject();
}

}  // namespace runnel::dynamodb
