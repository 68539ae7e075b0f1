// The DynamoDB expression engine: ConditionExpression / FilterExpression, UpdateExpression,
// ProjectionExpression and KeyConditionExpression, plus the legacy (pre-expression) parameters
// converted to the same trees.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.html
//
// Pipeline: lexer (lexer.h) -> recursive-descent parser (parser.h, producing ast.h nodes whose
// placeholders are still unresolved) -> resolve (resolve.cc: reserved words, #name / :value
// substitution, static checks, all with DynamoDB's ValidationException wording) -> evaluate
// (evaluate.cc), apply (update.cc) or project (projection.cc).
//
// Parsed objects are immutable and cheap to copy (they share their tree), so a caller may cache
// them per (expression text, substitutions).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/attribute_value.h"
#include "common/result.h"

namespace runnel::expr {

// Limits from https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-expression-parameters
inline constexpr size_t kMaxExpressionBytes = 4096;
inline constexpr size_t kMaxOperators = 300;
inline constexpr size_t kMaxInOperands = 100;
inline constexpr size_t kMaxPathDepth = 32;

// One step of a document path: a map key (index < 0) or a list index (index >= 0, name empty).
// a.b[2] -> {a}, {b}, {"", 2}.
struct PathElement {
  std::string name;
  int index = -1;
  bool is_index() const { return index >= 0; }
  friend bool operator==(const PathElement&, const PathElement&) = default;
};
using Path = std::vector<PathElement>;  // resolved: #placeholders already substituted

// DynamoDB's rendering of a path in messages: [a, b, [2]].
std::string path_to_string(const Path& p);

// The placeholders one request supplies. `names` is ExpressionAttributeNames, `values` the decoded
// ExpressionAttributeValues; either may be null (parameter absent). Both must outlive this object.
// It records which placeholders the expressions used, so that after ALL expressions of a request
// were parsed, check_all_used() can report the unused ones (DynamoDB reports them per request).
class Substitutions {
 public:
  Substitutions(const std::map<std::string, std::string>* names, const AttributeMap* values);

  // Request-level checks of the maps themselves: present-but-empty maps and keys that are not
  // "#[A-Za-z0-9_]+" / ":[A-Za-z0-9_]+". Call before parsing.
  Status validate() const;

  // Look-ups used by the parser; a hit marks the placeholder used. nullptr when undefined.
  const std::string* name(std::string_view placeholder);
  const AttributeValue* value(std::string_view placeholder);

  // "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}" (names are
  // reported before values, as DynamoDB does).
  Status check_all_used() const;

 private:
  const std::map<std::string, std::string>* names_;
  const AttributeMap* values_;
  std::set<std::string, std::less<>> used_names_;
  std::set<std::string, std::less<>> used_values_;
};

namespace detail {
struct CondNode;
struct UpdateAst;
}  // namespace detail

// A parsed and resolved condition / filter. Copyable; shares its immutable tree.
struct Condition {
  std::shared_ptr<const detail::CondNode> root;
};

// A parsed and resolved update (SET / REMOVE / ADD / DELETE actions, or legacy AttributeUpdates).
struct Update {
  std::shared_ptr<const detail::UpdateAst> ast;
};

struct Projection {
  std::vector<Path> paths;
};

// KeyConditionExpression / KeyConditions reduced to what a Query needs. The caller still checks
// the value types against the key schema ("One or more parameter values were invalid: Condition
// parameter type does not match schema type"), since only it knows the attribute types.
struct KeyCondition {
  AttributeValue hash_value;
  enum class RangeOp { None, Eq, Lt, Le, Gt, Ge, Between, BeginsWith } range_op = RangeOp::None;
  AttributeValue range_lo, range_hi;  // range_hi only for Between
};

// --- expressions ----------------------------------------------------------------------------
// `which` names the parameter in messages: "ConditionExpression", "FilterExpression".
Result<Condition> parse_condition(std::string_view text, Substitutions& subs, std::string_view which);
Result<Update> parse_update(std::string_view text, Substitutions& subs);
Result<Projection> parse_projection(std::string_view text, Substitutions& subs);
// Only `hash = :v` AND one optional range condition (=, <, <=, >, >=, BETWEEN, begins_with) on
// the named key attributes. range_key_name is null for a hash-only table / index.
Result<KeyCondition> parse_key_condition(std::string_view text, Substitutions& subs,
                                         const std::string& hash_key_name,
                                         const std::string* range_key_name);

// --- evaluation -----------------------------------------------------------------------------
// DynamoDB semantics: comparisons between different types are false, a missing path makes every
// comparison false except <> (true), N compares numerically, S and B bytewise.
Result<bool> evaluate(const Condition& c, const AttributeMap& item);

// Applies the update to `item` in place (upsert: item may start as just the key). All SET
// operands are evaluated against the item as it was before the update. On error the item is left
// in an unspecified state: apply to a copy.
Status apply_update(const Update& u, AttributeMap& item);
// Distinct top-level attribute names the update writes or removes (for the caller's key check).
std::vector<std::string> updated_top_level_names(const Update& u);
// The action paths, in expression order (for ReturnValues UPDATED_OLD / UPDATED_NEW).
std::vector<Path> updated_paths(const Update& u);

// ProjectionExpression semantics: only the named (nested) parts are copied; list elements picked
// by index come back compacted in index order; missing paths are skipped.
AttributeMap project(const Projection& p, const AttributeMap& item);

// --- legacy parameters (legacy.cc) ------------------------------------------------------------
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LegacyConditionalParameters.html
// `conditional_operator` is null when ConditionalOperator is absent (AND).
Result<Condition> condition_from_expected(const rapidjson::Value& expected,
                                          const rapidjson::Value* conditional_operator);
// QueryFilter / ScanFilter: {name: {ComparisonOperator, AttributeValueList}}.
Result<Condition> condition_from_filter(const rapidjson::Value& filter,
                                        const rapidjson::Value* conditional_operator);
Result<KeyCondition> key_condition_from_legacy(const rapidjson::Value& key_conditions,
                                               const std::string& hash_key_name,
                                               const std::string* range_key_name);
Result<Update> update_from_attribute_updates(const rapidjson::Value& attribute_updates);
Result<Projection> projection_from_attributes_to_get(const rapidjson::Value& attributes_to_get);

// "Can not use both expression and non-expression parameters in the same request: ..." and
// "ExpressionAttributeNames can only be specified when using expressions" /
// "ExpressionAttributeValues can only be specified when using expressions: ... is null".
// `expression_params` and `legacy_params` are the member names the operation accepts, e.g. for
// Query {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"} and
// {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"}.
Status check_expression_mix(const rapidjson::Value& request,
                            const std::vector<std::string_view>& expression_params,
                            const std::vector<std::string_view>& legacy_params);

// Decoders for the two placeholder maps, with DynamoDB's messages.
Result<std::map<std::string, std::string>> decode_expression_attribute_names(const rapidjson::Value& v);
Result<AttributeMap> decode_expression_attribute_values(const rapidjson::Value& v);

// True when `word` (any case) is on https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
bool is_reserved_word(std::string_view word);

}  // namespace runnel::expr
