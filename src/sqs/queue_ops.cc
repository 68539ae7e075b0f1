// Queue management: Create/GetUrl/List/Delete/Purge, attributes, tags, permissions, dead-letter
// sources; and the registry of every SQS operation.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
#include <chrono>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_parse.h"
#include "common/json_write.h"
#include "common/clock.h"
#include "common/base64.h"
#include "sqs/access.h"
#include "sqs/operations.h"
#include "storage/key_codec.h"

namespace runnel::sqs {

namespace {

using StringMap = std::map<std::string, std::string>;

Result<std::string> string_param(const rapidjson::Value& body, const char* name) {
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull()) return missing_parameter(name);
  if (!it->value.IsString()) return invalid_parameter(fmt::format("The parameter {} must be a string.", name));
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<StringMap> string_map(const rapidjson::Value& body, const char* name) {
  StringMap out;
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull()) return out;
  if (!it->value.IsObject()) return invalid_parameter(fmt::format("The parameter {} must be a map.", name));
  for (const auto& m : it->value.GetObject()) {
    if (!m.value.IsString()) return invalid_parameter(fmt::format("The values of {} must be strings.", name));
    out[m.name.GetString()] = std::string(m.value.GetString(), m.value.GetStringLength());
  }
  return out;
}

std::vector<std::string> string_list(const rapidjson::Value& body, const char* name) {
  std::vector<std::string> out;
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

Status validate_queue_name(std::string_view name, bool fifo) {
  std::string_view base = name;
  bool has_suffix = name.ends_with(".fifo");
  if (has_suffix) base.remove_suffix(5);
  bool chars_ok = !base.empty() && name.size() <= 80;
  for (char c : base) chars_ok = chars_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  if (fifo || has_suffix) {
    if (!chars_ok || !has_suffix || !fifo)
      return invalid_parameter(
          "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.");
    return ok_status();
  }
  if (!chars_ok) return invalid_parameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  return ok_status();
}

// The value GetQueueAttributes reports for a settable attribute that was never set.
std::optional<std::string> default_attribute(const QueueConfig& c, std::string_view name) {
  if (name == "VisibilityTimeout") return std::to_string(c.visibility_timeout);
  if (name == "MaximumMessageSize") return std::to_string(c.maximum_message_size);
  if (name == "MessageRetentionPeriod") return std::to_string(c.message_retention_period);
  if (name == "DelaySeconds") return std::to_string(c.delay_seconds);
  if (name == "ReceiveMessageWaitTimeSeconds") return std::to_string(c.receive_wait_time);
  if (name == "SqsManagedSseEnabled") return std::string("true");
  if (c.fifo) {
    if (name == "FifoQueue") return std::string("true");
    if (name == "ContentBasedDeduplication") return std::string(c.content_based_dedup ? "true" : "false");
    if (name == "DeduplicationScope") return std::string("queue");
    if (name == "FifoThroughputLimit") return std::string("perQueue");
  }
  return std::nullopt;
}

constexpr const char* kAllAttributes[] = {
    "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
    "ApproximateNumberOfMessagesDelayed", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue",
    "ContentBasedDeduplication", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope",
    "FifoThroughputLimit", "RedriveAllowPolicy", "SqsManagedSseEnabled"};

// The dead-letter queue a redrive policy names must exist and be of the same type.
Status check_dead_letter_target(Service& svc, const QueueConfig& c) {
  if (!c.redrive) return ok_status();
  auto dlq = svc.find_arn(c.redrive->dead_letter_arn);
  std::string policy = c.raw.count("RedrivePolicy") ? c.raw.at("RedrivePolicy") : "";
  if (!dlq)
    return invalid_parameter(fmt::format("Value {} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", policy));
  bool fifo = false;
  {
    std::lock_guard lock(dlq->mu);
    fifo = dlq->config.fifo;
  }
  if (fifo != c.fifo)
    return invalid_parameter(fmt::format(
        "Value {} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", policy));
  return ok_status();
}

// Deletes every stored record of a queue id (messages, states, dedup ids, counter), after the
// commit that stopped using it (DeleteQueue, PurgeQueue's new id). Queue ids are never reused, so
// from that commit on the records are unreachable: the range deletes need no place in the writer's
// batch, and one a crash loses leaves only unreachable records (storage::Engine::delete_range).
void drop_queue_id(Service& svc, uint64_t id) {
  for (char tag : {'m', 's', 'd', 'n'}) {
    std::string lo(1, tag), hi(1, tag);
    storage::append_u64(lo, id);
    storage::append_u64(hi, id + 1);
    auto family = tag == 's' ? storage::Family::kQueueStates : storage::Family::kQueues;
    (void)svc.engine().delete_range(family, lo, hi);  // as before: a failure only leaves garbage
  }
}

// Submits a step that changes a queue under its lock, answering `ok_body` after the commit.
void queue_step(Service& svc, const std::shared_ptr<Queue>& q, std::function<Status(storage::WriteTxn&, Queue&)> change,
                protocol::JsonReply reply, std::string ok_body = "{}") {
  svc.writer().run<Ok>(
      [&svc, q, change = std::move(change)](storage::WriteTxn& txn) -> Status {
        std::lock_guard lock(q->mu);
        if (q->deleted) return queue_does_not_exist();
        RUNNEL_CHECK(change(txn, *q));
        q->modified_s = wall_ms() / 1000;
        svc.put_queue(txn, q);
        return ok_status();
      },
      [reply = std::move(reply), ok_body = std::move(ok_body)](Status status) {
        if (!status.ok()) return reply(std::move(status).error());
        reply(ok_body);
      });
}

std::string url_reply(const Queue& q, std::string_view host) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "QueueUrl", q.url(host));
  w.EndObject();
  return finish_json(sb);
}

