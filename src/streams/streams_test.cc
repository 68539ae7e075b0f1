// Unit tests of the stream building blocks: sequence numbers, iterators, the persisted definition,
// record rendering, and the service's write/read/rollover/trim cycle on an in-memory store.
#include <future>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "streams/iterator.h"
#include "streams/record.h"
#include "streams/service.h"
#include "streams/stream.h"
#include "streams/tail.h"

namespace runnel::streams {
namespace {

TEST(SequenceNumber, IsTwentyOneDigitsAndRoundTrips) {
  EXPECT_EQ(format_sequence_number(1), "100000000000000000001");
  EXPECT_EQ(format_sequence_number(1).size(), 21u);
  for (uint64_t v : {0ull, 1ull, 42ull, 99999999999999999ull, 18446744073709551615ull})
    EXPECT_EQ(parse_sequence_number(format_sequence_number(v)), v);
}

TEST(SequenceNumber, ForeignNumbersAreRejected) {
  EXPECT_FALSE(parse_sequence_number("300000000000000499659"));  // AWS-issued, not ours
  EXPECT_FALSE(parse_sequence_number("1000000000000000000001"));  // 22 digits
  EXPECT_FALSE(parse_sequence_number("10000000000000000000x"));
  EXPECT_FALSE(parse_sequence_number(""));
}

TEST(Iterator, RoundTripsAndRejectsEdits) {
  std::string arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-11-25T12:00:00.000";
  IteratorPosition p{7, 1, 42, 1732537200123};
  std::string it = encode_iterator(arn, p);
  EXPECT_TRUE(it.starts_with(arn + "|1|"));
  std::string back_arn;
  auto back = decode_iterator(it, &back_arn);
  ASSERT_TRUE(back);
  EXPECT_EQ(back_arn, arn);
  EXPECT_EQ(back->stream_id, 7u);
  EXPECT_EQ(back->shard_start, 1u);
  EXPECT_EQ(back->next_seq, 42u);
  EXPECT_EQ(back->issued_ms, 1732537200123);
  // Another stream's ARN with this payload, a flipped character, truncation: all rejected.
  std::string other = it;
  other.replace(other.find("table/t/"), 8, "table/u/");
  EXPECT_FALSE(decode_iterator(other, nullptr));
  std::string flipped = it;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(decode_iterator(flipped, nullptr));
  EXPECT_FALSE(decode_iterator(it.substr(0, it.size() - 4), nullptr));
  EXPECT_FALSE(decode_iterator("garbage", nullptr));
}

TEST(StreamMeta, EncodeDecodeKeepsEveryField) {
  StreamMeta m;
  m.id = 3;
  m.table_id = 9;
  m.account = "123456789012";
  m.region = "eu-west-1";
  m.table_name = "messages";
  m.label = "2026-11-25T12:00:00.000";
  m.view_type = "NEW_AND_OLD_IMAGES";
  m.keys.hash = {"pk", AttrType::S};
  m.keys.range = KeyAttribute{"sk", AttrType::N};
  m.created_ms = 1000;
  m.enabled = false;
  m.disabled_ms = 2000;
  m.trim_seq = 5;
  m.shards.push_back({"shardId-00000000000000001000-00000001", "", 1, 10, 1000});
  m.shards.push_back({"shardId-00000000000000001500-00000002", "shardId-00000000000000001000-00000001", 11, std::nullopt, 1500});
  // Golden bytes: what runnel stores (and stored before the shared record codec) reads back.
  const std::string golden =
      R"({"v":1,"id":3,"table_id":9,"account":"123456789012","region":"eu-west-1","table":"messages",)"
      R"("label":"2026-11-25T12:00:00.000","view":"NEW_AND_OLD_IMAGES","hash":"pk","hash_type":"S","range":"sk",)"
      R"("range_type":"N","created_ms":1000,"enabled":false,"disabled_ms":2000,"trim_seq":5,"shards":[)"
      R"({"id":"shardId-00000000000000001000-00000001","parent":"","start":1,"end":10,"created_ms":1000},)"
      R"({"id":"shardId-00000000000000001500-00000002","parent":"shardId-00000000000000001000-00000001",)"
      R"("start":11,"created_ms":1500}]})";
  EXPECT_EQ(encode_stream_meta(m), golden);
  auto back = decode_stream_meta(golden);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->arn(), "arn:aws:dynamodb:eu-west-1:123456789012:table/messages/stream/2026-11-25T12:00:00.000");
  EXPECT_EQ(back->keys.range->name, "sk");
  EXPECT_EQ(back->keys.range->type, AttrType::N);
  EXPECT_FALSE(back->enabled);
  EXPECT_EQ(back->trim_seq, 5u);
  ASSERT_EQ(back->shards.size(), 2u);
  EXPECT_EQ(back->shards[0].end_seq, 10u);
  EXPECT_FALSE(back->shards[1].end_seq);
  EXPECT_EQ(back->shards[1].parent_id, m.shards[0].id);
}

ports::TableRef table_with_stream(std::string view) {
  ports::TableRef t;
  t.account = "000000000000";
  t.region = "us-east-1";
  t.name = "t";
  t.id = 1;
  t.keys.hash = {"pk", AttrType::S};
  t.stream = {true, std::move(view), "2026-11-25T12:00:00.000"};
  return t;
}

AttributeMap item(std::string pk, std::string v) {
  return {{"pk", AttributeValue::string(std::move(pk))}, {"v", AttributeValue::string(std::move(v))}};
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  return d;
}

TEST(Record, ImagesFollowTheEventAndTheViewType) {
  auto t = table_with_stream("NEW_AND_OLD_IMAGES");
  AttributeMap a = item("k", "1"), b = item("k", "2");
  auto insert = parse(render_record({t, nullptr, &a}, "NEW_AND_OLD_IMAGES", 1, 1732537200999));
  EXPECT_STREQ(insert["eventName"].GetString(), "INSERT");
  EXPECT_EQ(insert["dynamodb"]["ApproximateCreationDateTime"].GetInt64(), 1732537200);
  EXPECT_TRUE(insert["dynamodb"].HasMember("NewImage"));
  EXPECT_FALSE(insert["dynamodb"].HasMember("OldImage"));
  EXPECT_STREQ(insert["dynamodb"]["SequenceNumber"].GetString(), "100000000000000000001");
  EXPECT_STREQ(insert["dynamodb"]["Keys"]["pk"]["S"].GetString(), "k");
  EXPECT_FALSE(insert["dynamodb"]["Keys"].HasMember("v"));
  EXPECT_FALSE(insert.HasMember("userIdentity"));

  auto modify = parse(render_record({t, &a, &b}, "OLD_IMAGE", 2, 0));
  EXPECT_STREQ(modify["eventName"].GetString(), "MODIFY");
  EXPECT_FALSE(modify["dynamodb"].HasMember("NewImage"));
  EXPECT_STREQ(modify["dynamodb"]["OldImage"]["v"]["S"].GetString(), "1");

  auto keys_only = parse(render_record({t, &a, &b}, "KEYS_ONLY", 3, 0));
  EXPECT_FALSE(keys_only["dynamodb"].HasMember("NewImage"));
  EXPECT_FALSE(keys_only["dynamodb"].HasMember("OldImage"));
  // SizeBytes counts what the record carries: here the key only ("pk" + "k").
  EXPECT_EQ(keys_only["dynamodb"]["SizeBytes"].GetInt(), 3);

  auto ttl = parse(render_record({t, &b, nullptr, /*by_ttl=*/true}, "NEW_IMAGE", 4, 0));
  EXPECT_STREQ(ttl["eventName"].GetString(), "REMOVE");
  EXPECT_FALSE(ttl["dynamodb"].HasMember("NewImage"));
  EXPECT_STREQ(ttl["userIdentity"]["PrincipalId"].GetString(), "dynamodb.amazonaws.com");
  EXPECT_STREQ(ttl["userIdentity"]["Type"].GetString(), "Service");
  EXPECT_EQ(std::string(ttl["eventID"].GetString()).size(), 32u);
}

std::vector<uint64_t> visited(const RecordTail& tail, uint64_t from, uint64_t upper, std::optional<bool>* result = nullptr,
                              size_t stop_after = 1000) {
  std::vector<uint64_t> seqs;
  auto r = tail.visit(from, upper, [&](uint64_t seq, int64_t, std::string_view) {
    if (seqs.size() >= stop_after) return false;
    seqs.push_back(seq);
    return true;
  });
  if (result) *result = r;
  return seqs;
}

TEST(RecordTail, VouchesOnlyForWhatItHoldsFromItsFirstAppend) {
  RecordTail tail(1000);
  std::optional<bool> r;
  visited(tail, 1, 10, &r);
  EXPECT_FALSE(r);  // nothing appended yet: the store answers
  for (uint64_t seq : {5, 6, 8}) tail.append({seq, 0, std::string(10, 'x')});  // 7: a gap (a rollover)
  visited(tail, 4, 10, &r);
  EXPECT_FALSE(r);  // below the first record it holds
  EXPECT_EQ(visited(tail, 5, 10, &r), (std::vector<uint64_t>{5, 6, 8}));
  EXPECT_EQ(r, true);
  EXPECT_EQ(visited(tail, 6, 8, &r), (std::vector<uint64_t>{6}));  // `upper` is exclusive
  EXPECT_EQ(visited(tail, 5, 10, &r, 2), (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(r, false);  // stopped before the end
  EXPECT_TRUE(visited(tail, 9, 10, &r).empty());
  EXPECT_EQ(r, true);
  tail.forget();  // a record committed without its body
  visited(tail, 9, 10, &r);
  EXPECT_FALSE(r);
}

TEST(RecordTail, EvictsTheOldestWithinItsBudget) {
  RecordTail tail(100);
  for (uint64_t seq = 1; seq <= 10; ++seq) tail.append({seq, 0, std::string(30, 'x')});  // room for 3
  std::optional<bool> r;
  visited(tail, 7, 11, &r);
  EXPECT_FALSE(r);
  EXPECT_EQ(visited(tail, 8, 11, &r), (std::vector<uint64_t>{8, 9, 10}));
}

// No table exists: the stream API's TableName lookups are not what these tests drive.
class NoTables final : public ports::TableDirectory {
 public:
  bool table_exists(std::string_view, std::string_view, std::string_view) const override { return false; }
};

// The service on an in-memory store, driven through the writer as dynamodb drives it.
class StreamServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions o;
    o.in_memory = true;
    o.path = "/streams-test";
    engine_ = std::move(storage::Engine::open(o)).value();
    writer_ = std::make_unique<storage::Writer>(*engine_);
    Options options;
    options.shard_max_records = 3;
    service_ = std::make_unique<Service>(*engine_, *writer_, tables_, options);
    ASSERT_TRUE(service_->start().ok());
  }
  void TearDown() override { writer_->stop(); }

  void run(std::function<void(storage::WriteTxn&)> step) {
    std::promise<bool> done;
    writer_->submit([&](storage::WriteTxn& txn) { step(txn); return true; }, [&](bool ok) { done.set_value(ok); });
    ASSERT_TRUE(done.get_future().get());
  }

  std::vector<std::string> read_all(const Stream& s) {
    std::vector<std::string> out;
    for (const auto& shard : s.snapshot()->shards) {
      auto r = service_->read(s, shard.start_seq, shard.start_seq, 1000, 1 << 20);
      EXPECT_TRUE(r.ok());
      for (auto& rec : r->records) out.push_back(parse(rec.json)["dynamodb"]["NewImage"]["v"]["S"].GetString());
    }
    return out;
  }

  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<storage::Writer> writer_;
  NoTables tables_;
  std::unique_ptr<Service> service_;
};

TEST_F(StreamServiceTest, RecordsRollOverIntoChildShardsInOrder) {
  auto t = table_with_stream("NEW_IMAGE");
  run([&](storage::WriteTxn& txn) { service_->table_changed(txn, nullptr, &t); });
  auto stream = service_->find("arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-11-25T12:00:00.000");
  ASSERT_TRUE(stream);
  int woken = 0;
  stream->subscribe([&] { ++woken; });
  std::vector<AttributeMap> versions;
  for (int i = 0; i < 7; ++i) versions.push_back(item("k", std::to_string(i)));
  for (int i = 0; i < 7; ++i)
    run([&](storage::WriteTxn& txn) {
      service_->item_changed(txn, {t, i ? &versions[i - 1] : nullptr, &versions[i]});
    });
  EXPECT_EQ(woken, 9);  // each record's commit and each of the two rollovers
  auto meta = stream->snapshot();
  ASSERT_EQ(meta->shards.size(), 3u);  // 3 + 3 + 1 records
  EXPECT_EQ(meta->shards[1].parent_id, meta->shards[0].id);
  EXPECT_EQ(*meta->shards[0].end_seq + 1, meta->shards[1].start_seq);
  EXPECT_EQ(read_all(*stream), (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  // A closed shard read to its end says so; the open one never does.
  auto first = service_->read(*stream, meta->shards[0].start_seq, meta->shards[0].start_seq, 1000, 1 << 20);
  EXPECT_TRUE(first->shard_end);
  auto open = service_->read(*stream, meta->shards[2].start_seq, meta->shards[2].start_seq, 1000, 1 << 20);
  EXPECT_FALSE(open->shard_end);
  EXPECT_EQ(open->next_seq, stream->committed_seq() + 1);
}

TEST_F(StreamServiceTest, ASubscribedStreamReadsTheSameFromItsTailAsFromTheStore) {
  auto t = table_with_stream("NEW_IMAGE");
  run([&](storage::WriteTxn& txn) { service_->table_changed(txn, nullptr, &t); });
  auto stream = service_->list("000000000000", "us-east-1").at(0);
  std::vector<AttributeMap> versions;
  for (int i = 0; i < 5; ++i) versions.push_back(item("k", std::to_string(i)));
  auto write = [&](int i) {
    run([&](storage::WriteTxn& txn) { service_->item_changed(txn, {t, i ? &versions[i - 1] : nullptr, &versions[i]}); });
  };
  write(0);  // before anyone subscribed: in the store only
  uint64_t token = stream->subscribe([] {});
  for (int i = 1; i < 5; ++i) write(i);
  // Records 2.. (after the subscription) are in the tail, 1 is not: every read agrees with the store.
  std::optional<bool> in_tail;
  visited(stream->tail(), 1, 100, &in_tail);
  EXPECT_FALSE(in_tail);
  EXPECT_EQ(visited(stream->tail(), 2, 100, &in_tail), (std::vector<uint64_t>{2, 3, 4, 5}));  // across the rollover
  EXPECT_EQ(in_tail, true);
  EXPECT_EQ(read_all(*stream), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  auto meta = stream->snapshot();
  auto partial = service_->read(*stream, meta->shards[0].start_seq, 2, 1, 1 << 20);
  ASSERT_EQ(partial->records.size(), 1u);
  EXPECT_EQ(partial->records[0].seq, 2u);
  EXPECT_EQ(partial->next_seq, 3u);
  EXPECT_EQ(parse(partial->records[0].json)["dynamodb"]["NewImage"]["v"]["S"].GetString(), std::string("1"));
  stream->unsubscribe(token);  // nobody follows it: the memory goes back
  visited(stream->tail(), 2, 100, &in_tail);
  EXPECT_FALSE(in_tail);
}

TEST_F(StreamServiceTest, DisablingClosesTheShardAndKeepsTheRecords) {
  auto t = table_with_stream("NEW_IMAGE");
  run([&](storage::WriteTxn& txn) { service_->table_changed(txn, nullptr, &t); });
  AttributeMap a = item("k", "a");
  run([&](storage::WriteTxn& txn) { service_->item_changed(txn, {t, nullptr, &a}); });
  auto off = t;
  off.stream.enabled = false;
  run([&](storage::WriteTxn& txn) { service_->table_changed(txn, &t, &off); });
  // A write after the disable leaves no record.
  run([&](storage::WriteTxn& txn) { service_->item_changed(txn, {off, &a, nullptr}); });
  auto stream = service_->list("000000000000", "us-east-1").at(0);
  auto meta = stream->snapshot();
  EXPECT_FALSE(meta->enabled);
  EXPECT_TRUE(meta->shards.back().end_seq);
  EXPECT_EQ(read_all(*stream), std::vector<std::string>{"a"});
}

TEST_F(StreamServiceTest, SweepTrimsOldRecordsAndForgetsOldDisabledStreams) {
  auto t = table_with_stream("NEW_IMAGE");
  run([&](storage::WriteTxn& txn) { service_->table_changed(txn, nullptr, &t); });
  AttributeMap a = item("k", "a");
  run([&](storage::WriteTxn& txn) { service_->item_changed(txn, {t, nullptr, &a}); });
  auto stream = service_->list("000000000000", "us-east-1").at(0);
  int64_t later = stream->snapshot()->created_ms + service_->options().retention_ms + 60000;
  service_->sweep(later);
  auto meta = stream->snapshot();
  EXPECT_EQ(meta->trim_seq, 2u);
  auto r = service_->read(*stream, meta->shards.back().start_seq, 1, 1000, 1 << 20);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "TrimmedDataAccessException");

  auto off = t;
  off.stream.enabled = false;
  run([&](storage::WriteTxn& txn) { service_->table_changed(txn, &t, &off); });
  service_->sweep(later + service_->options().retention_ms * 2);
  EXPECT_TRUE(service_->list("000000000000", "us-east-1").empty());
}

}  // namespace
}  // namespace runnel::streams
