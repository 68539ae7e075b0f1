// StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask: redrive from a dead-letter
// queue back to the queues its messages came from (or to DestinationArn). A task moves its
// messages in writer steps — each message is sent to the destination and deleted from the source
// in one batch, so a crash never loses or duplicates one — at most MaxNumberOfMessagesPerSecond.
// Task records live in memory: after a restart ListMessageMoveTasks no longer lists old tasks.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
#include <atomic>
#include <chrono>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_write.h"
#include "common/clock.h"
#include "sqs/operations.h"

namespace runnel::sqs {

struct MoveTask {
  std::string handle;
  std::string source_arn;
  std::string destination_arn;  // empty: each message's DeadLetterQueueSourceArn
  int rate = 0;                 // messages per second; 0: as fast as possible
  // Written by the writer's apply thread, read by ListMessageMoveTasks: atomics; `failure` is
  // written before the state turns kFailed.
  enum State { kRunning, kCompleted, kCancelled, kFailed };
  std::atomic<int> state{kRunning};
  std::string failure;
  std::atomic<int64_t> moved{0};
  int64_t to_move = 0;
  int64_t started_ms = 0;
};

class MoveTasks {
 public:
  std::mutex mu;
  std::vector<std::shared_ptr<MoveTask>> tasks;  // oldest first
};

namespace {


void run_step(Service& svc, std::shared_ptr<MoveTask> task);

void schedule_next(Service& svc, const std::shared_ptr<MoveTask>& task) {
  svc.scheduler().after_ms(task->rate > 0 ? 1000 : 0, [&svc, task] { run_step(svc, task); });
}

// One step: up to `rate` (or 100) visible messages move.
void run_step(Service& svc, std::shared_ptr<MoveTask> task) {
  auto done = std::make_shared<bool>(false);
  svc.writer().submit(
      [&svc, task, done](storage::WriteTxn& txn) {
        auto source = svc.find_arn(task->source_arn);
        if (task->state != MoveTask::kRunning) return false;
        if (!source) {
          task->failure = "AWS.SimpleQueueService.NonExistentQueue";
          task->state = MoveTask::kFailed;
          *done = true;
          return false;
        }
        std::lock_guard lock(source->mu);
        int64_t now = wall_ms();
        size_t budget = task->rate > 0 ? static_cast<size_t>(task->rate) : 100;
        size_t moved = 0;
        std::vector<uint64_t> visible;
        for (const auto& [seq, st] : source->messages)
          if (st.visible_at_ms <= now && visible.size() < budget) visible.push_back(seq);
        std::sort(visible.begin(), visible.end());
        for (uint64_t seq : visible) {
          auto text = txn.get(storage::Family::kQueues, message_key(source->id, seq));
          auto stored = text ? decode_stored(*text) : std::nullopt;
          if (!stored) continue;
          std::string target = task->destination_arn.empty() ? stored->input.dead_letter_source_arn : task->destination_arn;
          auto dest = svc.find_arn(target);
          if (!dest || dest == source) continue;
          MessageInput m = std::move(stored->input);
          m.dead_letter_source_arn.clear();
          std::lock_guard dest_lock(dest->mu);
          if (dest->config.fifo && m.dedup_id.empty()) m.dedup_id = m.message_id;
          if (dest->config.fifo && m.group_id.empty()) m.group_id = m.message_id;
          if (!svc.send_locked(txn, dest, std::move(m), now).ok()) continue;
          svc.delete_locked(txn, *source, seq);
          ++moved;
        }
        task->moved += static_cast<int64_t>(moved);
        if (moved == 0) {
          int running = MoveTask::kRunning;
          task->state.compare_exchange_strong(running, MoveTask::kCompleted);
          *done = true;
        }
        return true;
      },
      [&svc, task, done](bool committed) {
        if (!committed) {
          task->failure = "InternalError";
          task->state = MoveTask::kFailed;
          return;
        }
        if (!*done) schedule_next(svc, task);
      });
}

}  // namespace

std::shared_ptr<MoveTasks> Service::move_tasks() {
  std::lock_guard lock(move_tasks_mu_);
  if (!move_tasks_) move_tasks_ = std::make_shared<MoveTasks>();
  return move_tasks_;
}

RUNNEL_SQS_OP(start_message_move_task) {
  (void)ctx;
  auto source_it = body.FindMember("SourceArn");
  if (source_it == body.MemberEnd() || !source_it->value.IsString()) return reply(missing_parameter("SourceArn"));
  std::string source_arn = source_it->value.GetString();
  std::string dest_arn;
  if (auto it = body.FindMember("DestinationArn"); it != body.MemberEnd() && it->value.IsString()) dest_arn = it->value.GetString();
  int rate = 0;
  if (auto it = body.FindMember("MaxNumberOfMessagesPerSecond"); it != body.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsInt() || it->value.GetInt() < 1 || it->value.GetInt() > 500)
      return reply(invalid_parameter("Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500."));
    rate = it->value.GetInt();
  }
  auto source = svc.find_arn(source_arn);
  if (!source) return reply(sqs_error("ResourceNotFoundException", "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist."));
  if (!dest_arn.empty() && !svc.find_arn(dest_arn))
    return reply(sqs_error("ResourceNotFoundException", "ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist."));
  // The source must be some queue's dead-letter queue.
  bool is_dlq = false;
  for (const auto& q : svc.list(source->account, source->region)) {
    std::lock_guard lock(q->mu);
    if (q->config.redrive && q->config.redrive->dead_letter_arn == source_arn) is_dlq = true;
  }
  if (!is_dlq) return reply(invalid_parameter("Source queue must be configured as a Dead Letter Queue."));
  auto registry = svc.move_tasks();
  auto task = std::make_shared<MoveTask>();
  {
    std::lock_guard lock(registry->mu);
    for (const auto& t : registry->tasks)
      if (t->source_arn == source_arn && t->state == MoveTask::kRunning)
        return reply(sqs_error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
                               "There is already a task running. Only one active task is allowed for a source queue arn at a given time."));
    task->handle = fmt::format("{}/{}", source_arn, new_message_id());
    task->source_arn = source_arn;
    task->destination_arn = dest_arn;
    task->rate = rate;
    task->started_ms = wall_ms();
    {
      std::lock_guard qlock(source->mu);
      task->to_move = static_cast<int64_t>(source->messages.size());
    }
    registry->tasks.push_back(task);
  }
  run_step(svc, task);
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "TaskHandle", task->handle);
  w.EndObject();
  reply(std::string(sb.GetString(), sb.GetSize()));
}

