// The apply-thread core of SQS: sending, receiving, deleting, visibility, redrive, and the long-poll
// machinery around them. Every state change happens inside a writer step with the queue's mutex
// held, and is staged into that step's batch: acknowledged means durable.
#include <algorithm>
#include <chrono>
#include <future>
#include <set>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "common/json_parse.h"
#include "common/clock.h"
#include "sqs/access.h"
#include "sqs/service.h"
#include "storage/key_codec.h"

namespace runnel::sqs {

namespace {

constexpr int64_t kDedupWindowMs = 5 * 60 * 1000;
constexpr std::string_view kQueuePrefix = "sqs/q/";
constexpr std::string_view kNextQueueIdKey = "sqs/next";

std::string key3(char tag, uint64_t a, uint64_t b) {
  std::string k(1, tag);
  storage::append_u64(k, a);
  storage::append_u64(k, b);
  return k;
}

bool valid_fifo_token(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

}  // namespace

std::string message_key(uint64_t queue_id, uint64_t seq) { return key3('m', queue_id, seq); }
std::string state_key(uint64_t queue_id, uint64_t seq) { return key3('s', queue_id, seq); }
std::string dedup_key(uint64_t queue_id, std::string_view dedup_id) {
  std::string k(1, 'd');
  storage::append_u64(k, queue_id);
  k.append(dedup_id);
  return k;
}

Service::Service(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler)
    : engine_(engine), writer_(writer), scheduler_(scheduler) {}

Service::~Service() = default;

std::string Service::queue_key(const Queue& q) const {
  return fmt::format("{}{}/{}/{}", kQueuePrefix, q.account, q.region, q.name);
}

// Stores written before the queue_states family kept the state keys (`s|queue|seq`) in `queues`,
// between the message keys. Moves them over once, in batches, each durable before the next, and
// each a put in the new family with the delete in the old: a crash between batches leaves every
// state in exactly one family, and the next start moves the rest. Each batch starts after the last
// key moved, so it does not step over the deletes of the batches before it (which would make a
// large store's move quadratic). Returns how many moved.
// The batches are storage::Batch writes, straight to the store and synced, not writer steps: this
// runs in start() before any request can reach the writer, and a batch of 10,000 moves would not
// fit the writer's promise of short steps; each is atomic and durable before the next is read.
Result<size_t> move_state_keys(storage::Engine& engine) {
  size_t moved = 0;
  std::string from = "s";
  for (;;) {
    storage::Batch batch(engine);
    storage::Cursor it = engine.scan(storage::Family::kQueues);
    size_t n = 0;
    for (it.seek(from); it.valid() && it.key().starts_with("s") && n < 10000; it.next(), ++n) {
      batch.put(storage::Family::kQueueStates, it.key(), it.value());
      batch.del(storage::Family::kQueues, it.key());
      from = it.key();
    }
    if (!it.ok()) return ApiError::internal("reading queue states: " + it.error());
    if (n == 0) return moved;
    auto s = engine.write_synced(batch);
    if (!s.ok()) return ApiError::internal("moving queue states: " + s.error().message);
    moved += n;
    from.push_back('\0');  // the smallest key after the last one moved
  }
}

Status Service::start() {
  auto moved = move_state_keys(engine_);
  if (!moved.ok()) return moved.error();
  if (*moved) spdlog::info(R"("event":"sqs.states_moved","states":{})", *moved);
  if (auto next = engine_.get(storage::Family::kMeta, kNextQueueIdKey)) next_queue_id_ = std::stoull(*next);
  size_t messages = 0;
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kQueuePrefix); it.valid(); it.next()) {
    auto q = decode_queue(it.value());
    if (!q.ok()) return q.error();
    auto queue = std::move(q).value();
    RUNNEL_CHECK(load_messages(*queue));
    messages += queue->messages.size();
    next_queue_id_ = std::max(next_queue_id_, queue->id + 1);
    queues_[fmt::format("{}/{}/{}", queue->account, queue->region, queue->name)] = queue;
    by_arn_[queue->arn()] = queue;
  }
  spdlog::info(R"("event":"sqs.loaded","queues":{},"messages":{})", queues_.size(), messages);
  return ok_status();
}

