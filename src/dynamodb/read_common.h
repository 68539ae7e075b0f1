// Pieces shared by the read operations (GetItem, BatchGetItem, TransactGetItems in item_read_ops.cc;
// Query and Scan in query_scan.cc): the projection parameters, point reads of committed storage,
// rendering a stored item without re-encoding it, and read-side ConsumedCapacity.
//
// Reads never go through the storage writer: they see committed data only, which is what DynamoDB
// promises for ConsistentRead=true (and more than it promises for eventual reads).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dynamodb/request_util.h"
#include "storage/engine.h"

namespace runnel::dynamodb {

// --- request decoding --------------------------------------------------------------------------

// ProjectionExpression, or the legacy AttributesToGet; nullopt when neither is given. The caller has
// already run expr::check_expression_mix, so at most one is present.
Result<std::optional<expr::Projection>> decode_read_projection(const JsonValue& obj, Placeholders& p);

// "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a"
// for a document path that reaches inside a table (Key) or index (IndexKey) key attribute.
Status check_key_paths(const TableInfo& t, const std::vector<const expr::Path*>& paths);
std::vector<const expr::Path*> path_pointers(const std::vector<expr::Path>& paths);

// Every document path a condition reads (filters: for the key-attribute and index-projection checks).
std::vector<const expr::Path*> condition_paths(const expr::Condition& c);

// Resolves a table named by a map key (BatchGetItem's RequestItems) like resolve_table does TableName.
Result<std::shared_ptr<const TableInfo>> resolve_table_named(Env& env, const protocol::RequestContext& ctx,
                                                             std::string_view name);

// --- storage -----------------------------------------------------------------------------------

// Point read of committed data into `out` (pinned: no copy of the value), through `snapshot` when
// one is given (TransactGetItems, an LSI query's item fetches: storage::Snapshot). False when absent.
Result<bool> read_stored(Env& env, storage::Family family, std::string_view key, const storage::Snapshot* snapshot,
                         storage::PinnedValue& out);

// The canonical item JSON of a stored value (after its format byte); error when the value is not in
// a format this build reads.
Result<std::string_view> stored_json(std::string_view stored);

// Parses stored item JSON into `doc` (a DOM, far cheaper than an AttributeMap). With a buffer, the
// JSON is copied into it and parsed in place (strings are not copied again); the DOM then points
// into the buffer, which must outlive it.
Status parse_stored_json(std::string_view json, rapidjson::Document& doc, std::string* insitu_buffer = nullptr);

// A Document whose first allocations live in a buffer inside it: a default Document takes a 64 KB
// heap chunk per parse, which costs more than parsing a typical item.
class ScratchDocument {
 public:
  ScratchDocument() = default;
  ScratchDocument(const ScratchDocument&) = delete;
  ScratchDocument& operator=(const ScratchDocument&) = delete;
  rapidjson::Document& doc() { return doc_; }

 private:
  char buffer_[4096];
  rapidjson::MemoryPoolAllocator<> pool_{buffer_, sizeof buffer_};
  rapidjson::Document doc_{&pool_};
};

// DynamoDB's item size (aws-reference.md 1.4) computed from the stored JSON DOM, so that reads can
// charge capacity and apply Query/Scan's 1 MB rule without building an AttributeMap.
size_t stored_item_size(const rapidjson::Value& item);

// The named key attributes of a stored item DOM (attributes missing from it are skipped).
AttributeMap key_from_json(const rapidjson::Value& item, const std::vector<const KeyAttribute*>& keys);
// One attribute of a stored item DOM; nullopt when absent.
std::optional<AttributeValue> attribute_from_json(const rapidjson::Value& item, const std::string& name);

// Writes one stored item: spliced as raw JSON when there is no projection (no decode, no re-encode),
// or decoded and projected. Sets *size (when non-null) to the item's DynamoDB size.
Status write_stored_item(Writer& w, std::string_view json, const expr::Projection* projection, size_t* size);

// --- capacity ----------------------------------------------------------------------------------

// One read ConsumedCapacity object. Reads through an index charge the index (INDEXES mode lists it
// under GlobalSecondaryIndexes / LocalSecondaryIndexes and the table at 0).
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ConsumedCapacity.html
void write_read_capacity(Writer& w, CapacityMode mode, const TableInfo& t, const IndexInfo* index, double units);

// DynamoDB's response cap for BatchGetItem; the rest goes back in UnprocessedKeys.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
inline constexpr size_t kMaxBatchGetResponseBytes = 16u * 1024 * 1024;

}  // namespace runnel::dynamodb
