// PutItem, UpdateItem, DeleteItem.
// Each decodes and validates everything on the I/O thread (validate-before-apply), then hands an
// apply step to the storage writer, which reads the current item through the pending group, checks
// the condition, and stages the item, its index entries and its stream record in one batch. The
// reply is sent after the group commit.
#include <memory>

#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"
#include "dynamodb/write_common.h"

namespace runnel::dynamodb {

namespace {

// What an apply step leaves for the reply.
struct WriteState {
  std::shared_ptr<const TableInfo> table;
  std::unique_ptr<Placeholders> placeholders;
  std::optional<AttributeMap> old_item;
  std::optional<AttributeMap> new_item;
};

// The table as it is now, on the writer thread: it may have been deleted or re-created since the
// request was decoded.
std::shared_ptr<const TableInfo> current_table(Env& env, const TableInfo& decoded) {
  auto t = env.catalog.find(decoded.account, decoded.region, decoded.name);
  if (!t || t->id != decoded.id) return nullptr;
  return t;
}

void submit(Env& env, std::shared_ptr<WriteState> state, std::function<Status(storage::WriteTxn&, WriteState&)> apply,
            std::function<std::string(WriteState&)> render, protocol::JsonReply reply) {
  env.writer.run<Ok>(
      [&env, state, apply = std::move(apply)](storage::WriteTxn& txn) -> Status {
        auto t = current_table(env, *state->table);
        if (!t) return ApiError::resource_not_found("Requested resource not found");
        state->table = t;
        return apply(txn, *state);
      },
      [state, render = std::move(render), reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        reply(render(*state));
      });
}

// A write is charged for the larger of the item before and after it.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html
size_t written_bytes(const WriteState& s) {
  return std::max(s.old_item ? item_size(*s.old_item) : 0, s.new_item ? item_size(*s.new_item) : 0);
}

// ConsumedCapacity of a single-item write: the table's units and each index entry it touched.
void write_capacity(Writer& w, CapacityMode capacity, const WriteState& s) {
  if (capacity == CapacityMode::kNone) return;
  write_consumed_capacity(w, capacity, *s.table, write_units(written_bytes(s)),
                          index_write_units(*s.table, s.old_item ? &*s.old_item : nullptr,
                                            s.new_item ? &*s.new_item : nullptr));
}

void write_attributes(Writer& w, const AttributeMap& m) {
  w.Key("Attributes");
  write_attribute_map(w, m);
}


// PutItem and DeleteItem differ only in the parameter that names the item (Item or Key) and in what
// the apply step stages; decoding, conditions and the reply are the same.
void put_or_delete(Env& env, const protocol::RequestContext& ctx, const rapidjson::Document& body,
                   protocol::JsonReply reply, bool is_put) {
  auto decoded = [&]() -> Result<std::pair<std::shared_ptr<WriteState>, std::optional<expr::Condition>>> {
    RUNNEL_CHECK(expr::check_expression_mix(body, {"ConditionExpression"}, {"Expected", "ConditionalOperator"}));
    auto state = std::make_shared<WriteState>();
    RUNNEL_TRY(state->table, resolve_table(env, ctx, body));
    const char* param = is_put ? "Item" : "Key";
    const JsonValue* json = member(body, param);
    if (!json) return constraint_error("null", is_put ? "item" : "key", "Member must not be null");
    RUNNEL_TRY(AttributeMap item, decode_attribute_map(*json));
    RUNNEL_CHECK(is_put ? validate_item(*state->table, item) : validate_key(*state->table, item));
    state->new_item = std::move(item);  // for a delete: the key, until apply
    RUNNEL_TRY(state->placeholders, decode_placeholders(body));
    // Decoded straight into the pair returned: GCC 12 at -O3 warns (maybe-uninitialized, a false
    // positive) about a local std::optional<Condition> moved into it.
    std::pair<std::shared_ptr<WriteState>, std::optional<expr::Condition>> out{state, std::nullopt};
    RUNNEL_TRY(out.second, decode_write_condition(body, *state->placeholders));
    RUNNEL_CHECK(state->placeholders->subs->check_all_used());
    return out;
  }();
  if (!decoded.ok()) return reply(decoded.error());
  auto [state, condition] = std::move(decoded).value();
  auto options = decode_write_options(body, /*only_all_old=*/true);
  if (!options.ok()) return reply(options.error());

