// Unit tests of SQS's building blocks: the MD5 digests SDKs verify (AWS's test vectors,
// aws-reference.md 6.5), message validation, receipt handles and queue attributes.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "sqs/message.h"
#include "sqs/queue.h"

namespace runnel::sqs {
namespace {

MessageAttributes vectors() {
  MessageAttributes a;
  a["attribName1"] = {"String", "attribValue 1", false};
  a["customNumberTypeAttrib"] = {"Number.float", "4563442423554324324264524243.32543234", false};
  a["binaryAttribute"] = {"Binary", "Hello binary world!", true};
  return a;
}

TEST(Md5, AttributeDigestsMatchAwsVectors) {
  auto all = vectors();
  EXPECT_EQ(md5_of_attributes({{"attribName1", all["attribName1"]}}), "19e27d4e946b072f3f58da80d94fd778");
  EXPECT_EQ(md5_of_attributes({{"customNumberTypeAttrib", all["customNumberTypeAttrib"]}}), "9fe1b90bbd9965bdf77bac517c7d2495");
  EXPECT_EQ(md5_of_attributes({{"binaryAttribute", all["binaryAttribute"]}}), "31a92b15d92f8db860eda32aceb656c3");
  EXPECT_EQ(md5_of_attributes(all), "c932db14a896c663f83c260297d594ff");
  EXPECT_EQ(md5_of_attributes({}), "");
  EXPECT_EQ(md5_hex("hello"), "5d41402abc4b2a76b9719d911017c592");
}

Result<MessageInput> decode(const char* json) {
  static rapidjson::Document d;
  d.Parse(json);
  return decode_message_input(d);
}

TEST(MessageInput, ValidatesBodyAndAttributes) {
  EXPECT_TRUE(decode(R"({"MessageBody":"hi \t\n\r \u00e9 \ud83d\ude00"})").ok());
  EXPECT_EQ(decode(R"({"MessageBody":"a\u0000b"})").error().code, "InvalidMessageContents");
  EXPECT_EQ(decode(R"({"MessageBody":"a\u0001"})").error().code, "InvalidMessageContents");
  EXPECT_EQ(decode(R"({"MessageBody":"\uffff"})").error().code, "InvalidMessageContents");
  EXPECT_EQ(decode(R"({})").error().code, "MissingParameter");
  EXPECT_EQ(decode(R"({"MessageBody":"x","MessageAttributes":{"a":{"DataType":"Strin","StringValue":"v"}}})").error().code,
            "InvalidParameterValue");
  EXPECT_EQ(decode(R"({"MessageBody":"x","MessageAttributes":{"AWS.x":{"DataType":"String","StringValue":"v"}}})").error().code,
            "InvalidParameterValue");
  EXPECT_EQ(decode(R"({"MessageBody":"x","MessageAttributes":{"a":{"DataType":"String"}}})").error().code,
            "InvalidParameterValue");
  auto ok = decode(R"({"MessageBody":"x","MessageAttributes":{"b":{"DataType":"Binary","BinaryValue":"SGk="}}})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->attributes["b"].value, "Hi");
  EXPECT_TRUE(ok->attributes["b"].binary);
  std::string eleven = R"({"MessageBody":"x","MessageAttributes":{)";
  for (int i = 0; i < 11; ++i) eleven += (i ? "," : "") + std::string("\"a") + std::to_string(i) + R"(":{"DataType":"String","StringValue":"v"})";
  eleven += "}}";
  EXPECT_EQ(decode(eleven.c_str()).error().code, "InvalidParameterValue");
}

TEST(ReceiptHandle, RoundTripsAndRejectsEdits) {
  std::string h = encode_receipt_handle({7, 42, 99});
  auto back = decode_receipt_handle(h);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->queue_id, 7u);
  EXPECT_EQ(back->seq, 42u);
  EXPECT_EQ(back->nonce, 99u);
  std::string edited = h;
  edited[3] = edited[3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(decode_receipt_handle(edited));
  EXPECT_FALSE(decode_receipt_handle("not-a-handle"));
}

TEST(StoredMessage, RoundTrips) {
  StoredMessage s;
  s.input.body = "body";
  s.input.attributes = vectors();
  s.input.message_id = "id";
  s.input.group_id = "g";
  s.md5_body = md5_hex("body");
  s.md5_attributes = md5_of_attributes(s.input.attributes);
  s.sequence = 5;
  s.input.system_attributes = {{"AWSTraceHeader", {"String", "Root=1-5759e988-bd862e3fe1be46a994272793", false}}};
  s.input.sent_ms = 1764806400123;
  s.input.sender_id = "000000000000";
  // Golden bytes: what runnel stores (and stored before the shared record codec) reads back.
  const std::string golden =
      R"({"id":"id","body":"body","attrs":{"attribName1":{"StringValue":"attribValue 1","DataType":"String"},)"
      R"("binaryAttribute":{"BinaryValue":"SGVsbG8gYmluYXJ5IHdvcmxkIQ==","DataType":"Binary"},)"
      R"("customNumberTypeAttrib":{"StringValue":"4563442423554324324264524243.32543234","DataType":"Number.float"}},)"
      R"("sys":{"AWSTraceHeader":{"StringValue":"Root=1-5759e988-bd862e3fe1be46a994272793","DataType":"String"}},)"
      R"("md5b":"841a2d689ad86bd1611447453c22c6fc","md5a":"c932db14a896c663f83c260297d594ff","md5s":"",)"
      R"("sent":1764806400123,"sender":"000000000000","group":"g","dedup":"","dlq_src":"","seq":5})";
  EXPECT_EQ(encode_stored(s), golden);
  auto back = decode_stored(golden);
  ASSERT_TRUE(back);
  EXPECT_EQ(encode_stored(*back), golden);
  EXPECT_EQ(back->input.body, "body");
  EXPECT_EQ(md5_of_attributes(back->input.attributes), "c932db14a896c663f83c260297d594ff");
  EXPECT_EQ(back->sequence, 5u);
  EXPECT_EQ(back->input.group_id, "g");
}

TEST(StoredMessageState, GoldenBytes) {
  MessageState st;
  st.receive_count = 2;
  st.first_receive_ms = 1764806400000;
  st.visible_at_ms = 1764806430000;
  st.nonce = 18446744073709551615ull;
  st.sent_ms = 1764806399000;
  st.size = 12;
  st.group = "g\"1";
  // What runnel stores (and stored before the shared record codec) reads back.
  const std::string golden =
      R"({"rc":2,"fr":1764806400000,"va":1764806430000,"n":18446744073709551615,"sent":1764806399000,"size":12,)"
      R"("group":"g\"1"})";
  EXPECT_EQ(encode_state(st), golden);
  auto back = decode_state(golden);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->nonce, st.nonce);
  EXPECT_EQ(back->group, st.group);
  EXPECT_EQ(encode_state(*back), golden);
}

