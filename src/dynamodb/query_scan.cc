// Query and Scan, on a table or on one of its indexes.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html
//
// Both read one contiguous key range of the storage layout in item_keys.h: a Query the range of
// one partition that its sort-key condition allows, a Scan the partition-hash range of its segment.
// A page stops at Limit items evaluated or at 1 MB of items read, both counted before the filter,
// and then returns LastEvaluatedKey (even when nothing follows, as DynamoDB does).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
#include <algorithm>
#include <cstdint>
#include <set>

#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"
#include "dynamodb/read_common.h"
#include "storage/key_codec.h"

namespace runnel::dynamodb {

namespace {

constexpr size_t kMaxPageBytes = 1024 * 1024;
constexpr int64_t kMaxTotalSegments = 1000000;

enum class Select { kAll, kAllProjected, kSpecific, kCount };

// Everything Query and Scan share once decoded and validated.
struct ReadPlan {
  std::shared_ptr<const TableInfo> table;
  const IndexInfo* index = nullptr;  // points into *table
  std::unique_ptr<Placeholders> placeholders;
  std::optional<expr::Condition> filter;
  std::optional<expr::Projection> projection;
  Select select = Select::kAll;
  // An LSI query that needs attributes the index does not store reads them from the table.
  bool fetch_from_table = false;
  int64_t limit = 0;  // 0: none
  bool consistent = false;
  CapacityMode capacity = CapacityMode::kNone;
  std::optional<AttributeMap> start_key;  // ExclusiveStartKey
  // LastEvaluatedKey's attributes: the table key, then the index key.
  std::vector<const KeyAttribute*> key_attributes;