  submit(
      env, state,
      [&env, is_put, condition = std::move(condition), old_on_failure = options->old_on_failure](
          storage::WriteTxn& txn, WriteState& s) -> Status {
        std::string key = item_key(*s.table, *s.new_item);
        if (!is_put) s.new_item.reset();
        s.old_item = env.service.read_item(txn, key);
        auto holds = condition_holds(condition, s.old_item);
        if (!holds.ok()) return holds.error();
        if (!*holds) return condition_failed(old_on_failure, s.old_item);
        if (is_put || s.old_item)
          env.service.write_item(txn, *s.table, key, s.old_item ? &*s.old_item : nullptr, s.new_item ? &*s.new_item : nullptr);
        return ok_status();
      },
      [all_old = options->return_values == "ALL_OLD", capacity = options->capacity](WriteState& s) {
        rapidjson::StringBuffer sb;
        Writer w(sb);
        w.StartObject();
        if (all_old && s.old_item) write_attributes(w, *s.old_item);
        write_capacity(w, capacity, s);
        w.EndObject();
        return finish(sb);
      },
      std::move(reply));
}

}  // namespace

RUNNEL_DDB_OP(put_item) { put_or_delete(env, ctx, body, std::move(reply), true); }

RUNNEL_DDB_OP(delete_item) { put_or_delete(env, ctx, body, std::move(reply), false); }

RUNNEL_DDB_OP(update_item) {
  struct Decoded {
    std::shared_ptr<WriteState> state;
    std::optional<expr::Condition> condition;
    std::optional<expr::Update> update;
    AttributeMap key;
  };
  auto decoded = [&]() -> Result<Decoded> {
    RUNNEL_CHECK(expr::check_expression_mix(body, {"ConditionExpression", "UpdateExpression"},
                                            {"Expected", "ConditionalOperator", "AttributeUpdates"}));
    Decoded d;
    d.state = std::make_shared<WriteState>();
    RUNNEL_TRY(d.state->table, resolve_table(env, ctx, body));
    const JsonValue* key_json = member(body, "Key");
    if (!key_json) return constraint_error("null", "key", "Member must not be null");
    RUNNEL_TRY(d.key, decode_attribute_map(*key_json));
    RUNNEL_CHECK(validate_key(*d.state->table, d.key));
    RUNNEL_TRY(d.state->placeholders, decode_placeholders(body));
    RUNNEL_TRY(auto update_text, optional_string(body, "UpdateExpression"));
    if (update_text) {
      RUNNEL_TRY(expr::Update u, expr::parse_update(*update_text, *d.state->placeholders->subs));
      d.update = std::move(u);
    } else if (const JsonValue* au = member(body, "AttributeUpdates")) {
      RUNNEL_TRY(expr::Update u, expr::update_from_attribute_updates(*au));
      d.update = std::move(u);
    }
    if (d.update) RUNNEL_CHECK(check_update_spares_keys(*d.state->table, *d.update));
    RUNNEL_TRY(d.condition, decode_write_condition(body, *d.state->placeholders));
    RUNNEL_CHECK(d.state->placeholders->subs->check_all_used());
    return d;
  }();
  if (!decoded.ok()) return reply(decoded.error());
  Decoded d = std::move(decoded).value();

  auto options = decode_write_options(body, /*only_all_old=*/false);
  if (!options.ok()) return reply(options.error());

  auto update = std::make_shared<std::optional<expr::Update>>(std::move(d.update));
  submit(
      env, d.state,
      [&env, condition = std::move(d.condition), update, key = std::move(d.key),
       old_on_failure = options->old_on_failure](storage::WriteTxn& txn, WriteState& s) -> Status {
        std::string storage_key = item_key(*s.table, key);
        s.old_item = env.service.read_item(txn, storage_key);
        auto holds = condition_holds(condition, s.old_item);
        if (!holds.ok()) return holds.error();
        if (!*holds) return condition_failed(old_on_failure, s.old_item);
        if (*update) {
          auto next = updated_item(*s.table, key, s.old_item, **update);
          if (!next.ok()) return next.error();
          s.new_item = std::move(next).value();
        } else {
          // No update at all: UpdateItem still upserts the key.
          s.new_item = s.old_item ? *s.old_item : key;
        }
        env.service.write_item(txn, *s.table, storage_key, s.old_item ? &*s.old_item : nullptr, &*s.new_item);
        return ok_status();
      },
      [mode = options->return_values, update, capacity = options->capacity](WriteState& s) {
        rapidjson::StringBuffer sb;
        Writer w(sb);
        w.StartObject();
        if (mode == "ALL_OLD" && s.old_item) {
          write_attributes(w, *s.old_item);
        } else if (mode == "ALL_NEW") {
          write_attributes(w, *s.new_item);
        } else if ((mode == "UPDATED_OLD" || mode == "UPDATED_NEW") && *update) {
          // Only the attributes the update touched, as they were before / are after.
          expr::Projection touched{expr::updated_paths(**update)};
          static const AttributeMap kEmpty;
          const AttributeMap& source = mode == "UPDATED_OLD" ? (s.old_item ? *s.old_item : kEmpty) : *s.new_item;
          AttributeMap projected = expr::project(touched, source);
          if (!projected.empty()) write_attributes(w, projected);
        }
        write_capacity(w, capacity, s);
        w.EndObject();
        return finish(sb);
      },
      std::move(reply));
}

}  // namespace runnel::dynamodb
