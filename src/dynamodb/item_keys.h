// Where items and index entries live in storage, and how a request's key is validated.
//
// Layout (frozen on disk; golden bytes in item_keys_test.cc):
//   items family:   u64 table id | u16 partition hash | enc(partition key) [| enc(sort key)]
//   indexes family: u64 index id | u16 partition hash | enc(index partition key) [| enc(index sort key)]
//                   | enc(table partition key) [| enc(table sort key)]
// enc(S|B) is storage::append_escaped of the bytes, enc(N) is Decimal::encode_ordered; both are
// prefix-free and keep DynamoDB's order (S/B bytewise, N numerically), so a partition's items are
// contiguous and sorted by sort key. The 16-bit partition hash spreads partitions like DynamoDB's
// own hashing (Scan order is not key order) and gives parallel Scan its segments: segment s of T owns
// hashes [s*65536/T, (s+1)*65536/T).
#pragma once

#include <cstdint>
#include <string>

#include "common/attribute_value.h"
#include "common/result.h"
#include "dynamodb/table_schema.h"

namespace runnel::dynamodb {

// Values stored under a key: a format byte, then the item's canonical JSON.
inline constexpr char kItemFormatJson = '\x01';

uint16_t partition_hash(const AttributeValue& partition_key);
void append_key_value(std::string& out, const AttributeValue& v);

std::string table_prefix(uint64_t table_id);
std::string partition_prefix(uint64_t id, const AttributeValue& partition_key);
std::string item_key(const TableInfo& t, const AttributeMap& item);  // item must hold the key attrs
// Index entry key, or empty when the item lacks the index's key attributes (sparse index).
std::string index_entry_key(const TableInfo& t, const IndexInfo& index, const AttributeMap& item);

// Validates a Key parameter against the schema: exactly the key attributes, right types, non-empty.
// "The provided key element does not match the schema" as DynamoDB says it.
Status validate_key(const TableInfo& t, const AttributeMap& key);
// Validates an item for PutItem: has the table key attributes with the right types; index key
// attributes, when present, have the index's types; size <= 400 KB.
Status validate_item(const TableInfo& t, const AttributeMap& item);
// The key attributes of item (table keys only, or table + index keys when index is given).
AttributeMap extract_key(const TableInfo& t, const AttributeMap& item, const IndexInfo* index = nullptr);
// The attributes an index stores for an item, by its projection.
AttributeMap project_for_index(const TableInfo& t, const IndexInfo& index, const AttributeMap& item);

// Item size limit: 400 KB. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
inline constexpr size_t kMaxItemBytes = 409600;

}  // namespace runnel::dynamodb
