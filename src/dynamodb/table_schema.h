// TableInfo: a table's definition as stored in the catalog and rendered by DescribeTable.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/attribute_value.h"
#include "common/key_schema.h"
#include "common/result.h"
#include "ports/change_sink.h"

namespace runnel::dynamodb {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

struct IndexProjection {
  enum class Type { kAll, kKeysOnly, kInclude };
  Type type = Type::kAll;
  std::vector<std::string> non_key_attributes;
};

struct IndexInfo {
  std::string name;
  uint64_t id = 0;  // storage prefix of its entries; never reused
  bool global = true;
  KeySchema keys;
  IndexProjection projection;
  int64_t read_capacity = 0;
  int64_t write_capacity = 0;
};

using ports::StreamSettings;

// The table: what its stream needs (account, region, name, id, keys, stream settings: the change
// port's TableRef, so a change reaches Streams with no copy), and the rest of its definition.
struct TableInfo : ports::TableRef {
  std::string table_uuid;
  double creation_time = 0;
  std::vector<KeyAttribute> attribute_definitions;
  std::vector<IndexInfo> global_indexes;
  std::vector<IndexInfo> local_indexes;
  std::string billing_mode = "PROVISIONED";
  int64_t read_capacity = 0;
  int64_t write_capacity = 0;
  double billing_mode_changed = 0;  // LastUpdateToPayPerRequestDateTime
  std::string ttl_attribute;  // empty: TTL disabled
  bool ttl_enabled = false;
  double ttl_changed = 0;
  std::vector<std::pair<std::string, std::string>> tags;
  bool deletion_protection = false;
  std::string table_class = "STANDARD";

  std::string arn() const;
  std::string index_arn(const IndexInfo& index) const;
  std::string stream_arn() const;
  const IndexInfo* find_index(std::string_view index_name) const;
  // Names of every key attribute of the table and its indexes.
  bool is_key_attribute(std::string_view attr) const;
};

// Catalog persistence: our own JSON, versioned by its "v" member.
std::string encode_table_info(const TableInfo& t);
Result<TableInfo> decode_table_info(std::string_view json);

// DescribeTable's TableDescription. item_count/size_bytes come from the live counters.
void write_table_description(JsonWriter& w, const TableInfo& t, std::string_view status, int64_t item_count,
                             int64_t size_bytes);

}  // namespace runnel::dynamodb