Status Service::load_messages(Queue& q) {
  int64_t now = wall_ms();
  std::string lo = key3('s', q.id, 0);
  std::string hi = key3('s', q.id + 1, 0);
  storage::ScanOptions options;
  options.upper = hi;
  storage::Cursor it = engine_.scan(storage::Family::kQueueStates, options);
  for (it.seek(lo); it.valid(); it.next()) {
    auto key = it.key();
    uint64_t seq = 0;
    for (size_t i = 9; i < 17; ++i) seq = (seq << 8) | static_cast<uint8_t>(key[i]);
    auto st = decode_state(it.value());
    if (!st) continue;
    // A message in flight at a crash is in flight until its timeout, as it would have been.
    if (st->visible_at_ms <= now) {
      if (!q.config.fifo) q.ready.push_back(seq);
    } else {
      q.hidden.emplace(st->visible_at_ms, seq);
    }
    if (q.config.fifo) q.groups[st->group].push_back(seq);
    q.messages.emplace(seq, std::move(*st));
    q.next_seq = std::max(q.next_seq, seq + 1);
  }
  if (auto n = engine_.get(storage::Family::kQueues, key3('n', q.id, 0))) q.next_seq = std::max<uint64_t>(q.next_seq, std::stoull(*n));
  // FIFO deduplication ids still inside their window.
  std::string dlo(1, 'd');
  storage::append_u64(dlo, q.id);
  for (storage::Cursor d = engine_.scan_prefix(storage::Family::kQueues, dlo); d.valid(); d.next()) {
    rapidjson::Document doc;
    auto v = d.value();
    json::parse(doc, v);
    if (doc.HasParseError() || !doc.IsObject()) continue;
    DedupEntry e{doc["id"].GetString(), doc["seq"].GetUint64(), doc["exp"].GetInt64()};
    if (e.expires_ms <= now) continue;
    std::string id(d.key().substr(dlo.size()));
    q.dedup_order.emplace_back(e.expires_ms, id);
    q.dedup.emplace(std::move(id), std::move(e));
  }
  std::sort(q.dedup_order.begin(), q.dedup_order.end());
  return ok_status();
}

std::shared_ptr<Queue> Service::find(std::string_view account, std::string_view region, std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = queues_.find(fmt::format("{}/{}/{}", account, region, name));
  return it == queues_.end() ? nullptr : it->second;
}