// CreateQueue on an existing name succeeds only if every attribute given equals the queue's.
Status same_attributes(const Queue& q, const StringMap& given) {
  for (const auto& [name, value] : given) {
    auto it = q.config.raw.find(name);
    std::optional<std::string> current = it != q.config.raw.end() ? std::optional(it->second) : default_attribute(q.config, name);
    if (current != value)
      return sqs_error("QueueNameExists", "QueueAlreadyExists",
                       fmt::format("A queue already exists with the same name and a different value for attribute {}", name));
  }
  return ok_status();
}

}  // namespace

RUNNEL_SQS_OP(create_queue) {
  auto name = string_param(body, "QueueName");
  if (!name.ok()) return reply(name.error());
  auto attributes = string_map(body, "Attributes");
  if (!attributes.ok()) return reply(attributes.error());
  auto tags = string_map(body, "tags");
  if (!tags.ok()) return reply(tags.error());
  auto q = std::make_shared<Queue>();
  q->account = ctx.account;
  q->region = ctx.region;
  q->name = *name;
  if (auto s = apply_attributes(q->config, *attributes, true); !s.ok()) return reply(s.error());
  if (auto s = validate_queue_name(*name, q->config.fifo); !s.ok()) return reply(s.error());
  if (tags->size() > 50) return reply(invalid_parameter("Too many tags added for queue " + *name + "."));
  q->tags = std::move(*tags);
  // The step's value: the queue whose URL answers (the existing one when the name is taken).
  svc.writer().run<std::shared_ptr<Queue>>(
      [&svc, q, attributes = std::move(*attributes)](storage::WriteTxn& txn) -> Result<std::shared_ptr<Queue>> {
        if (auto existing = svc.find(q->account, q->region, q->name)) {
          std::lock_guard lock(existing->mu);
          if (auto same = same_attributes(*existing, attributes); !same.ok()) return same.error();
          return existing;
        }
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
        if (svc.deleted_recently(*q, wall_ms()))
          return sqs_error("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
                           "You must wait 60 seconds after deleting a queue before you can create another with the same name.");
        if (auto s = check_dead_letter_target(svc, q->config); !s.ok()) return s.error();
        std::lock_guard lock(q->mu);
        q->id = svc.allocate_queue_id(txn);
        q->created_s = q->modified_s = wall_ms() / 1000;
        svc.put_queue(txn, q);
        return q;
      },
      [host = ctx.host, reply = std::move(reply)](Result<std::shared_ptr<Queue>> queue) {
        if (!queue.ok()) return reply(queue.error());
        reply(url_reply(**queue, host));
      });
}

