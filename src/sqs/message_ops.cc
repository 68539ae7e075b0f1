// SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch).
// Decoding and validation run on the I/O thread; the change itself is one writer step, answered
// after its commit.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
#include <chrono>
#include <set>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_write.h"
#include "common/clock.h"
#include "sqs/operations.h"

namespace runnel::sqs {

namespace {


void write_send_result(JsonWriter& w, const SendResult& r, bool fifo) {
  key_string(w, "MD5OfMessageBody", r.md5_body);
  if (!r.md5_attributes.empty()) key_string(w, "MD5OfMessageAttributes", r.md5_attributes);
  if (!r.md5_system.empty()) key_string(w, "MD5OfMessageSystemAttributes", r.md5_system);
  key_string(w, "MessageId", r.message_id);
  if (fifo) key_string(w, "SequenceNumber", fmt::format("{:020d}", r.sequence));
}

// Batch entries: 1..10, ids of [A-Za-z0-9_-]{1,80}, distinct.
Result<const rapidjson::Value*> batch_entries(const rapidjson::Value& body, std::string_view entry_name) {
  auto it = body.FindMember("Entries");
  if (it == body.MemberEnd() || it->value.IsNull() || (it->value.IsArray() && it->value.Empty()))
    return sqs_error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
                     fmt::format("There should be at least one {} in the request.", entry_name));
  if (!it->value.IsArray()) return invalid_parameter("Entries must be a list.");
  if (it->value.Size() > 10)
    return sqs_error("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                     fmt::format("Maximum number of entries per request are 10. You have sent {}.", it->value.Size()));
  std::set<std::string> ids;
  for (const auto& e : it->value.GetArray()) {
    auto id = e.IsObject() ? e.FindMember("Id") : e.MemberEnd();
    if (!e.IsObject() || id == e.MemberEnd() || !id->value.IsString()) return missing_parameter(fmt::format("{}.Id", entry_name));
    std::string_view s(id->value.GetString(), id->value.GetStringLength());
    bool ok = !s.empty() && s.size() <= 80;
    for (char c : s) ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    if (!ok)
      return sqs_error("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
                       "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.");
    if (!ids.emplace(s).second)
      return sqs_error("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                       fmt::format("Id {} repeated.", s));
  }
  return &it->value;
}

void write_failure(JsonWriter& w, std::string_view id, const ApiError& e) {
  w.StartObject();
  key_string(w, "Id", id);
  w.Key("SenderFault");
  w.Bool(e.sender_fault);
  key_string(w, "Code", e.query_code.empty() ? e.code : e.query_code);
  key_string(w, "Message", e.message);
  w.EndObject();
}

// A batch's answer: {"Successful":[{"Id":...,<success members>}],"Failed":[{Id,SenderFault,Code,Message}]}.
// `error(e)` is the entry's error or null; `success(w, e)` writes a successful entry's members.
template <typename Entries, typename ErrorOf, typename WriteSuccess>
std::string render_batch(const Entries& entries, ErrorOf error, WriteSuccess success) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("Successful");
  w.StartArray();
  for (const auto& e : entries) {
    if (error(e)) continue;
    w.StartObject();
    key_string(w, "Id", e.id);
    success(w, e);
    w.EndObject();
  }
  w.EndArray();
  w.Key("Failed");
  w.StartArray();
  for (const auto& e : entries)
    if (const ApiError* err = error(e)) write_failure(w, e.id, *err);
  w.EndArray();
  w.EndObject();
  return finish_json(sb);
}

Result<std::string> receipt_handle(const rapidjson::Value& obj) {
  auto it = obj.FindMember("ReceiptHandle");
  if (it == obj.MemberEnd() || !it->value.IsString()) return missing_parameter("ReceiptHandle");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

ApiError invalid_handle(std::string_view handle) {
  return sqs_error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
                   fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", handle));
}

Result<int> visibility_param(const rapidjson::Value& obj) {
  auto it = obj.FindMember("VisibilityTimeout");
  if (it == obj.MemberEnd() || it->value.IsNull()) return missing_parameter("VisibilityTimeout");
  if (!it->value.IsInt() || it->value.GetInt() < 0 || it->value.GetInt() > 43200)
    return invalid_parameter(fmt::format(
        "Value {} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.",
        it->value.IsInt() ? std::to_string(it->value.GetInt()) : std::string("(not an integer)")));
  return it->value.GetInt();
}

// Deletes (visibility < 0) or changes the visibility of the message a handle names.
Status handle_change(Service& svc, storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, std::string_view text,
                     int visibility, int64_t now) {
  auto h = decode_receipt_handle(text);
  if (!h) return invalid_handle(text);
  std::lock_guard lock(q->mu);
  if (visibility < 0) {
    svc.delete_received_locked(txn, q, *h);
    return ok_status();
  }
  auto it = q->messages.find(h->seq);
  bool current = h->queue_id == q->id && it != q->messages.end() && it->second.nonce == h->nonce;
  if (!current)
    return invalid_parameter(fmt::format(
        "Value {} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.",
        text));
  if (it->second.visible_at_ms <= now)
    return sqs_error("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "Message is not in flight.");
  svc.set_visibility_locked(txn, q, h->seq, now + static_cast<int64_t>(visibility) * 1000, now);
  return ok_status();
}

}  // namespace

RUNNEL_SQS_OP(send_message) {
  RUNNEL_SQS_QUEUE(q);
  auto input = decode_message_input(body);
  if (!input.ok()) return reply(input.error());
  auto message = std::make_shared<MessageInput>(std::move(input).value());
  message->sender_id = ctx.account;
  svc.writer().run<SendResult>(
      [&svc, q, message](storage::WriteTxn& txn) -> Result<SendResult> {
        std::lock_guard lock(q->mu);
        if (q->deleted) return queue_does_not_exist();
        return svc.send_locked(txn, q, std::move(*message), wall_ms());
      },
      [q, reply = std::move(reply)](Result<SendResult> result) {
        if (!result.ok()) return reply(std::move(result).error());
        rapidjson::StringBuffer sb;
        JsonWriter w(sb);
        w.StartObject();
        write_send_result(w, *result, q->config.fifo);
        w.EndObject();
        reply(finish_json(sb));
      });
}

RUNNEL_SQS_OP(send_message_batch) {
  RUNNEL_SQS_QUEUE(q);
  auto entries = batch_entries(body, "SendMessageBatchRequestEntry");
  if (!entries.ok()) return reply(entries.error());
  struct Entry {
    std::string id;
    Result<MessageInput> input = ApiError::internal("");
    Result<SendResult> result = ApiError::internal("");
  };
  auto batch = std::make_shared<std::vector<Entry>>();
  size_t total = 0;
  for (const auto& e : (*entries)->GetArray()) {
    Entry entry;
    entry.id = e["Id"].GetString();
    entry.input = decode_message_input(e);
    if (entry.input.ok()) {
      entry.input->sender_id = ctx.account;
      total += message_size(*entry.input);
    }
    batch->push_back(std::move(entry));
  }
  int max_size = 0;
  bool fifo = false;
  {
    std::lock_guard lock(q->mu);
    max_size = q->config.maximum_message_size;
    fifo = q->config.fifo;
  }
  // On a FIFO queue an entry without a group fails the whole request, not just the entry.
  for (const auto& e : *batch)
    if (fifo && e.input.ok() && e.input->group_id.empty())
      return reply(invalid_parameter("The request must contain the parameter MessageGroupId."));
  if (total > static_cast<size_t>(max_size))
    return reply(sqs_error("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
                           fmt::format("Batch requests cannot be longer than {} bytes. You have sent {} bytes.", max_size, total)));
  // Each entry's result is the step's own: the entries that fail fail alone.
  svc.writer().run<Ok>(
      [&svc, q, batch](storage::WriteTxn& txn) -> Status {
        std::lock_guard lock(q->mu);
        int64_t now = wall_ms();
        for (auto& e : *batch) {
          if (q->deleted) e.result = queue_does_not_exist();
          else if (!e.input.ok()) e.result = e.input.error();
          else e.result = svc.send_locked(txn, q, std::move(e.input).value(), now);
        }
        return ok_status();
      },
      [q, batch, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        if (q->deleted) return reply(queue_does_not_exist());
        reply(render_batch(
            *batch, [](const auto& e) { return e.result.ok() ? nullptr : &e.result.error(); },
            [&](JsonWriter& w, const auto& e) { write_send_result(w, *e.result, q->config.fifo); }));
      });
}

RUNNEL_SQS_OP(receive_message) {
  RUNNEL_SQS_QUEUE(q);
  ReceiveOptions o;
  auto int_member = [&](const char* name, int lo, int hi, int& out) -> Status {
    auto it = body.FindMember(name);
    if (it == body.MemberEnd() || it->value.IsNull()) return ok_status();
    if (!it->value.IsInt() || it->value.GetInt() < lo || it->value.GetInt() > hi)
      return invalid_parameter(fmt::format("Value {} for parameter {} is invalid. Reason: Must be between {} and {}, if provided.",
                                           it->value.IsInt() ? std::to_string(it->value.GetInt()) : std::string("(not an integer)"),
                                           name, lo, hi));
    out = it->value.GetInt();
    return ok_status();
  };
  int wait = -1;
  for (auto s : {int_member("MaxNumberOfMessages", 1, 10, o.max_messages), int_member("VisibilityTimeout", 0, 43200, o.visibility_timeout),
                 int_member("WaitTimeSeconds", 0, 20, wait)})
    if (!s.ok()) return reply(s.error());
  auto names = [&](const char* member, std::vector<std::string>& out, bool& all) {
    auto it = body.FindMember(member);
    if (it == body.MemberEnd() || !it->value.IsArray()) return;
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString()) continue;
      std::string n = v.GetString();
      if (n == "All") all = true;
      out.push_back(std::move(n));
    }
  };
  names("AttributeNames", o.system_names, o.all_system);
  names("MessageSystemAttributeNames", o.system_names, o.all_system);
  names("MessageAttributeNames", o.user_names, o.all_user);
  if (auto it = body.FindMember("ReceiveRequestAttemptId"); it != body.MemberEnd() && it->value.IsString())
    o.attempt_id = it->value.GetString();
  {
    std::lock_guard lock(q->mu);
    if (wait < 0) wait = q->config.receive_wait_time;
  }
  o.deadline_ms = wait > 0 ? wall_ms() + static_cast<int64_t>(wait) * 1000 : 0;
  auto options = std::make_shared<const ReceiveOptions>(o);
  // The commit hands over what was taken; the bodies are read and the answer rendered on the
  // writer's completion thread, never on the commit thread.
  svc.receive(q, std::move(o), [&svc, options, reply = std::move(reply)](Result<Received> received) {
    if (!received.ok()) return reply(std::move(received).error());
    if (received->taken.empty()) return reply(std::string("{}"));
    reply(Service::render_received(*received->queue, svc.read_received(*received), *options));
  });
}

RUNNEL_SQS_OP(delete_message) {
  RUNNEL_SQS_QUEUE(q);
  auto handle = receipt_handle(body);
  if (!handle.ok()) return reply(handle.error());
  svc.writer().run<Ok>(
      [&svc, q, handle = *handle](storage::WriteTxn& txn) { return handle_change(svc, txn, q, handle, -1, wall_ms()); },
      [reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(std::move(status).error());
        reply(std::string("{}"));
      });
}

RUNNEL_SQS_OP(change_message_visibility) {
  RUNNEL_SQS_QUEUE(q);
  auto handle = receipt_handle(body);
  if (!handle.ok()) return reply(handle.error());
  auto vt = visibility_param(body);
  if (!vt.ok()) return reply(vt.error());
  svc.writer().run<Ok>(
      [&svc, q, handle = *handle, vt = *vt](storage::WriteTxn& txn) { return handle_change(svc, txn, q, handle, vt, wall_ms()); },
      [reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(std::move(status).error());
        reply(std::string("{}"));
      });
}

// DeleteMessageBatch and ChangeMessageVisibilityBatch share everything but the entry's action.
static void handle_batch(Service& svc, const protocol::RequestContext& ctx, const rapidjson::Document& body,
                         protocol::JsonReply reply, bool visibility) {
  RUNNEL_SQS_QUEUE(q);
  auto entries = batch_entries(body, visibility ? "ChangeMessageVisibilityBatchRequestEntry" : "DeleteMessageBatchRequestEntry");
  if (!entries.ok()) return reply(entries.error());
  struct Entry {
    std::string id;
    Result<std::string> handle = ApiError::internal("");
    Result<int> vt = -1;
    Status status = ok_status();
  };
  auto batch = std::make_shared<std::vector<Entry>>();
  for (const auto& e : (*entries)->GetArray()) {
    Entry entry;
    entry.id = e["Id"].GetString();
    entry.handle = receipt_handle(e);
    if (visibility) entry.vt = visibility_param(e);
    batch->push_back(std::move(entry));
  }
  svc.writer().run<Ok>(
      [&svc, q, batch](storage::WriteTxn& txn) -> Status {
        int64_t now = wall_ms();
        for (auto& e : *batch) {
          if (!e.handle.ok()) e.status = e.handle.error();
          else if (!e.vt.ok()) e.status = e.vt.error();
          else e.status = handle_change(svc, txn, q, *e.handle, *e.vt, now);
        }
        return ok_status();
      },
      [batch, reply = std::move(reply)](Status status) {
        if (!status.ok()) return reply(status.error());
        reply(render_batch(
            *batch, [](const auto& e) { return e.status.ok() ? nullptr : &e.status.error(); },
            [](JsonWriter&, const auto&) {}));
      });
}

RUNNEL_SQS_OP(delete_message_batch) { handle_batch(svc, ctx, body, std::move(reply), false); }
RUNNEL_SQS_OP(change_message_visibility_batch) { handle_batch(svc, ctx, body, std::move(reply), true); }

}  // namespace runnel::sqs