std::shared_ptr<Queue> Service::find_arn(std::string_view arn) const {
  std::shared_lock lock(mu_);
  auto it = by_arn_.find(arn);
  return it == by_arn_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Queue>> Service::list(std::string_view account, std::string_view region) const {
  std::string prefix = fmt::format("{}/{}/", account, region);
  std::vector<std::shared_ptr<Queue>> out;
  std::shared_lock lock(mu_);
  for (auto it = queues_.lower_bound(prefix); it != queues_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

Result<std::shared_ptr<Queue>> Service::resolve(const protocol::RequestContext& ctx, const rapidjson::Value& body) const {
  std::string url;
  auto it = body.FindMember("QueueUrl");
  if (it != body.MemberEnd() && it->value.IsString()) url.assign(it->value.GetString(), it->value.GetStringLength());
  // Some SDKs POST to the queue URL itself and leave it out of the body.
  if (url.empty() && ctx.path.size() > 1) url = ctx.path;
  if (url.empty()) return missing_parameter("QueueUrl");
  // http(s)://host[:port]/<account>/<name>, or just the path.
  size_t scheme = url.find("://");
  std::string_view path = url;
  if (scheme != std::string::npos) {
    size_t slash = url.find('/', scheme + 3);
    path = slash == std::string::npos ? std::string_view() : std::string_view(url).substr(slash);
  }
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t sep = path.find('/');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 >= path.size()) return queue_does_not_exist();
  auto q = find(path.substr(0, sep), ctx.region, path.substr(sep + 1));
  // Every operation on a queue URL passes here: the cross-account rule is applied once, for all.
  RUNNEL_CHECK(authorize(ctx, path.substr(0, sep), q.get(), iam_action(ctx.operation)));
  if (!q) return queue_does_not_exist();
  return q;
}

bool Service::deleted_recently(const Queue& q, int64_t now_ms) const {
  std::shared_lock lock(mu_);
  auto it = deleted_at_ms_.find(q.arn());
  return it != deleted_at_ms_.end() && now_ms - it->second < 60000;
}

uint64_t Service::allocate_queue_id(storage::WriteTxn& txn) {
  uint64_t id = next_queue_id_++;
  txn.put(storage::Family::kMeta, kNextQueueIdKey, std::to_string(next_queue_id_));
  return id;
}

void Service::put_queue(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q) {
  txn.put(storage::Family::kMeta, queue_key(*q), encode_queue(*q));
  std::unique_lock lock(mu_);
  queues_[fmt::format("{}/{}/{}", q->account, q->region, q->name)] = q;
  by_arn_[q->arn()] = q;
}

void Service::remove_queue(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q) {
  txn.del(storage::Family::kMeta, queue_key(*q));
  std::unique_lock lock(mu_);
  int64_t now = wall_ms();
  std::erase_if(deleted_at_ms_, [&](const auto& e) { return now - e.second >= 60000; });
  deleted_at_ms_[q->arn()] = now;
  queues_.erase(fmt::format("{}/{}/{}", q->account, q->region, q->name));
  by_arn_.erase(q->arn());
}

void Service::write_state(storage::WriteTxn& txn, const Queue& q, uint64_t seq, const MessageState& st) {
  txn.put(storage::Family::kQueueStates, state_key(q.id, seq), encode_state(st));
}

Result<SendResult> Service::send_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, MessageInput m,
                                        int64_t now_ms) {
  const QueueConfig& cfg = q->config;
  if (cfg.fifo) {
    if (m.group_id.empty()) return missing_parameter("MessageGroupId");
    if (m.delay_seconds && *m.delay_seconds != 0)
      return invalid_parameter(fmt::format(
          "Value {} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.",
          *m.delay_seconds));
    if (m.dedup_id.empty()) {
      if (!cfg.content_based_dedup)
        return invalid_parameter(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      m.dedup_id = sha256_hex(m.body);
    }
    if (!valid_fifo_token(m.group_id))
      return invalid_parameter(fmt::format("Value {} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", m.group_id));
    if (!valid_fifo_token(m.dedup_id))
      return invalid_parameter(fmt::format("Value {} for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.", m.dedup_id));
  } else if (!m.dedup_id.empty()) {
    return invalid_parameter(fmt::format(
        "Value {} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.",
        m.dedup_id));
  }
  if (message_size(m) > static_cast<size_t>(cfg.maximum_message_size))
    return invalid_parameter(fmt::format("One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
                                         cfg.maximum_message_size));

  StoredMessage stored;
  stored.md5_body = md5_hex(m.body);
  stored.md5_attributes = md5_of_attributes(m.attributes);
  stored.md5_system = md5_of_attributes(m.system_attributes);
  if (cfg.fifo) {
    // A duplicate inside the 5-minute window is accepted and answered as the original, and not
    // delivered again. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
    auto d = q->dedup.find(m.dedup_id);
    if (d != q->dedup.end() && d->second.expires_ms > now_ms)
      return SendResult{d->second.message_id, stored.md5_body, stored.md5_attributes, stored.md5_system, d->second.seq};
  }
  uint64_t seq = q->next_seq++;
  if (m.message_id.empty()) m.message_id = new_message_id();
  if (m.sent_ms == 0) m.sent_ms = now_ms;
  stored.sequence = seq;
  int delay = m.delay_seconds.value_or(cfg.delay_seconds);
  MessageState st;
  st.visible_at_ms = now_ms + static_cast<int64_t>(delay) * 1000;
  st.sent_ms = m.sent_ms;
  st.size = static_cast<uint32_t>(message_size(m));
  st.group = m.group_id;
  SendResult result{m.message_id, stored.md5_body, stored.md5_attributes, stored.md5_system, seq};
  stored.input = std::move(m);
  txn.put(storage::Family::kQueues, message_key(q->id, seq), encode_stored(stored));
  write_state(txn, *q, seq, st);
  bool visible = st.visible_at_ms <= now_ms;
  if (cfg.fifo) {
    q->groups[st.group].push_back(seq);
    DedupEntry e{result.message_id, seq, now_ms + kDedupWindowMs};
    txn.put(storage::Family::kQueues, dedup_key(q->id, stored.input.dedup_id),
            fmt::format(R"({{"id":"{}","seq":{},"exp":{}}})", e.message_id, e.seq, e.expires_ms));
    q->dedup_order.emplace_back(e.expires_ms, stored.input.dedup_id);
    q->dedup[stored.input.dedup_id] = std::move(e);
    txn.put(storage::Family::kQueues, key3('n', q->id, 0), std::to_string(q->next_seq));
  } else if (visible) {
    q->ready.push_back(seq);
  }
  if (!visible) q->hidden.emplace(st.visible_at_ms, seq);
  q->messages.emplace(seq, std::move(st));
  if (visible) {
    if (!q->waiters.empty()) hand_off_locked(txn, q, now_ms);
    txn.on_commit([this, q](bool ok) {
      if (ok) wake(q, 1);
    });
  } else {
    schedule_visibility_wake(q, now_ms);
  }
  return result;
}

Result<SendResult> Service::enqueue(storage::WriteTxn& txn, std::string_view queue_arn, MessageInput message) {
  auto q = find_arn(queue_arn);
  if (!q) return queue_does_not_exist();
  std::lock_guard lock(q->mu);
  if (q->deleted) return queue_does_not_exist();
  return send_locked(txn, q, std::move(message), wall_ms());
}

void Service::delete_locked(storage::WriteTxn& txn, Queue& q, uint64_t seq) {
  auto it = q.messages.find(seq);
  if (it == q.messages.end()) return;
  txn.del(storage::Family::kQueues, message_key(q.id, seq));
  txn.del(storage::Family::kQueueStates, state_key(q.id, seq));
  if (q.config.fifo) {
    auto g = q.groups.find(it->second.group);
    if (g != q.groups.end()) {
      auto pos = std::find(g->second.begin(), g->second.end(), seq);
      if (pos != g->second.end()) g->second.erase(pos);
      if (g->second.empty()) q.groups.erase(g);
    }
  }
  q.messages.erase(it);
}

void Service::delete_received_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, const ReceiptHandle& h) {
  auto it = q->messages.find(h.seq);
  // Deleting a deleted message, or with a superseded handle, succeeds and changes nothing.
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
  if (h.queue_id != q->id || it == q->messages.end() || it->second.nonce != h.nonce) return;
  delete_locked(txn, *q, h.seq);
  // A FIFO group whose head this was may hand its next message to a waiting long poll now.
  if (q->config.fifo && !q->waiters.empty())
    txn.on_commit([this, q](bool ok) {
      if (ok) wake(q, 1);
    });
}

void Service::redrive_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, uint64_t seq, int64_t now_ms) {
  auto dlq = find_arn(q->config.redrive->dead_letter_arn);
  auto stored_text = txn.get(storage::Family::kQueues, message_key(q->id, seq));
  auto stored = stored_text ? decode_stored(*stored_text) : std::nullopt;
  if (!dlq || dlq == q || !stored) return;  // no usable dead-letter queue: the message stays
  MessageInput m = std::move(stored->input);
  m.dead_letter_source_arn = q->arn();
  m.delay_seconds.reset();
  if (dlq->config.fifo && m.dedup_id.empty()) m.dedup_id = m.message_id;
  if (dlq->config.fifo && m.group_id.empty()) m.group_id = m.message_id;
  std::lock_guard lock(dlq->mu);
  if (dlq->deleted) return;
  auto moved = send_locked(txn, dlq, std::move(m), now_ms);
  if (moved.ok()) delete_locked(txn, *q, seq);
}