TEST(StoredQueue, GoldenBytesRoundTrip) {
  Queue q;
  q.account = "000000000000";
  q.region = "us-east-1";
  q.name = "jobs.fifo";
  q.id = 7;
  q.created_s = 1764806400;
  q.modified_s = 1764806401;
  ASSERT_TRUE(apply_attributes(q.config, {{"FifoQueue", "true"}, {"VisibilityTimeout", "45"}}, true).ok());
  q.tags = {{"team", "a"}};
  // What runnel stores (and stored before the shared record codec) reads back.
  const std::string golden =
      R"({"v":1,"account":"000000000000","region":"us-east-1","name":"jobs.fifo","id":7,"created_s":1764806400,)"
      R"("modified_s":1764806401,"attributes":{"FifoQueue":"true","VisibilityTimeout":"45"},"tags":{"team":"a"}})";
  EXPECT_EQ(encode_queue(q), golden);
  auto back = decode_queue(golden);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->name, "jobs.fifo");
  EXPECT_EQ((*back)->id, 7u);
  EXPECT_EQ((*back)->modified_s, 1764806401);
  EXPECT_TRUE((*back)->config.fifo);
  EXPECT_EQ((*back)->config.visibility_timeout, 45);
  EXPECT_EQ((*back)->tags, q.tags);
  EXPECT_EQ(encode_queue(**back), golden);
  EXPECT_FALSE(decode_queue(R"({"v":1,"account":5})").ok());  // no id: corrupt, not a crash
}

