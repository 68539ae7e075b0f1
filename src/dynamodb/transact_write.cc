// TransactWriteItems: up to 100 ConditionCheck/Put/Update/Delete actions, all or nothing.
// The whole transaction is one apply step on the storage writer: every condition is checked against
// the items as they are (including writes pending in the same group), and only if all pass are the
// writes staged — in one batch, so they commit atomically with their index entries and stream records.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
#include <set>

#include <fmt/format.h>
#include <openssl/sha.h>

#include "dynamodb/idempotency.h"
#include "dynamodb/item_keys.h"
#include "dynamodb/operations.h"
#include "dynamodb/write_common.h"

namespace runnel::dynamodb {

namespace {

constexpr size_t kMaxTransactItems = 100;
// "The aggregate size of the items in the transaction cannot exceed 4 MB."
constexpr size_t kMaxTransactBytes = 4 * 1024 * 1024;

struct Action {
  enum class Kind { kConditionCheck, kPut, kDelete, kUpdate } kind;
  std::shared_ptr<const TableInfo> table;
  std::unique_ptr<Placeholders> placeholders;
  AttributeMap key;
  std::optional<AttributeMap> item;  // Put
  std::optional<expr::Condition> condition;
  std::optional<expr::Update> update;
  bool old_on_failure = false;
  std::string storage_key;
};

Result<Action> decode_action(Env& env, const protocol::RequestContext& ctx, const JsonValue& entry) {
  static constexpr std::pair<const char*, Action::Kind> kKinds[] = {
      {"ConditionCheck", Action::Kind::kConditionCheck},
      {"Put", Action::Kind::kPut},
      {"Delete", Action::Kind::kDelete},
      {"Update", Action::Kind::kUpdate}};
  const JsonValue* body = nullptr;
  Action a{};
  int found = 0;
  for (auto [name, kind] : kKinds) {
    if (const JsonValue* v = member(entry, name)) {
      body = v;
      a.kind = kind;
      ++found;
    }
  }
  if (found != 1)
    return ApiError::validation("TransactItems can only contain one of Check, Put, Update or Delete");
  // IAM authorizes each item of a transaction with its own action.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
  std::string_view action = a.kind == Action::Kind::kPut      ? "dynamodb:PutItem"
                            : a.kind == Action::Kind::kDelete ? "dynamodb:DeleteItem"
                            : a.kind == Action::Kind::kUpdate ? "dynamodb:UpdateItem"
                                                              : "dynamodb:ConditionCheckItem";
  RUNNEL_TRY(a.table, resolve_table(env, ctx, *body, "tableName", action));
  RUNNEL_TRY(a.placeholders, decode_placeholders(*body));
  if (a.kind == Action::Kind::kPut) {
    const JsonValue* item_json = member(*body, "Item");
    if (!item_json) return constraint_error("null", "transactItems.member.put.item", "Member must not be null");
    RUNNEL_TRY(AttributeMap item, decode_attribute_map(*item_json));
    RUNNEL_CHECK(validate_item(*a.table, item));
    a.key = extract_key(*a.table, item);
    a.item = std::move(item);
  } else {
    const JsonValue* key_json = member(*body, "Key");
    if (!key_json) return constraint_error("null", "transactItems.member.key", "Member must not be null");
    RUNNEL_TRY(a.key, decode_attribute_map(*key_json));
    RUNNEL_CHECK(validate_key(*a.table, a.key));
  }
  if (a.kind == Action::Kind::kUpdate) {
    RUNNEL_TRY(std::string text, required_string(*body, "UpdateExpression", "transactItems.member.update.updateExpression"));
    RUNNEL_TRY(expr::Update u, expr::parse_update(text, *a.placeholders->subs));
    RUNNEL_CHECK(check_update_spares_keys(*a.table, u));
    a.update = std::move(u);
  }
  RUNNEL_TRY(auto cond_text, optional_string(*body, "ConditionExpression"));
  if (cond_text) {
    RUNNEL_TRY(expr::Condition c, expr::parse_condition(*cond_text, *a.placeholders->subs, "ConditionExpression"));
    a.condition = std::move(c);
  } else if (a.kind == Action::Kind::kConditionCheck) {
    return constraint_error("null", "transactItems.member.conditionCheck.conditionExpression", "Member must not be null");
  }
  RUNNEL_CHECK(a.placeholders->subs->check_all_used());
  RUNNEL_TRY(a.old_on_failure, return_old_on_condition_failure(*body));
  a.storage_key = item_key(*a.table, a.key);
  return a;
}

std::string fingerprint(std::string_view body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

struct Reason {
  std::string code = "None";
  std::string message;
  std::optional<AttributeMap> item;
};

ApiError cancelled(const std::vector<Reason>& reasons) {
  std::vector<std::string> codes;
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartArray();
  for (const auto& r : reasons) {
    codes.push_back(r.code);
    w.StartObject();
    w.Key("Code");
    w.String(r.code.c_str());
    if (!r.message.empty()) {
      w.Key("Message");
      w.String(r.message.c_str());
    }
    if (r.item) {
      w.Key("Item");
      write_attribute_map(w, *r.item);
    }
    w.EndObject();
  }
  w.EndArray();
  return ApiError{"TransactionCanceledException",
                  fmt::format("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                              fmt::join(codes, ", ")),
                  400, true, "com.amazonaws.dynamodb.v20120810", "\"CancellationReasons\":" + finish(sb)};
}

}  // namespace

RUNNEL_DDB_OP(transact_write_items) {
  auto token = optional_string(body, "ClientRequestToken");
  if (!token.ok()) return reply(token.error());
  if (*token && ((*token)->empty() || (*token)->size() > 36))
    return reply(constraint_error("'" + **token + "'", "clientRequestToken",
                                  "Member must have length less than or equal to 36"));
  auto capacity = capacity_mode(body);
  if (!capacity.ok()) return reply(capacity.error());

  auto decoded = [&]() -> Result<std::vector<Action>> {
    const JsonValue* items = member(body, "TransactItems");
    if (!items) return constraint_error("null", "transactItems", "Member must not be null");
    if (!items->IsArray()) return ApiError::serialization("TransactItems must be a list");
    if (items->Empty()) return constraint_error("[]", "transactItems", "Member must have length greater than or equal to 1");
    if (items->Size() > kMaxTransactItems)
      return constraint_error("[...]", "transactItems", "Member must have length less than or equal to 100");
    std::vector<Action> actions;
    std::set<std::pair<uint64_t, std::string>> seen;
    size_t total_bytes = 0;
    for (const auto& entry : items->GetArray()) {
      RUNNEL_TRY(Action a, decode_action(env, ctx, entry));
      total_bytes += item_size(a.item ? *a.item : a.key);
      if (total_bytes > kMaxTransactBytes)
        return ApiError::validation("Transaction request cannot be larger than 4 MB");
      if (!seen.emplace(a.table->id, a.storage_key).second)
        return ApiError::validation("Transaction request cannot include multiple operations on one item");
      actions.push_back(std::move(a));
    }
    return actions;
  }();
  if (!decoded.ok()) return reply(decoded.error());
  auto actions = std::make_shared<std::vector<Action>>(std::move(decoded).value());

  // Idempotency: the same token and request within 10 minutes succeeds again without re-applying.
  std::string scoped_token;
  std::string print;
  if (*token) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    body.Accept(w);
    print = fingerprint(std::string_view(sb.GetString(), sb.GetSize()));
    scoped_token = ctx.account + "/" + ctx.region + "/" + **token;
    switch (env.service.idempotency().check(scoped_token, print)) {
      case IdempotencyCache::Outcome::kReplay: return reply(std::string("{}"));
      case IdempotencyCache::Outcome::kMismatch:
        return reply(ApiError{"IdempotentParameterMismatchException",
                              "Specified idempotency token has been used with different request parameters", 400, true,
                              "com.amazonaws.dynamodb.v20120810", {}});
      case IdempotencyCache::Outcome::kNew: break;
    }
  }

  env.writer.run<Ok>(
      [&env, actions](storage::WriteTxn& txn) -> Status {
        std::vector<Reason> reasons(actions->size());
        std::vector<std::optional<AttributeMap>> olds(actions->size());
        std::vector<std::optional<AttributeMap>> news(actions->size());
        bool failed = false;
        for (size_t i = 0; i < actions->size(); ++i) {
          Action& a = (*actions)[i];
          auto t = env.catalog.find(a.table->account, a.table->region, a.table->name);
          if (!t || t->id != a.table->id) return ApiError::resource_not_found("Requested resource not found");
          a.table = t;
          olds[i] = env.service.read_item(txn, a.storage_key);
          auto holds = condition_holds(a.condition, olds[i]);
          if (!holds.ok()) {
            reasons[i] = {"ValidationError", holds.error().message, std::nullopt};
            failed = true;
            continue;
          }
          if (!*holds) {
            reasons[i] = {"ConditionalCheckFailed", "The conditional request failed",
                          a.old_on_failure ? olds[i] : std::nullopt};
            failed = true;
            continue;
          }
          switch (a.kind) {
            case Action::Kind::kConditionCheck: news[i] = olds[i]; break;
            case Action::Kind::kPut: news[i] = a.item; break;
            case Action::Kind::kDelete: break;
            case Action::Kind::kUpdate: {
              auto next = updated_item(*a.table, a.key, olds[i], *a.update);
              if (!next.ok()) {
                reasons[i] = {"ValidationError", next.error().message, std::nullopt};
                failed = true;
                continue;
              }
              news[i] = std::move(next).value();
              break;
            }
          }
        }
        if (failed) return cancelled(reasons);
        for (size_t i = 0; i < actions->size(); ++i) {
          const Action& a = (*actions)[i];
          if (a.kind == Action::Kind::kConditionCheck) continue;
          env.service.write_item(txn, *a.table, a.storage_key, olds[i] ? &*olds[i] : nullptr, news[i] ? &*news[i] : nullptr);
        }
        return ok_status();
      },
      [&env, actions, scoped_token, print, capacity = *capacity, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        if (!scoped_token.empty()) env.service.idempotency().remember(scoped_token, print);
        rapidjson::StringBuffer sb;
        Writer w(sb);
        w.StartObject();
        if (capacity != CapacityMode::kNone) {
          // Transactional writes cost double: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
          std::map<std::string, std::pair<const TableInfo*, double>> per_table;
          for (const auto& a : *actions) {
            auto& slot = per_table[a.table->name];
            slot.first = a.table.get();
            slot.second += 2 * write_units(a.item ? item_size(*a.item) : 0);
          }
          w.Key("ConsumedCapacity");
          w.StartArray();
          for (const auto& [name, tu] : per_table) write_capacity_object(w, capacity, *tu.first, tu.second);
          w.EndArray();
        }
        w.EndObject();
        reply(finish(sb));
      });
}

}  // namespace runnel::dynamodb