std::vector<std::pair<uint64_t, uint64_t>> Service::receive_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q,
                                                                   const ReceiveOptions& o, int64_t now_ms) {
  std::vector<std::pair<uint64_t, uint64_t>> taken;
  const QueueConfig& cfg = q->config;
  int vt = o.visibility_timeout >= 0 ? o.visibility_timeout : cfg.visibility_timeout;
  int64_t retention_ms = static_cast<int64_t>(cfg.message_retention_period) * 1000;
  // Messages whose delay or visibility timeout has ended join the visible ones.
  while (!q->hidden.empty() && q->hidden.begin()->first <= now_ms) {
    uint64_t seq = q->hidden.begin()->second;
    q->hidden.erase(q->hidden.begin());
    auto it = q->messages.find(seq);
    if (!cfg.fifo && it != q->messages.end() && it->second.visible_at_ms <= now_ms) q->ready.push_back(seq);
  }
  // FIFO ReceiveRequestAttemptId: a retried receive gets the same messages while they are still
  // in flight from that attempt (kept in memory for 5 minutes).
  if (cfg.fifo && !o.attempt_id.empty()) {
    auto a = q->attempts.find(o.attempt_id);
    if (a != q->attempts.end() && a->second.expires_ms > now_ms) {
      for (const auto& [seq, nonce] : a->second.received) {
        auto it = q->messages.find(seq);
        if (it != q->messages.end() && it->second.nonce == nonce && it->second.visible_at_ms > now_ms)
          taken.emplace_back(seq, nonce);
      }
      if (!taken.empty()) return taken;
    }
  }
  std::set<uint64_t> seen;
  size_t bytes = 0;
  // An in-process consumer's byte budget (a mapping's 6 MB payload): at least one message.
  auto over_budget = [&](const MessageState& st) {
    return o.max_bytes != 0 && !taken.empty() && bytes + st.size > o.max_bytes;
  };
  // Returns true when the message was taken; false when it is gone (expired or moved to the DLQ).
  auto take = [&](uint64_t seq, MessageState& st) {
    if (st.sent_ms + retention_ms <= now_ms) {
      delete_locked(txn, *q, seq);
      return false;
    }
    if (cfg.redrive && st.receive_count >= static_cast<uint32_t>(cfg.redrive->max_receive_count)) {
      redrive_locked(txn, q, seq, now_ms);
      if (!q->messages.count(seq)) return false;
    }
    ++st.receive_count;
    if (st.first_receive_ms == 0) st.first_receive_ms = now_ms;
    st.visible_at_ms = now_ms + static_cast<int64_t>(vt) * 1000;
    st.nonce = new_nonce();
    q->hidden.emplace(st.visible_at_ms, seq);
    write_state(txn, *q, seq, st);
    taken.emplace_back(seq, st.nonce);
    bytes += st.size;
    seen.insert(seq);
    return true;
  };
  if (!cfg.fifo) {
    while (taken.size() < static_cast<size_t>(o.max_messages) && !q->ready.empty()) {
      uint64_t seq = q->ready.front();
      q->ready.pop_front();
      auto it = q->messages.find(seq);
      if (it == q->messages.end() || it->second.visible_at_ms > now_ms || seen.count(seq)) continue;
      if (over_budget(it->second)) {
        q->ready.push_front(seq);
        break;
      }
      take(seq, it->second);
    }
    return taken;
  }
  // FIFO: groups in the order of their oldest message; a group whose head is in flight (or
  // delayed) is blocked, so order within a group holds.
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [group, seqs] : q->groups)
    if (!seqs.empty()) order.emplace_back(seqs.front(), group);
  std::sort(order.begin(), order.end());
  for (const auto& [head, group] : order) {
    while (taken.size() < static_cast<size_t>(o.max_messages)) {
      auto g = q->groups.find(group);
      if (g == q->groups.end() || g->second.empty()) break;
      // The group's first message not yet taken in this call.
      uint64_t seq = 0;
      bool found = false;
      for (uint64_t s : g->second) {
        if (seen.count(s)) continue;
        seq = s;
        found = true;
        break;
      }
      if (!found) break;
      auto it = q->messages.find(seq);
      if (it == q->messages.end()) break;
      if (it->second.visible_at_ms > now_ms) break;  // in flight or delayed: the group waits
      if (over_budget(it->second)) break;
      if (!take(seq, it->second) && q->messages.count(seq)) break;
    }
    if (taken.size() >= static_cast<size_t>(o.max_messages)) break;
  }
  if (!o.attempt_id.empty() && !taken.empty()) q->attempts[o.attempt_id] = {taken, now_ms + 5 * 60 * 1000};
  return taken;
}

