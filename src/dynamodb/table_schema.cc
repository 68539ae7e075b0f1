#include "dynamodb/table_schema.h"

#include "common/json_parse.h"

#include <cmath>

#include <fmt/format.h>

#include "storage/record_codec.h"

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

// --- the stored form (storage/record_codec.h) ---
const storage::RecordCodec<KeyAttribute>& key_attribute_codec() {
  static const auto codec =
      storage::RecordCodec<KeyAttribute>().field("n", &KeyAttribute::name).field("t", &KeyAttribute::type);
  return codec;
}

// A key schema sits flat in its table's or index's object: "hash", and "range" when there is one.
const storage::RecordCodec<KeySchema>& key_schema_codec() {
  static const auto codec = storage::RecordCodec<KeySchema>()
                                .object("hash", &KeySchema::hash, key_attribute_codec())
                                .object("range", &KeySchema::range, key_attribute_codec());
  return codec;
}

const storage::RecordCodec<IndexProjection>& projection_codec() {
  static const auto codec = storage::RecordCodec<IndexProjection>()
                                .field("ptype", &IndexProjection::type)
                                .field("nonkey", &IndexProjection::non_key_attributes);
  return codec;
}

const storage::RecordCodec<IndexInfo>& index_codec() {
  static const auto codec = storage::RecordCodec<IndexInfo>()
                                .field("name", &IndexInfo::name)
                                .field("id", &IndexInfo::id)
                                .field("global", &IndexInfo::global, true)
                                .flatten(&IndexInfo::keys, key_schema_codec())
                                .flatten(&IndexInfo::projection, projection_codec())
                                .field("rcu", &IndexInfo::read_capacity)
                                .field("wcu", &IndexInfo::write_capacity);
  return codec;
}

const storage::RecordCodec<StreamSettings>& stream_settings_codec() {
  static const auto codec = storage::RecordCodec<StreamSettings>()
                                .field("stream_enabled", &StreamSettings::enabled)
                                .field("stream_view", &StreamSettings::view_type)
                                .field("stream_label", &StreamSettings::label);
  return codec;
}

const storage::RecordCodec<TableInfo>& table_codec() {
  static const auto codec = storage::RecordCodec<TableInfo>(1)
                                .field("account", &TableInfo::account)
                                .field("region", &TableInfo::region)
                                .field("name", &TableInfo::name)
                                .field("uuid", &TableInfo::table_uuid)
                                .field("id", &TableInfo::id)
                                .field("created", &TableInfo::creation_time)
                                .flatten(&TableInfo::keys, key_schema_codec())
                                .list("attrs", &TableInfo::attribute_definitions, key_attribute_codec())
                                .list("gsi", &TableInfo::global_indexes, index_codec())
                                .list("lsi", &TableInfo::local_indexes, index_codec())
                                .field("billing", &TableInfo::billing_mode, "PROVISIONED")
                                .field("rcu", &TableInfo::read_capacity)
                                .field("wcu", &TableInfo::write_capacity)
                                .field("billing_changed", &TableInfo::billing_mode_changed)
                                .flatten(&TableInfo::stream, stream_settings_codec())
                                .field("ttl_attr", &TableInfo::ttl_attribute)
                                .field("ttl_enabled", &TableInfo::ttl_enabled)
                                .field("ttl_changed", &TableInfo::ttl_changed)
                                .field("tags", &TableInfo::tags)
                                .field("deletion_protection", &TableInfo::deletion_protection)
                                .field("class", &TableInfo::table_class, "STANDARD");
  return codec;
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

std::string encode_table_info(const TableInfo& t) { return table_codec().encode(t); }

Result<TableInfo> decode_table_info(std::string_view json) {
  auto t = table_codec().decode(json);
  if (!t) return ApiError::internal("corrupt or unknown table catalog entry");
  bool keyed = !t->keys.hash.name.empty();
  for (const auto* list : {&t->global_indexes, &t->local_indexes})
    for (const auto& i : *list) keyed = keyed && !i.keys.hash.name.empty();
  if (!keyed) return ApiError::internal("corrupt or unknown table catalog entry");
  return std::move(*t);
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