RUNNEL_SQS_OP(get_queue_url) {
  auto name = string_param(body, "QueueName");
  if (!name.ok()) return reply(name.error());
  std::string account = ctx.account;
  if (auto it = body.FindMember("QueueOwnerAWSAccountId"); it != body.MemberEnd() && it->value.IsString())
    account = it->value.GetString();
  auto q = svc.find(account, ctx.region, *name);
  // Another account's queue URL is handed out only to whom its policy allows sqs:GetQueueUrl.
  if (auto s = authorize(ctx, account, q.get(), "sqs:GetQueueUrl"); !s.ok()) return reply(s.error());
  if (!q) return reply(queue_does_not_exist());
  reply(url_reply(*q, ctx.host));
}

RUNNEL_SQS_OP(list_queues) {
  std::string prefix;
  if (auto it = body.FindMember("QueueNamePrefix"); it != body.MemberEnd() && it->value.IsString()) prefix = it->value.GetString();
  int max = 1000;
  bool paged = false;
  if (auto it = body.FindMember("MaxResults"); it != body.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsInt() || it->value.GetInt() < 1 || it->value.GetInt() > 1000)
      return reply(invalid_parameter("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."));
    max = it->value.GetInt();
    paged = true;
  }
  std::string after;
  if (auto it = body.FindMember("NextToken"); it != body.MemberEnd() && it->value.IsString()) {
    auto decoded = base64_decode(it->value.GetString());
    if (!decoded) return reply(invalid_parameter("Invalid NextToken value."));
    after = *decoded;
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  int count = 0;
  std::string last;
  bool more = false;
  bool opened = false;
  for (const auto& q : svc.list(ctx.account, ctx.region)) {
    if (!q->name.starts_with(prefix) || (!after.empty() && q->name <= after)) continue;
    if (count == max) {
      more = true;
      break;
    }
    if (!opened) {
      w.Key("QueueUrls");
      w.StartArray();
      opened = true;
    }
    std::string url = q->url(ctx.host);
    w.String(url.c_str(), static_cast<rapidjson::SizeType>(url.size()));
    last = q->name;
    ++count;
  }
  if (opened) w.EndArray();
  if (more && paged) key_string(w, "NextToken", base64_encode(last));
  w.EndObject();
  reply(finish_json(sb));
}

RUNNEL_SQS_OP(delete_queue) {
  RUNNEL_SQS_QUEUE(q);
  // The step's value: the id whose messages go, and the long polls that were waiting on the queue.
  struct Deleted {
    uint64_t old_id = 0;
    std::deque<std::shared_ptr<Waiter>> waiters;
  };
  svc.writer().run<Deleted>(
      [&svc, q](storage::WriteTxn& txn) -> Result<Deleted> {
        Deleted out;
        std::lock_guard lock(q->mu);
        if (q->deleted) return out;  // deleted meanwhile: nothing more to do
        q->deleted = true;
        out.old_id = q->id;
        out.waiters.swap(q->waiters);
        svc.remove_queue(txn, q);
        return out;
      },
      [&svc, reply = std::move(reply)](Result<Deleted> deleted) {
        if (!deleted.ok()) return reply(deleted.error());
        if (deleted->old_id) drop_queue_id(svc, deleted->old_id);
        for (const auto& w : deleted->waiters)
          if (!w->claimed.exchange(true)) w->done(Received{w->queue, 0, {}, {}});  // the queue is gone: nothing
        reply(std::string("{}"));
      });
}