void Service::set_visibility_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, uint64_t seq,
                                    int64_t visible_at_ms, int64_t now_ms) {
  auto it = q->messages.find(seq);
  if (it == q->messages.end()) return;
  it->second.visible_at_ms = visible_at_ms;
  write_state(txn, *q, seq, it->second);
  if (visible_at_ms > now_ms) {
    q->hidden.emplace(visible_at_ms, seq);
    schedule_visibility_wake(q, now_ms);
    return;
  }
  if (!q->config.fifo) q->ready.push_front(seq);
  txn.on_commit([this, q](bool ok) {
    if (ok) wake(q, 1);
  });
}

// --- long polls -------------------------------------------------------------------------------

std::function<void()> Service::receive(const std::shared_ptr<Queue>& q, ReceiveOptions options, ReceiveDone done) {
  auto w = std::make_shared<Waiter>();
  w->queue = q;
  w->options = std::move(options);
  w->done = std::move(done);
  // The wait ends with nothing: at its deadline, or when its consumer cancels it.
  auto end_wait = [w] {
    {
      std::lock_guard lock(w->queue->mu);
      if (w->claimed.exchange(true)) return false;
      auto& ws = w->queue->waiters;
      ws.erase(std::remove(ws.begin(), ws.end(), w), ws.end());
    }
    w->done(Received{w->queue, 0, {}, {}});
    return true;
  };
  int64_t now = wall_ms();
  if (w->options.deadline_ms > now) w->deadline_timer = scheduler_.after_ms(w->options.deadline_ms - now, end_wait);
  attempt(w);
  return [this, w, end_wait] {
    if (end_wait() && w->deadline_timer) scheduler_.cancel(w->deadline_timer);
  };
}

