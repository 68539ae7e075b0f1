#include "protocol/query.h"

#include "common/utf8.h"

#include <algorithm>
#include <memory>
#include <optional>

namespace runnel::protocol {

ApiError query_missing_action() {
  // [unverified wording] The code and status are AWS's common Query error; the text is ours.
  return {"MissingAction", "The request must contain the parameter Action.", 400, true, "", {}};
}

ApiError query_invalid_action(std::string_view action) {
  // Real SQS's words for an unknown action (also what SNS answers).
  return {"InvalidAction", "The action " + std::string(action) + " is not valid for this endpoint.", 400, true, "",
          {}};
}

QueryService::QueryService(QueryServiceOptions options, const JsonService& handlers, const QueryModel& model)
    : options_(std::move(options)), handlers_(handlers), model_(model) {
  if (options_.xml_namespace.empty()) options_.xml_namespace = model_.xml_namespace();
}

const Operation* QueryService::operation(std::string_view action) const {
  const QueryOperation* modeled = model_.operation(action);
  return modeled ? handlers_.find(modeled->name) : nullptr;
}

Response QueryService::render_error(const ApiError& error, std::string_view request_id) const {
  Response r;
  r.status = error.http_status;
  r.content_type = "text/xml";
  if (error.query_code.empty()) {
    if (const ModelError* modeled = model_.error(error.code); modeled && modeled->code != error.code) {
      ApiError legacy = error;
      legacy.query_code = modeled->code;
      r.body = render_query_error(legacy, options_.xml_namespace, request_id, options_.error_detail);
      return r;
    }
  }
  r.body = render_query_error(error, options_.xml_namespace, request_id, options_.error_detail);
  return r;
}

namespace {

// The decoded input's nodes come from a per-thread arena, as in JsonService::dispatch: a request
// rarely needs more than 32 KB, and the handler copies what it keeps before it returns. The flag
// makes a nested use on the same thread (a handler that dispatches another Query request inline)
// fall back to the heap instead of sharing the arena.
class ScratchDocument {
 public:
  ScratchDocument() {
    if (!in_use_) {
      in_use_ = true;
      owner_ = true;
      allocator_.emplace(arena_, sizeof(arena_));
    } else {
      allocator_.emplace();
    }
    doc_.emplace(&*allocator_);
  }
  ~ScratchDocument() {
    doc_.reset();
    allocator_.reset();
    if (owner_) in_use_ = false;
  }
  ScratchDocument(const ScratchDocument&) = delete;
  ScratchDocument& operator=(const ScratchDocument&) = delete;
  rapidjson::Document& doc() { return *doc_; }

 private:
  static thread_local char arena_[32 * 1024];
  static thread_local bool in_use_;
  bool owner_ = false;
  std::optional<rapidjson::MemoryPoolAllocator<>> allocator_;
  std::optional<rapidjson::Document> doc_;
};

thread_local char ScratchDocument::arena_[32 * 1024];
thread_local bool ScratchDocument::in_use_ = false;

}  // namespace

void QueryService::dispatch(RequestContext ctx, const FormParams& params, Reply reply) const {
  const std::string* action = find_param(params, "Action");
  if (!action || action->empty()) {
    reply(render_error(query_missing_action(), ctx.request_id));
    return;
  }
  const QueryOperation* op = model_.operation(*action);
  if (!op || !handlers_.has_operation(op->name)) {
    reply(render_error(query_invalid_action(*action), ctx.request_id));
    return;
  }
  for (const auto& [key, value] : params) {
    if (!valid_utf8(key) || !valid_utf8(value)) {
      // [unverified wording] AWS's common Query error for a bad value; botocore never sends this.
      reply(render_error({"InvalidParameterValue", "Parameter " + (valid_utf8(key) ? key : std::string("name")) +
                                                        " is not valid UTF-8.", 400, true, "", {}},
                         ctx.request_id));
      return;
    }
  }
  ScratchDocument input;
  decode_query_request(*op, params, input.doc());
  ctx.operation = op->name;
  handlers_.invoke(ctx, op->name, input.doc(),
                   [this, op, request_id = ctx.request_id, reply = std::move(reply)](Result<std::string> result) {
                     if (!result.ok()) {
                       reply(render_error(result.error(), request_id));
                       return;
                     }
                     auto xml = render_query_response(*op, options_.xml_namespace, *result, request_id);
                     if (!xml.ok()) {
                       reply(render_error(xml.error(), request_id));
                       return;
                     }
                     Response r;
                     r.content_type = "text/xml";
                     r.body = std::move(xml).value();
                     reply(std::move(r));
                   });
}

}  // namespace runnel::protocol