RUNNEL_SQS_OP(list_message_move_tasks) {
  (void)ctx;
  auto source_it = body.FindMember("SourceArn");
  if (source_it == body.MemberEnd() || !source_it->value.IsString()) return reply(missing_parameter("SourceArn"));
  std::string source_arn = source_it->value.GetString();
  int max = 1;
  if (auto it = body.FindMember("MaxResults"); it != body.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsInt() || it->value.GetInt() < 1 || it->value.GetInt() > 10)
      return reply(invalid_parameter("Value for parameter MaxResults is invalid. Reason: Must be between 1 and 10."));
    max = it->value.GetInt();
  }
  if (!svc.find_arn(source_arn))
    return reply(sqs_error("ResourceNotFoundException", "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist."));
  auto registry = svc.move_tasks();
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("Results");
  w.StartArray();
  {
    std::lock_guard lock(registry->mu);
    int count = 0;
    for (auto it = registry->tasks.rbegin(); it != registry->tasks.rend() && count < max; ++it) {
      const auto& t = **it;
      if (t.source_arn != source_arn) continue;
      static constexpr const char* kStatus[] = {"RUNNING", "COMPLETED", "CANCELLED", "FAILED"};
      int state = t.state.load();
      w.StartObject();
      if (state == MoveTask::kRunning) key_string(w, "TaskHandle", t.handle);
      key_string(w, "Status", kStatus[state]);
      key_string(w, "SourceArn", t.source_arn);
      if (!t.destination_arn.empty()) key_string(w, "DestinationArn", t.destination_arn);
      if (t.rate > 0) {
        w.Key("MaxNumberOfMessagesPerSecond");
        w.Int(t.rate);
      }
      w.Key("ApproximateNumberOfMessagesMoved");
      w.Int64(t.moved.load());
      w.Key("ApproximateNumberOfMessagesToMove");
      w.Int64(t.to_move);
      if (state == MoveTask::kFailed) key_string(w, "FailureReason", t.failure);
      w.Key("StartedTimestamp");
      w.Int64(t.started_ms);
      w.EndObject();
      ++count;
    }
  }
  w.EndArray();
  w.EndObject();
  reply(std::string(sb.GetString(), sb.GetSize()));
}

RUNNEL_SQS_OP(cancel_message_move_task) {
  (void)ctx;
  auto handle_it = body.FindMember("TaskHandle");
  if (handle_it == body.MemberEnd() || !handle_it->value.IsString()) return reply(missing_parameter("TaskHandle"));
  std::string handle = handle_it->value.GetString();
  auto registry = svc.move_tasks();
  std::lock_guard lock(registry->mu);
  for (const auto& t : registry->tasks) {
    if (t->handle != handle) continue;
    int running = MoveTask::kRunning;
    if (!t->state.compare_exchange_strong(running, MoveTask::kCancelled))
      return reply(sqs_error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "Only active tasks can be cancelled."));
    int64_t moved = t->moved.load();
    return reply(fmt::format(R"({{"ApproximateNumberOfMessagesMoved":{}}})", moved));
  }
  reply(sqs_error("ResourceNotFoundException", "ResourceNotFoundException", "Task does not exist."));
}

}  // namespace runnel::sqs