void Service::attempt(const std::shared_ptr<Waiter>& w) {
  struct Outcome {
    Received received;
    bool answer = false;  // this step claimed the waiter: answer after the commit
  };
  auto out = std::make_shared<Outcome>();
  writer_.submit(
      [this, w, out](storage::WriteTxn& txn) {
        auto& q = w->queue;
        std::lock_guard lock(q->mu);
        if (w->claimed.load()) return false;
        int64_t now = wall_ms();
        auto& r = out->received;
        if (!q->deleted) r.taken = receive_locked(txn, q, w->options, now);
        if (!r.taken.empty() || q->deleted || stopping_ || now >= w->options.deadline_ms) {
          w->claimed = true;
          out->answer = true;
          r.queue = q;
          r.queue_id = q->id;
          for (const auto& [seq, nonce] : r.taken) r.states[seq] = q->messages[seq];
          return true;
        }
        // Nothing yet: wait for the commit that makes a message visible, or for the scheduler.
        q->waiters.push_back(w);
        schedule_visibility_wake(q, now);
        return true;
      },
      [this, w, out](bool committed) {
        if (out->answer) answer(w, committed, std::move(out->received));
      });
}

void Service::answer(const std::shared_ptr<Waiter>& w, bool committed, Received received) {
  if (w->deadline_timer) scheduler_.cancel(w->deadline_timer);
  if (!committed) return w->done(ApiError::internal("Internal server error"));
  w->done(std::move(received));
}

