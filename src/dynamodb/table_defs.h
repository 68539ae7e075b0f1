// Decoding and validation of table definitions (CreateTable) and their changes (UpdateTable), with
// DynamoDB's error messages. Pure functions over TableInfo: no storage.
#pragma once

#include <optional>
#include <string>

#include "dynamodb/request_util.h"
#include "dynamodb/table_schema.h"

namespace runnel::dynamodb {

// Fills keys, attribute definitions, indexes, billing, stream, tags, class and deletion protection.
Status decode_table_definition(const JsonValue& body, TableInfo& t);

struct StreamChange {
  bool enabled = false;
  std::string view_type;
};

struct TableUpdate {
  std::vector<KeyAttribute> attribute_definitions;
  std::optional<std::string> billing_mode;
  std::optional<std::pair<int64_t, int64_t>> throughput;
  std::optional<IndexInfo> create_index;  // a GSI; its id is allocated by the writer
  std::optional<std::string> delete_index;
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> index_throughput;
  std::optional<StreamChange> stream;
  std::optional<bool> deletion_protection;
  std::optional<std::string> table_class;
};

Result<TableUpdate> decode_table_update(const JsonValue& body, const TableInfo& current);
// The table after the update, validated against the definition current at commit time.
Result<TableInfo> apply_table_update(const TableInfo& current, const TableUpdate& update);

// LatestStreamLabel for a stream enabled now: an ISO-8601 timestamp with milliseconds.
std::string new_stream_label();

}  // namespace runnel::dynamodb