TEST(QueueAttributes, RangesAndNames) {
  QueueConfig c;
  EXPECT_TRUE(apply_attributes(c, {{"VisibilityTimeout", "60"}, {"DelaySeconds", "5"}}, true).ok());
  EXPECT_EQ(c.visibility_timeout, 60);
  EXPECT_EQ(c.raw["DelaySeconds"], "5");
  EXPECT_EQ(apply_attributes(c, {{"VisibilityTimeout", "43201"}}, false).error().code, "InvalidAttributeValue");
  EXPECT_EQ(apply_attributes(c, {{"MaximumMessageSize", "1023"}}, false).error().code, "InvalidAttributeValue");
  EXPECT_EQ(apply_attributes(c, {{"Bogus", "1"}}, false).error().code, "InvalidAttributeName");
  EXPECT_EQ(apply_attributes(c, {{"FifoQueue", "true"}}, false).error().code, "InvalidAttributeName");
  EXPECT_EQ(apply_attributes(c, {{"ContentBasedDeduplication", "true"}}, false).error().code, "InvalidAttributeName");
  EXPECT_EQ(apply_attributes(c, {{"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d","maxReceiveCount":0})"}}, false)
                .error().code, "InvalidParameterValue");
  EXPECT_TRUE(apply_attributes(c, {{"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d","maxReceiveCount":"3"})"}}, false).ok());
  EXPECT_EQ(c.redrive->max_receive_count, 3);
  QueueConfig f;
  EXPECT_TRUE(apply_attributes(f, {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}, true).ok());
  EXPECT_TRUE(f.fifo);
  EXPECT_TRUE(f.content_based_dedup);
}

}  // namespace
}  // namespace runnel::sqs

// The in-process enqueue: a message sent from another service's writer step commits in that
// step's batch (with the caller's own writes) and wakes a waiting long poll.
#include <future>

#include "background/scheduler.h"
#include "sqs/service.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::sqs {
namespace {

TEST(Enqueue, JoinsTheCallersBatchAndWakesALongPoll) {
  storage::EngineOptions o;
  o.in_memory = true;
  o.path = "/sqs-enqueue-test";
  auto engine = std::move(storage::Engine::open(o)).value();
  storage::Writer writer(*engine);
  background::Scheduler scheduler;
  Service svc(*engine, writer, scheduler);
  ASSERT_TRUE(svc.start().ok());
  auto run = [&](std::function<bool(storage::WriteTxn&)> step) {
    std::promise<bool> done;
    writer.submit(std::move(step), [&](bool ok) { done.set_value(ok); });
    return done.get_future().get();
  };
  auto q = std::make_shared<Queue>();
  q->account = "000000000000";
  q->region = "us-east-1";
  q->name = "target";
  ASSERT_TRUE(run([&](storage::WriteTxn& txn) {
    std::lock_guard lock(q->mu);
    q->id = svc.allocate_queue_id(txn);
    svc.put_queue(txn, q);
    return true;
  }));

  // A long poll waits on the empty queue.
  std::promise<std::string> received;
  ReceiveOptions ro;
  ro.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + 10000;
  svc.receive(q, ro, [&](Result<Received> r) {
    if (!r.ok()) return received.set_value(r.error().message);
    auto messages = svc.read_received(*r);
    received.set_value(messages.empty() ? std::string() : messages.front().stored.input.body);
  });

  // The caller's step writes its own record and enqueues; both commit together.
  ASSERT_TRUE(run([&](storage::WriteTxn& txn) {
    txn.put(storage::Family::kMeta, "caller/record", "x");
    MessageInput m;
    m.body = "from another service";
    return svc.enqueue(txn, q->arn(), std::move(m)).ok();
  }));
  EXPECT_EQ(engine->get(storage::Family::kMeta, "caller/record"), "x");
  auto answer = received.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_NE(answer.get().find("from another service"), std::string::npos);

  // An unknown queue is QueueDoesNotExist, and the caller can roll its step back.
  std::string code;
  run([&](storage::WriteTxn& txn) {
    MessageInput m;
    m.body = "lost";
    auto r = svc.enqueue(txn, "arn:aws:sqs:us-east-1:000000000000:missing", std::move(m));
    code = r.ok() ? "" : r.error().code;
    return r.ok();
  });
  EXPECT_EQ(code, "QueueDoesNotExist");
  svc.stop();
  writer.stop();
}

// A store from before the queue_states family kept state keys in `queues`: start() moves them, and
// only them, and a second pass finds nothing.
TEST(SqsStorage, MovesStateKeysOutOfTheQueuesFamily) {
  storage::EngineOptions options;
  options.in_memory = true;
  auto opened = storage::Engine::open(options);
  ASSERT_TRUE(opened.ok());
  auto engine = std::move(opened).value();
  {
    storage::Batch old_layout(*engine);
    for (uint64_t seq = 0; seq < 25000; ++seq) old_layout.put(storage::Family::kQueues, state_key(7, seq), "state");
    old_layout.put(storage::Family::kQueues, message_key(7, 1), "message");
    old_layout.put(storage::Family::kQueues, std::string("p") + "task", "push task");
    ASSERT_TRUE(engine->write_synced(old_layout).ok());
  }

  auto moved = move_state_keys(*engine);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 25000u);
  EXPECT_EQ(engine->get(storage::Family::kQueueStates, state_key(7, 24999)), "state");
  EXPECT_EQ(engine->get(storage::Family::kQueues, state_key(7, 24999)), std::nullopt);
  EXPECT_EQ(engine->get(storage::Family::kQueues, message_key(7, 1)), "message");
  EXPECT_EQ(engine->get(storage::Family::kQueues, "ptask"), "push task");
  EXPECT_EQ(engine->get(storage::Family::kQueueStates, message_key(7, 1)), std::nullopt);
  auto again = move_state_keys(*engine);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

}  // namespace
}  // namespace runnel::sqs