// A send found long polls waiting: receive for them inside the send's own step, so the one group
// commit that makes the send durable also makes the receive durable, and both are answered
// together. Without this, a woken poll would need a receive step and a commit (an fsync) of its
// own after the send's — the wake would cost a second disk flush.
void Service::hand_off_locked(storage::WriteTxn& txn, const std::shared_ptr<Queue>& q, int64_t now_ms) {
  while (!q->waiters.empty()) {
    auto w = q->waiters.front();
    if (w->claimed.load()) {
      q->waiters.pop_front();
      continue;
    }
    auto taken = receive_locked(txn, q, w->options, now_ms);
    if (taken.empty()) return;  // nothing this waiter may take (a FIFO group in flight): it waits on
    q->waiters.pop_front();
    w->claimed = true;
    Received received{q, q->id, std::move(taken), {}};
    for (const auto& [seq, nonce] : received.taken) received.states[seq] = q->messages[seq];
    txn.on_commit([this, w, received = std::move(received)](bool committed) mutable {
      answer(w, committed, std::move(received));
    });
  }
}

void Service::wake(const std::shared_ptr<Queue>& q, size_t count) {
  std::vector<std::shared_ptr<Waiter>> woken;
  {
    std::lock_guard lock(q->mu);
    while (count > 0 && !q->waiters.empty()) {
      auto w = q->waiters.front();
      q->waiters.pop_front();
      if (w->claimed.load()) continue;
      woken.push_back(std::move(w));
      --count;
    }
  }
  for (const auto& w : woken) attempt(w);
}

void Service::schedule_visibility_wake(const std::shared_ptr<Queue>& q, int64_t now_ms) {
  if (q->waiters.empty() || q->hidden.empty()) return;
  int64_t at = q->hidden.begin()->first;
  if (q->wake_scheduled_ms != 0 && q->wake_scheduled_ms <= at) return;
  q->wake_scheduled_ms = at;
  scheduler_.after_ms(at - now_ms, [this, q, at] {
    {
      std::lock_guard lock(q->mu);
      if (q->wake_scheduled_ms == at) q->wake_scheduled_ms = 0;
    }
    wake(q, static_cast<size_t>(-1));
  });
}

void Service::sweep_expired() {
  std::vector<std::shared_ptr<Queue>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [k, q] : queues_) all.push_back(q);
  }
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  writer_.submit(
      [this, all](storage::WriteTxn& txn) {
        int64_t now = wall_ms();
        for (const auto& q : all) {
          std::lock_guard lock(q->mu);
          if (q->deleted) continue;
          int64_t retention_ms = static_cast<int64_t>(q->config.message_retention_period) * 1000;
          // Oldest first; a message moved from another queue keeps its older SentTimestamp and is
          // caught when a receive reaches it.
          size_t budget = 10000;
          while (!q->messages.empty() && budget-- > 0) {
            auto first = q->messages.begin();
            if (first->second.sent_ms + retention_ms > now) break;
            delete_locked(txn, *q, first->first);
          }
          // FIFO deduplication ids and receive attempts past their 5-minute window.
          while (!q->dedup_order.empty() && q->dedup_order.front().first <= now) {
            auto& [expires, id] = q->dedup_order.front();
            auto it = q->dedup.find(id);
            if (it != q->dedup.end() && it->second.expires_ms == expires) {
              txn.del(storage::Family::kQueues, dedup_key(q->id, id));
              q->dedup.erase(it);
            }
            q->dedup_order.pop_front();
          }
          std::erase_if(q->attempts, [&](const auto& a) { return a.second.expires_ms <= now; });
        }
        return true;
      },
      [done](bool) { done->set_value(); });
  finished.wait();
}