  const KeySchema& keys() const { return index ? index->keys : table->keys; }
  uint64_t storage_id() const { return index ? index->id : table->id; }
  storage::Family family() const { return index ? storage::Family::kIndexes : storage::Family::kItems; }
  std::string storage_key(const AttributeMap& key) const {
    return index ? index_entry_key(*table, *index, key) : item_key(*table, key);
  }
};

struct KeyRange {
  std::string lo, hi;  // [lo, hi)
};

// --- scalar parameters -----------------------------------------------------------------------

// An integer parameter with its model bounds, e.g. Limit >= 1. nullopt when absent.
Result<std::optional<int64_t>> bounded_int(const JsonValue& body, std::string_view name, std::string_view wire_path,
                                           int64_t min, int64_t max) {
  const JsonValue* v = member(body, name);
  if (!v) return std::optional<int64_t>();
  if (!v->IsNumber()) return ApiError::serialization("Unexpected type for " + std::string(name) + ": expected a number");
  double d = v->GetDouble();
  int64_t n = v->IsInt64() ? v->GetInt64() : static_cast<int64_t>(std::clamp(d, -9e18, 9e18));
  if (n < min)
    return constraint_error("'" + std::to_string(n) + "'", wire_path,
                            "Member must have value greater than or equal to " + std::to_string(min));
  if (n > max)
    return constraint_error("'" + std::to_string(n) + "'", wire_path,
                            "Member must have value less than or equal to " + std::to_string(max));
  return std::optional<int64_t>(n);
}

// Select against the projection parameters, in the order DynamoDB checks them.
Result<Select> decode_select(const JsonValue& body, bool has_projection, bool has_index) {
  RUNNEL_TRY(std::string s, enum_param(body, "Select", "select",
                                       {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"}, ""));
  if (has_projection && !s.empty() && s != "SPECIFIC_ATTRIBUTES") {
    std::string param = member(body, "ProjectionExpression") ? "ProjectionExpression" : "AttributesToGet";
    return ApiError::validation("Cannot specify the " + param + " when choosing to get " +
                                (s == "COUNT" ? std::string("only the Count") : s));
  }
  if (s == "SPECIFIC_ATTRIBUTES" && !has_projection)
    return ApiError::validation("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES");
  if (s == "ALL_PROJECTED_ATTRIBUTES" && !has_index)
    return ApiError::validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  if (s == "COUNT") return Select::kCount;
  if (s == "ALL_ATTRIBUTES") return Select::kAll;
  if (s == "ALL_PROJECTED_ATTRIBUTES") return Select::kAllProjected;
  if (has_projection) return Select::kSpecific;
  return has_index ? Select::kAllProjected : Select::kAll;
}

// --- index projections -----------------------------------------------------------------------

bool index_stores(const TableInfo& t, const IndexInfo& i, std::string_view name) {
  if (i.projection.type == IndexProjection::Type::kAll) return true;
  auto is = [&](const KeySchema& k) { return k.hash.name == name || (k.range && k.range->name == name); };
  if (is(t.keys) || is(i.keys)) return true;
  const auto& extra = i.projection.non_key_attributes;
  return std::find(extra.begin(), extra.end(), name) != extra.end();
}

std::string unprojected(const ReadPlan& plan, const std::vector<const expr::Path*>& paths) {
  std::set<std::string> missing;
  for (const expr::Path* p : paths)
    if (!index_stores(*plan.table, *plan.index, (*p)[0].name)) missing.insert((*p)[0].name);
  std::string out;
  for (const auto& m : missing) out += (out.empty() ? "" : ", ") + m;
  return out;
}

// A GSI serves only what it stores; an LSI fetches the rest from the table.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LSI.html#LSI.Projections
Status plan_index_projection(ReadPlan& plan) {
  if (!plan.index || plan.index->projection.type == IndexProjection::Type::kAll) return ok_status();
  const IndexInfo& i = *plan.index;
  if (plan.select == Select::kAll) {
    if (i.global)
      return ApiError::validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported "
                                  "for global secondary index " + i.name + " because its projection type is not ALL");
    plan.fetch_from_table = true;
  }
  if (plan.projection) {
    std::string missing = unprojected(plan, path_pointers(plan.projection->paths));
    if (!missing.empty()) {
      if (i.global)
        return ApiError::validation("One or more parameter values were invalid: Global secondary index " + i.name +
                                    " does not project [" + missing + "]");
      plan.fetch_from_table = true;
    }
  }
  if (plan.filter) {
    std::string missing = unprojected(plan, condition_paths(*plan.filter));
    if (!missing.empty()) {
      if (i.global)
        return ApiError::validation("One or more parameter values were invalid: Secondary index " + i.name +
                                    " does not project one or more filter attributes: [" + missing + "]");
      plan.fetch_from_table = true;
    }
  }
  return ok_status();
}

// --- shared decoding -------------------------------------------------------------------------

Status resolve_index(ReadPlan& plan, const JsonValue& body) {
  RUNNEL_TRY(auto name, optional_string(body, "IndexName"));
  plan.key_attributes = {&plan.table->keys.hash};
  if (plan.table->keys.range) plan.key_attributes.push_back(&*plan.table->keys.range);
  if (!name) return ok_status();
  plan.index = plan.table->find_index(*name);
  if (!plan.index) return ApiError::validation("The table does not have the specified index: " + *name);
  if (plan.index->global && plan.consistent)
    return ApiError::validation("Consistent reads are not supported on global secondary indexes");
  for (const KeyAttribute* k : {&plan.index->keys.hash, plan.index->keys.range ? &*plan.index->keys.range : nullptr}) {
    if (!k) continue;
    bool known = std::any_of(plan.key_attributes.begin(), plan.key_attributes.end(),
                             [&](const KeyAttribute* a) { return a->name == k->name; });
    if (!known) plan.key_attributes.push_back(k);
  }
  return ok_status();
}

// Everything but the key condition. The caller runs check_all_used() once its own expressions
// are parsed. `legacy_filter` is QueryFilter or ScanFilter.
Result<ReadPlan> decode_plan(Env& env, const protocol::RequestContext& ctx, const JsonValue& body,
                             const char* legacy_filter) {
  ReadPlan plan;
  RUNNEL_TRY(auto limit, bounded_int(body, "Limit", "limit", 1, INT64_MAX));
  plan.limit = limit.value_or(0);
  RUNNEL_TRY(plan.consistent, optional_bool(body, "ConsistentRead", false));
  RUNNEL_TRY(plan.capacity, capacity_mode(body));
  RUNNEL_TRY(auto index_name, optional_string(body, "IndexName"));
  if (index_name) RUNNEL_CHECK(validate_name(*index_name, "indexName"));
  RUNNEL_TRY(plan.placeholders, decode_placeholders(body));
  RUNNEL_TRY(auto filter_text, optional_string(body, "FilterExpression"));
  if (filter_text) {
    RUNNEL_TRY(expr::Condition c, expr::parse_condition(*filter_text, *plan.placeholders->subs, "FilterExpression"));
    plan.filter = std::move(c);
  } else if (const JsonValue* legacy = member(body, legacy_filter)) {
    RUNNEL_TRY(expr::Condition c, expr::condition_from_filter(*legacy, member(body, "ConditionalOperator")));
    plan.filter = std::move(c);
  }
  RUNNEL_TRY(plan.projection, decode_read_projection(body, *plan.placeholders));
  RUNNEL_TRY(plan.select, decode_select(body, plan.projection.has_value(), index_name.has_value()));
  RUNNEL_TRY(plan.table, resolve_table(env, ctx, body));
  RUNNEL_CHECK(resolve_index(plan, body));
  if (plan.projection) RUNNEL_CHECK(check_key_paths(*plan.table, path_pointers(plan.projection->paths)));
  if (plan.filter) RUNNEL_CHECK(check_key_paths(*plan.table, condition_paths(*plan.filter)));
  RUNNEL_CHECK(plan_index_projection(plan));
  return plan;
}

// ExclusiveStartKey must be exactly the key LastEvaluatedKey would be: the table key, plus the
// index key for an index read.
Status decode_start_key(ReadPlan& plan, const JsonValue& body) {
  const JsonValue* esk = member(body, "ExclusiveStartKey");
  if (!esk) return ok_status();
  const std::string kInvalid = "The provided starting key is invalid";
  auto decoded = decode_attribute_map(*esk);
  if (!decoded.ok()) {
    ApiError e = std::move(decoded).error();
    if (e.code == "ValidationException") e.message = kInvalid + ": " + e.message;
    return e;
  }
  const AttributeMap& key = *decoded;
  if (key.size() != plan.key_attributes.size())
    return ApiError::validation(plan.index ? kInvalid : kInvalid + ": The provided key element does not match the schema");
  if (plan.index) {
    for (const KeyAttribute* k : plan.key_attributes) {
      auto it = key.find(k->name);
      if (it == key.end()) return ApiError::validation(kInvalid);
      if (it->second.type != k->type)
        return ApiError::validation(kInvalid + ": The provided key element does not match the schema");
    }
  }
  auto table_key = validate_key(*plan.table, extract_key(*plan.table, key));
  if (!table_key.ok()) return ApiError::validation(kInvalid + ": " + table_key.error().message);
  plan.start_key = std::move(decoded).value();
  return ok_status();
}

// --- the page --------------------------------------------------------------------------------

bool range_condition_holds(const expr::KeyCondition& kc, const AttributeValue& v) {
  using Op = expr::KeyCondition::RangeOp;
  if (kc.range_op == Op::None) return true;
  if (v.type != kc.range_lo.type) return false;
  int c = compare_scalar(v, kc.range_lo);
  switch (kc.range_op) {
    case Op::Eq: return c == 0;
    case Op::Lt: return c < 0;
    case Op::Le: return c <= 0;
    case Op::Gt: return c > 0;
    case Op::Ge: return c >= 0;
    case Op::Between: return c >= 0 && compare_scalar(v, kc.range_hi) <= 0;
    case Op::BeginsWith: return v.scalar.starts_with(kc.range_lo.scalar);
    case Op::None: return true;
  }
  return true;
}

// One page of a Query or Scan: walks a key range, applies filter / projection / Select, and
// renders the reply as it goes (items without a projection are spliced, never re-encoded).
class Page {
 public:
  Page(Env& env, const ReadPlan& plan, const expr::KeyCondition* key_condition)
      : env_(env), plan_(plan), key_condition_(key_condition), w_(sb_) {
    condition_keys_ = {&plan.keys().hash};
    if (plan.keys().range) condition_keys_.push_back(&*plan.keys().range);
    table_keys_ = {&plan.table->keys.hash};
    if (plan.table->keys.range) table_keys_.push_back(&*plan.table->keys.range);
  }

  Result<std::string> run(const KeyRange& range, bool forward) {
    w_.StartObject();
    if (plan_.select != Select::kCount) {
      w_.Key("Items");
      w_.StartArray();
    }
    if (range.lo < range.hi) RUNNEL_CHECK(walk(range, forward));
    if (plan_.select != Select::kCount) w_.EndArray();
    w_.Key("Count");
    w_.Uint64(count_);
    w_.Key("ScannedCount");
    w_.Uint64(scanned_);
    if (last_key_) {
      w_.Key("LastEvaluatedKey");
      write_attribute_map(w_, *last_key_);
    }
    if (plan_.capacity != CapacityMode::kNone) {
      w_.Key("ConsumedCapacity");
      write_read_capacity(w_, plan_.capacity, *plan_.table, plan_.index, read_units(bytes_, plan_.consistent));
    }
    w_.EndObject();
    return finish(sb_);
  }

 private:
  Status walk(const KeyRange& range, bool forward) {
    storage::Snapshot snapshot(env_.engine);
    snapshot_ = &snapshot;
    storage::ScanOptions options;
    options.lower = range.lo;
    options.upper = range.hi;
    storage::Cursor it = snapshot.scan(plan_.family(), options);
    const std::string_view lo = range.lo, hi = range.hi;
    if (forward) {
      it.seek(lo);
    } else {
      it.seek_for_prev(hi);
      while (it.valid() && it.key() >= hi) it.prev();
    }
    for (; it.valid(); forward ? it.next() : it.prev()) {
      if (it.key() < lo || it.key() >= hi) break;
      RUNNEL_TRY(bool stop, visit(it.value()));
      if (stop) return ok_status();
    }
    if (!it.ok()) return ApiError::internal("Internal server error");
    return ok_status();
  }

  // A stored entry whose key attributes contradict the key condition would be a layout bug;
  // re-checking costs two small decodes and keeps a wrong answer from ever leaving the server.
  bool within_key_condition(const rapidjson::Value& doc) const {
    if (!key_condition_) return true;
    const KeySchema& ks = plan_.keys();
    auto hash = attribute_from_json(doc, ks.hash.name);
    if (!hash || !(*hash == key_condition_->hash_value)) return false;
    if (!ks.range) return true;
    auto range = attribute_from_json(doc, ks.range->name);
    return range && range_condition_holds(*key_condition_, *range);
  }

  // The table item behind an LSI entry (same snapshot as the index walk).
  Result<bool> fetch_item(const rapidjson::Value& entry, rapidjson::Document& doc, std::string_view& json) {
    AttributeMap key = key_from_json(entry, table_keys_);
    if (key.size() != table_keys_.size()) return false;
    RUNNEL_TRY(bool found, read_stored(env_, storage::Family::kItems, item_key(*plan_.table, key), snapshot_, fetched_));
    if (!found) return false;
    RUNNEL_TRY(json, stored_json(fetched_.view()));
    rapidjson::Document item(&pool_);
    RUNNEL_CHECK(parse_stored_json(json, item, &fetched_buffer_));
    doc.Swap(item);
    return true;
  }

  // Returns true when the page must stop after this entry.
  Result<bool> visit(std::string_view stored) {
    RUNNEL_TRY(std::string_view json, stored_json(stored));
    pool_.Clear();  // the previous entry's DOM is gone; reuse its memory
    rapidjson::Document doc(&pool_);
    RUNNEL_CHECK(parse_stored_json(json, doc, &entry_buffer_));
    if (!within_key_condition(doc)) return false;
    if (plan_.fetch_from_table) {
      RUNNEL_TRY(bool found, fetch_item(doc, doc, json));
      if (!found) return false;  // an index entry without its item: nothing to return
    }
    size_t size = stored_item_size(doc);
    ++scanned_;
    bytes_ += size;
    bool matches = true;
    std::optional<AttributeMap> item;
    if (plan_.filter || plan_.projection) {
      auto decoded = decode_attribute_map(doc);
      if (!decoded.ok()) return ApiError::internal("Internal server error");
      item = std::move(decoded).value();
    }
    if (plan_.filter) {
      RUNNEL_TRY(matches, expr::evaluate(*plan_.filter, *item));
    }
    if (matches) {
      ++count_;
      if (plan_.select != Select::kCount) {
        if (plan_.projection) {
          write_attribute_map(w_, expr::project(*plan_.projection, *item));
        } else {
          w_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
        }
      }
    }
    bool stop = (plan_.limit > 0 && scanned_ >= static_cast<uint64_t>(plan_.limit)) || bytes_ >= kMaxPageBytes;
    if (stop) last_key_ = key_from_json(doc, plan_.key_attributes);
    return stop;
  }

  Env& env_;
  const ReadPlan& plan_;
  const expr::KeyCondition* key_condition_;
  std::vector<const KeyAttribute*> condition_keys_;  // the queried table's or index's key
  std::vector<const KeyAttribute*> table_keys_;
  const storage::Snapshot* snapshot_ = nullptr;  // walk()'s, while it runs
  storage::PinnedValue fetched_;
  // One parse arena for the whole page (a default Document mallocs a 64 KB chunk per parse).
  static constexpr size_t kArenaBytes = 16 * 1024;
  std::unique_ptr<char[]> arena_ = std::make_unique_for_overwrite<char[]>(kArenaBytes);
  rapidjson::MemoryPoolAllocator<> pool_{arena_.get(), kArenaBytes};
  std::string entry_buffer_;    // in-situ parse copies, reused across entries
  std::string fetched_buffer_;
  rapidjson::StringBuffer sb_;
  Writer w_;
  uint64_t scanned_ = 0;
  uint64_t count_ = 0;
  size_t bytes_ = 0;
  std::optional<AttributeMap> last_key_;
};

// --- Query -----------------------------------------------------------------------------------

Result<expr::KeyCondition> decode_key_condition(const JsonValue& body, ReadPlan& plan) {
  const KeySchema& ks = plan.keys();
  const std::string* range_name = ks.range ? &ks.range->name : nullptr;
  RUNNEL_TRY(auto text, optional_string(body, "KeyConditionExpression"));
  expr::KeyCondition kc;
  if (text) {
    RUNNEL_TRY(kc, expr::parse_key_condition(*text, *plan.placeholders->subs, ks.hash.name, range_name));
  } else {
    RUNNEL_TRY(kc, expr::key_condition_from_legacy(*member(body, "KeyConditions"), ks.hash.name, range_name));
  }
  bool types_match = kc.hash_value.type == ks.hash.type;
  if (kc.range_op != expr::KeyCondition::RangeOp::None) {
    types_match = types_match && kc.range_lo.type == ks.range->type;
    if (kc.range_op == expr::KeyCondition::RangeOp::Between) types_match = types_match && kc.range_hi.type == ks.range->type;
  }
  if (!types_match)
    return ApiError::validation("One or more parameter values were invalid: Condition parameter type does not match schema type");
  return kc;
}

Status check_filter_spares_keys(const ReadPlan& plan, const JsonValue& body) {
  if (!plan.filter) return ok_status();
  const char* what = member(body, "FilterExpression") ? "Filter Expression" : "QueryFilter";
  auto paths = condition_paths(*plan.filter);
  const KeySchema& ks = plan.keys();
  for (const KeyAttribute* k : {&ks.hash, ks.range ? &*ks.range : nullptr}) {
    if (!k) continue;
    for (const expr::Path* p : paths)
      if ((*p)[0].name == k->name)
        return ApiError::validation(std::string(what) +
                                    " can only contain non-primary key attributes: Primary key attribute: " + k->name);
  }
  return ok_status();
}

// A start key must lie inside the query: in its partition and within its sort-key condition.
Status check_start_in_query(const ReadPlan& plan, const expr::KeyCondition& kc) {
  if (!plan.start_key) return ok_status();
  const KeySchema& ks = plan.keys();
  if (!(plan.start_key->at(ks.hash.name) == kc.hash_value))
    return ApiError::validation("The provided starting key is outside query boundaries based on provided conditions");
  if (ks.range && !range_condition_holds(kc, plan.start_key->at(ks.range->name)))
    return ApiError::validation("The provided starting key does not match the range key predicate");
  return ok_status();
}

// The storage range of the partition that the sort-key condition allows. Encodings keep DynamoDB's
// order, so every condition is one contiguous range (item_keys.h).
KeyRange query_range(uint64_t id, const expr::KeyCondition& kc) {
  using Op = expr::KeyCondition::RangeOp;
  const std::string partition = partition_prefix(id, kc.hash_value);
  auto at = [&](const AttributeValue& v) {
    std::string k = partition;
    append_key_value(k, v);
    return k;
  };
  KeyRange r{partition, storage::prefix_successor(partition)};
  switch (kc.range_op) {
    case Op::None: break;
    case Op::Eq: r.lo = at(kc.range_lo); r.hi = storage::prefix_successor(r.lo); break;
    case Op::Lt: r.hi = at(kc.range_lo); break;
    case Op::Le: r.hi = storage::prefix_successor(at(kc.range_lo)); break;
    case Op::Gt: r.lo = storage::prefix_successor(at(kc.range_lo)); break;
    case Op::Ge: r.lo = at(kc.range_lo); break;
    case Op::Between:
      r.lo = at(kc.range_lo);
      r.hi = storage::prefix_successor(at(kc.range_hi));
      break;
    case Op::BeginsWith: {
      // The escaped bytes of the prefix without the 2-byte terminator prefix exactly the values
      // that begin with it (escaping works byte by byte).
      std::string k = partition;
      storage::append_escaped(k, kc.range_lo.scalar);
      k.resize(k.size() - 2);
      r.lo = k;
      r.hi = storage::prefix_successor(k);
      break;
    }
  }
  return r;
}

// Resumes strictly after (forward) or before (backward) the start key's own storage key.
void resume_after(KeyRange& r, const std::string& start, bool forward) {
  if (forward) {
    std::string after = start + '\0';  // the smallest key greater than `start`
    if (after > r.lo) r.lo = std::move(after);
  } else if (start < r.hi) {
    r.hi = start;
  }
}

Result<std::string> run_query(Env& env, const protocol::RequestContext& ctx, const JsonValue& body) {
  RUNNEL_CHECK(expr::check_expression_mix(body, {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"},
                                          {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"}));
  if (!member(body, "KeyConditionExpression") && !member(body, "KeyConditions"))
    return ApiError::validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
  RUNNEL_TRY(bool forward, optional_bool(body, "ScanIndexForward", true));
  RUNNEL_TRY(ReadPlan plan, decode_plan(env, ctx, body, "QueryFilter"));
  RUNNEL_TRY(expr::KeyCondition kc, decode_key_condition(body, plan));
  RUNNEL_CHECK(plan.placeholders->subs->check_all_used());
  RUNNEL_CHECK(check_filter_spares_keys(plan, body));
  RUNNEL_CHECK(decode_start_key(plan, body));
  RUNNEL_CHECK(check_start_in_query(plan, kc));

  KeyRange range = query_range(plan.storage_id(), kc);
  if (plan.start_key) resume_after(range, plan.storage_key(*plan.start_key), forward);
  return Page(env, plan, &kc).run(range, forward);
}

// --- Scan ------------------------------------------------------------------------------------

struct Segment {
  int64_t segment = 0;
  int64_t total = 1;
  // Partition hashes this segment owns: [first, end).
  uint32_t first() const { return static_cast<uint32_t>(segment * 65536 / total); }
  uint32_t end() const { return static_cast<uint32_t>((segment + 1) * 65536 / total); }
};

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.ParallelScan
Result<Segment> decode_segment(const JsonValue& body) {
  RUNNEL_TRY(auto total, bounded_int(body, "TotalSegments", "totalSegments", 1, kMaxTotalSegments));
  RUNNEL_TRY(auto segment, bounded_int(body, "Segment", "segment", 0, kMaxTotalSegments - 1));
  if (segment && !total)
    return ApiError::validation("The TotalSegments parameter is required but was not present in the request when "
                                "Segment parameter is present");
  if (total && !segment)
    return ApiError::validation("The Segment parameter is required but was not present in the request when parameter "
                                "TotalSegments is present");
  if (!total) return Segment{};
  if (*segment >= *total)
    return ApiError::validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                                "Segment: " + std::to_string(*segment) + " is not less than TotalSegments: " +
                                std::to_string(*total));
  return Segment{*segment, *total};
}

KeyRange segment_range(uint64_t id, const Segment& s) {
  std::string base = table_prefix(id);
  KeyRange r{base, base};
  storage::append_u16(r.lo, static_cast<uint16_t>(s.first()));
  if (s.end() >= 65536) {
    r.hi = storage::prefix_successor(base);
  } else {
    storage::append_u16(r.hi, static_cast<uint16_t>(s.end()));
  }
  return r;
}

Result<std::string> run_scan(Env& env, const protocol::RequestContext& ctx, const JsonValue& body) {
  RUNNEL_CHECK(expr::check_expression_mix(body, {"ProjectionExpression", "FilterExpression"},
                                          {"AttributesToGet", "ScanFilter", "ConditionalOperator"}));
  RUNNEL_TRY(Segment segment, decode_segment(body));
  RUNNEL_TRY(ReadPlan plan, decode_plan(env, ctx, body, "ScanFilter"));
  RUNNEL_CHECK(plan.placeholders->subs->check_all_used());
  RUNNEL_CHECK(decode_start_key(plan, body));

  KeyRange range = segment_range(plan.storage_id(), segment);
  if (plan.start_key) {
    uint32_t hash = partition_hash(plan.start_key->at(plan.keys().hash.name));
    if (hash < segment.first() || hash >= segment.end())
      return ApiError::validation("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                                  "ExclusiveStartKey with correct Segment. TotalSegments: " +
                                  std::to_string(segment.total) + " Segment: " + std::to_string(segment.segment));
    resume_after(range, plan.storage_key(*plan.start_key), true);
  }
  return Page(env, plan, nullptr).run(range, true);
}

}  // namespace

RUNNEL_DDB_OP(query) { reply(run_query(env, ctx, body)); }

RUNNEL_DDB_OP(scan) { reply(run_scan(env, ctx, body)); }

}  // namespace runnel::dynamodb