RUNNEL_SQS_OP(purge_queue) {
  RUNNEL_SQS_QUEUE(q);
  auto old_id = std::make_shared<uint64_t>(0);
  auto change = [&svc, old_id](storage::WriteTxn& txn, Queue& queue) -> Status {
    int64_t now = wall_ms();
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html
    if (queue.purged_ms && now - queue.purged_ms < 60000)
      return sqs_error("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
                       fmt::format("Only one PurgeQueue operation on {} is allowed every 60 seconds.", queue.name), 403);
    // A purge gives the queue a new storage id: one definition write now, the old messages
    // deleted by range after the commit.
    *old_id = queue.id;
    queue.id = svc.allocate_queue_id(txn);
    queue.purged_ms = now;
    queue.messages.clear();
    queue.ready.clear();
    queue.hidden.clear();
    queue.groups.clear();
    queue.attempts.clear();
    return ok_status();
  };
  queue_step(svc, q, change, [&svc, old_id, reply = std::move(reply)](Result<std::string> r) {
    if (r.ok() && *old_id) drop_queue_id(svc, *old_id);
    reply(std::move(r));
  });
}

RUNNEL_SQS_OP(get_queue_attributes) {
  RUNNEL_SQS_QUEUE(q);
  std::vector<std::string> names = string_list(body, "AttributeNames");
  StringMap out;
  std::lock_guard lock(q->mu);
  int64_t visible = 0, in_flight = 0, delayed = 0;
  bool counted = false;
  for (const auto& requested : names) {
    bool all = requested == "All";
    bool known = all;
    for (const char* name : kAllAttributes) {
      if (!all && requested != name) continue;
      known = true;
      std::string_view n = name;
      if (n.starts_with("ApproximateNumber")) {
        if (!counted) q->counts(wall_ms(), visible, in_flight, delayed), counted = true;
        out[name] = std::to_string(n == "ApproximateNumberOfMessages" ? visible
                                   : n == "ApproximateNumberOfMessagesNotVisible" ? in_flight
                                                                                 : delayed);
      } else if (n == "QueueArn") {
        out[name] = q->arn();
      } else if (n == "CreatedTimestamp") {
        out[name] = std::to_string(q->created_s);
      } else if (n == "LastModifiedTimestamp") {
        out[name] = std::to_string(q->modified_s);
      } else if (auto it = q->config.raw.find(name); it != q->config.raw.end()) {
        out[name] = it->second;
      } else if (auto d = default_attribute(q->config, name)) {
        out[name] = *d;
      }
    }
    if (!known)
      return reply(sqs_error("InvalidAttributeName", "InvalidAttributeName", fmt::format("Unknown Attribute {}.", requested)));
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  if (!out.empty()) key_string_map(w, "Attributes", out);
  w.EndObject();
  reply(finish_json(sb));
}

RUNNEL_SQS_OP(set_queue_attributes) {
  RUNNEL_SQS_QUEUE(q);
  auto attributes = string_map(body, "Attributes");
  if (!attributes.ok()) return reply(attributes.error());
  queue_step(svc, q, [&svc, attributes = std::move(*attributes)](storage::WriteTxn&, Queue& queue) -> Status {
    QueueConfig next = queue.config;
    RUNNEL_CHECK(apply_attributes(next, attributes, false));
    RUNNEL_CHECK(check_dead_letter_target(svc, next));
    queue.config = std::move(next);
    return ok_status();
  }, std::move(reply));
}

RUNNEL_SQS_OP(tag_queue) {
  RUNNEL_SQS_QUEUE(q);
  auto tags = string_map(body, "Tags");
  if (!tags.ok()) return reply(tags.error());
  // Checked before the writer too, so a request with 100,000 tags never reaches its step.
  if (tags->size() > 50) return reply(invalid_parameter("Too many tags added for queue " + q->name + "."));
  queue_step(svc, q, [tags = std::move(*tags)](storage::WriteTxn&, Queue& queue) -> Status {
    StringMap next = queue.tags;
    for (const auto& [k, v] : tags) next[k] = v;
    if (next.size() > 50) return invalid_parameter("Too many tags added for queue " + queue.name + ".");
    queue.tags = std::move(next);
    return ok_status();
  }, std::move(reply));
}

RUNNEL_SQS_OP(untag_queue) {
  RUNNEL_SQS_QUEUE(q);
  queue_step(svc, q, [keys = string_list(body, "TagKeys")](storage::WriteTxn&, Queue& queue) -> Status {
    for (const auto& k : keys) queue.tags.erase(k);
    return ok_status();
  }, std::move(reply));
}

RUNNEL_SQS_OP(list_queue_tags) {
  RUNNEL_SQS_QUEUE(q);
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  {
    std::lock_guard lock(q->mu);
    if (!q->tags.empty()) key_string_map(w, "Tags", q->tags);
  }
  w.EndObject();
  reply(finish_json(sb));
}

RUNNEL_SQS_OP(list_dead_letter_source_queues) {
  RUNNEL_SQS_QUEUE(q);
  std::string arn = q->arn();
  int max = 1000;
  if (auto it = body.FindMember("MaxResults"); it != body.MemberEnd() && it->value.IsInt()) max = it->value.GetInt();
  std::string after;
  if (auto it = body.FindMember("NextToken"); it != body.MemberEnd() && it->value.IsString())
    after = base64_decode(it->value.GetString()).value_or("");
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("queueUrls");
  w.StartArray();
  int count = 0;
  std::string last;
  bool more = false;
  for (const auto& source : svc.list(ctx.account, ctx.region)) {
    bool points_here = false;
    {
      std::lock_guard lock(source->mu);
      points_here = source->config.redrive && source->config.redrive->dead_letter_arn == arn;
    }
    if (!points_here || (!after.empty() && source->name <= after)) continue;
    if (count == max) {
      more = true;
      break;
    }
    std::string url = source->url(ctx.host);
    w.String(url.c_str(), static_cast<rapidjson::SizeType>(url.size()));
    last = source->name;
    ++count;
  }
  w.EndArray();
  if (more) key_string(w, "NextToken", base64_encode(last));
  w.EndObject();
  reply(finish_json(sb));
}

RUNNEL_SQS_OP(add_permission) {
  RUNNEL_SQS_QUEUE(q);
  auto label = string_param(body, "Label");
  if (!label.ok()) return reply(label.error());
  auto accounts = string_list(body, "AWSAccountIds");
  auto actions = string_list(body, "Actions");
  if (accounts.empty()) return reply(missing_parameter("AWSAccountIds"));
  if (actions.empty()) return reply(missing_parameter("Actions"));
  queue_step(svc, q, [label = *label, accounts, actions](storage::WriteTxn&, Queue& queue) -> Status {
    rapidjson::Document policy;
    auto raw = queue.config.raw.find("Policy");
    if (raw != queue.config.raw.end()) json::parse(policy, raw->second);
    if (raw == queue.config.raw.end() || policy.HasParseError() || !policy.IsObject()) {
      policy.SetObject();
      auto& a = policy.GetAllocator();
      policy.AddMember("Version", "2012-10-17", a);
      policy.AddMember("Id", rapidjson::Value((queue.arn() + "/SQSDefaultPolicy").c_str(), a), a);
      policy.AddMember("Statement", rapidjson::Value(rapidjson::kArrayType), a);
    }
    auto& a = policy.GetAllocator();
    for (const auto& s : policy["Statement"].GetArray())
      if (s.HasMember("Sid") && s["Sid"].IsString() && label == s["Sid"].GetString())
        return invalid_parameter(fmt::format("Value {} for parameter Label is invalid. Reason: Already exists.", label));
    rapidjson::Value statement(rapidjson::kObjectType), principals(rapidjson::kArrayType), acts(rapidjson::kArrayType);
    for (const auto& acct : accounts) principals.PushBack(rapidjson::Value(fmt::format("arn:aws:iam::{}:root", acct).c_str(), a), a);
    for (const auto& act : actions) acts.PushBack(rapidjson::Value(("SQS:" + act).c_str(), a), a);
    rapidjson::Value principal(rapidjson::kObjectType);
    principal.AddMember("AWS", principals, a);
    statement.AddMember("Sid", rapidjson::Value(label.c_str(), a), a);
    statement.AddMember("Effect", "Allow", a);
    statement.AddMember("Principal", principal, a);
    statement.AddMember("Action", acts, a);
    statement.AddMember("Resource", rapidjson::Value(queue.arn().c_str(), a), a);
    policy["Statement"].PushBack(statement, a);
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    policy.Accept(w);
    queue.config.raw["Policy"] = finish_json(sb);
    return ok_status();
  }, std::move(reply));
}

RUNNEL_SQS_OP(remove_permission) {
  RUNNEL_SQS_QUEUE(q);
  auto label = string_param(body, "Label");
  if (!label.ok()) return reply(label.error());
  queue_step(svc, q, [label = *label](storage::WriteTxn&, Queue& queue) -> Status {
    auto not_found = invalid_parameter(
        fmt::format("Value {} for parameter Label is invalid. Reason: can't find label on existing policy.", label));
    auto raw = queue.config.raw.find("Policy");
    if (raw == queue.config.raw.end()) return not_found;
    rapidjson::Document policy;
    json::parse(policy, raw->second);
    if (policy.HasParseError() || !policy.IsObject() || !policy.HasMember("Statement")) return not_found;
    auto& statements = policy["Statement"];
    bool found = false;
    for (auto it = statements.Begin(); it != statements.End(); ++it) {
      if (it->HasMember("Sid") && (*it)["Sid"].IsString() && label == (*it)["Sid"].GetString()) {
        statements.Erase(it);
        found = true;
        break;
      }
    }
    if (!found) return not_found;
    if (statements.Empty()) {
      queue.config.raw.erase("Policy");
      return ok_status();
    }
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    policy.Accept(w);
    queue.config.raw["Policy"] = finish_json(sb);
    return ok_status();
  }, std::move(reply));
}

void Service::register_operations(protocol::JsonService& json) {
  using Fn = void (*)(Service&, const protocol::RequestContext&, const rapidjson::Document&, protocol::JsonReply);
  auto add = [&](const char* name, protocol::OperationTraits traits, Fn fn) {
    json.add(name, traits, [this, fn](const protocol::RequestContext& ctx, const rapidjson::Document& body,
                              protocol::JsonReply reply) { fn(*this, ctx, body, std::move(reply)); });
  };
  add("CreateQueue", protocol::kWrites, create_queue);
  add("GetQueueUrl", protocol::kReads, get_queue_url);
  add("ListQueues", protocol::kReads, list_queues);
  add("DeleteQueue", protocol::kWrites, delete_queue);
  add("PurgeQueue", protocol::kWrites, purge_queue);
  add("GetQueueAttributes", protocol::kReads, get_queue_attributes);
  add("SetQueueAttributes", protocol::kWrites, set_queue_attributes);
  add("TagQueue", protocol::kWrites, tag_queue);
  add("UntagQueue", protocol::kWrites, untag_queue);
  add("ListQueueTags", protocol::kReads, list_queue_tags);
  add("ListDeadLetterSourceQueues", protocol::kReads, list_dead_letter_source_queues);
  add("AddPermission", protocol::kWrites, add_permission);
  add("RemovePermission", protocol::kWrites, remove_permission);
  add("SendMessage", protocol::kWrites, send_message);
  add("SendMessageBatch", protocol::kWrites, send_message_batch);
  add("ReceiveMessage", {.mutating = true, .long_poll = true}, receive_message);
  add("DeleteMessage", protocol::kWrites, delete_message);
  add("DeleteMessageBatch", protocol::kWrites, delete_message_batch);
  add("ChangeMessageVisibility", protocol::kWrites, change_message_visibility);
  add("ChangeMessageVisibilityBatch", protocol::kWrites, change_message_visibility_batch);
  add("StartMessageMoveTask", protocol::kWrites, start_message_move_task);
  add("ListMessageMoveTasks", protocol::kReads, list_message_move_tasks);
  add("CancelMessageMoveTask", protocol::kWrites, cancel_message_move_task);
}

}  // namespace runnel::sqs