void Service::stop() {
  stopping_ = true;
  std::vector<std::shared_ptr<Queue>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [k, q] : queues_) all.push_back(q);
  }
  for (const auto& q : all) wake(q, static_cast<size_t>(-1));
}

// --- rendering --------------------------------------------------------------------------------

namespace {

bool wanted(const std::vector<std::string>& names, bool all, std::string_view name) {
  if (all) return true;
  for (const auto& n : names) {
    if (n == "All" || n == ".*" || n == name) return true;
    // "prefix.*" selects every name starting with the prefix (moto and AWS agree: "oth.*" selects
    // "other"). https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
    if (n.size() > 2 && n.ends_with(".*") && name.starts_with(std::string_view(n).substr(0, n.size() - 2))) return true;
  }
  return false;
}

}  // namespace

std::vector<ReceivedMessage> Service::read_received(const Received& received) const {
  std::vector<ReceivedMessage> out;
  out.reserve(received.taken.size());
  for (const auto& [seq, nonce] : received.taken) {
    auto text = engine_.get(storage::Family::kQueues, message_key(received.queue_id, seq));
    auto stored = text ? decode_stored(*text) : std::nullopt;
    if (!stored) continue;  // deleted meanwhile (purge)
    auto state = received.states.find(seq);
    out.push_back({std::move(*stored), state == received.states.end() ? MessageState{} : state->second,
                   encode_receipt_handle({received.queue_id, seq, nonce})});
  }
  return out;
}

std::string Service::render_received(const Queue& q, const std::vector<ReceivedMessage>& messages,
                                     const ReceiveOptions& o) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](const char* k, std::string_view v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  if (!messages.empty()) {
    w.Key("Messages");
    w.StartArray();
  }
  for (const auto& received : messages) {
    const StoredMessage& stored = received.stored;
    const MessageInput& m = stored.input;
    w.StartObject();
    str("MessageId", m.message_id);
    str("ReceiptHandle", received.receipt_handle);
    str("MD5OfBody", stored.md5_body);
    str("Body", m.body);
    std::vector<std::pair<std::string, std::string>> system;
    for (auto& [name, value] : system_attributes(received, q.config.fifo))
      if (wanted(o.system_names, o.all_system, name)) system.emplace_back(std::move(name), std::move(value));
    if (!system.empty()) {
      w.Key("Attributes");
      w.StartObject();
      for (const auto& [k, v] : system) {
        w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
        w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
      }
      w.EndObject();
    }
    MessageAttributes user;
    for (const auto& [name, a] : m.attributes)
      if (wanted(o.user_names, o.all_user, name)) user.emplace(name, a);
    if (!user.empty()) {
      str("MD5OfMessageAttributes", md5_of_attributes(user));
      w.Key("MessageAttributes");
      write_attributes(w, user);
    }
    w.EndObject();
  }
  if (!messages.empty()) w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::vector<std::pair<std::string, std::string>> system_attributes(const ReceivedMessage& received, bool fifo) {
  const StoredMessage& stored = received.stored;
  const MessageInput& m = stored.input;
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("SenderId", m.sender_id);
  out.emplace_back("SentTimestamp", std::to_string(m.sent_ms));
  out.emplace_back("ApproximateReceiveCount", std::to_string(received.state.receive_count));
  out.emplace_back("ApproximateFirstReceiveTimestamp", std::to_string(received.state.first_receive_ms));
  if (fifo) {
    out.emplace_back("SequenceNumber", fmt::format("{:020d}", stored.sequence));
    out.emplace_back("MessageDeduplicationId", m.dedup_id);
  }
  if (!m.group_id.empty()) out.emplace_back("MessageGroupId", m.group_id);
  if (auto t = m.system_attributes.find("AWSTraceHeader"); t != m.system_attributes.end())
    out.emplace_back("AWSTraceHeader", t->second.value);
  if (!m.dead_letter_source_arn.empty()) out.emplace_back("DeadLetterQueueSourceArn", m.dead_letter_source_arn);
  return out;
}

}  // namespace runnel::sqs
