// Unit tests of storage::Writer: read-modify-write steps from many threads all count, a step that
// returns false or throws leaves nothing, scan_prefix sees the database merged with both pending
// groups, and stop() commits everything submitted before it.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/engine.h"
#include "storage/rocks.h"
#include "storage/test_engine.h"
#include "storage/writer.h"

namespace runnel::storage {
namespace {

int64_t read_counter(WriteTxn& txn, std::string_view key) {
  auto v = txn.get(Family::kMeta, key);
  return v ? std::stoll(*v) : 0;
}

// Runs one step and waits for its commit; returns what the step saw.
template <typename Step>
auto run(Writer& writer, Step step) {
  using R = decltype(step(std::declval<WriteTxn&>()));
  std::promise<std::pair<R, bool>> result;
  auto seen = std::make_shared<R>();
  writer.submit(
      [&, seen](WriteTxn& txn) {
        *seen = step(txn);
        return true;
      },
      [&, seen](bool committed) { result.set_value({*seen, committed}); });
  return result.get_future().get();
}

// Every increment reads the value the one before it wrote, whether that one is in the same group,
// in the group being committed, or in the database: none is lost, and requests share groups.
TEST(Writer, ConcurrentIncrementsAllCount) {
  auto engine = open_test_engine();
  Writer writer(*engine);
  constexpr int kThreads = 8, kPerThread = 2000;
  std::atomic<int> done{0}, committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i)
        writer.submit(
            [](WriteTxn& txn) {
              txn.put(Family::kMeta, "counter", std::to_string(read_counter(txn, "counter") + 1));
              return true;
            },
            [&](bool ok) {
              committed += ok;
              ++done;
            });
    });
  for (auto& t : threads) t.join();
  writer.stop();  // commits everything submitted before it
  EXPECT_EQ(done.load(), kThreads * kPerThread);
  EXPECT_EQ(committed.load(), kThreads * kPerThread);
  EXPECT_EQ(engine->get(Family::kMeta, "counter"), std::to_string(kThreads * kPerThread));
  EXPECT_EQ(writer.requests_committed(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(writer.groups_committed(), writer.requests_committed());
}

// A step that returns false, or throws, is rolled back to its savepoint; the steps around it in the
// same group keep their writes, and a later write of the same key reads the value from before it.
TEST(Writer, RejectedAndThrowingStepsLeaveNothing) {
  auto engine = open_test_engine();
  Writer writer(*engine);
  std::atomic<int> dones{0};
  auto put = [&](std::string key, std::string value, int outcome) {
    writer.submit(
        [=](WriteTxn& txn) {
          txn.put(Family::kMeta, key, value);
          if (outcome == 2) throw std::runtime_error("a bug");
          return outcome == 0;
        },
        [&](bool) { ++dones; });
  };
  put("a", "1", 0);
  put("a", "2", 1);  // rejected
  put("b", "1", 2);  // throws
  put("c", "1", 0);
  auto [seen, committed] = run(writer, [](WriteTxn& txn) { return txn.get(Family::kMeta, "a").value_or("-"); });
  EXPECT_TRUE(committed);
  EXPECT_EQ(seen, "1");
  writer.stop();
  EXPECT_EQ(dones.load(), 4);
  EXPECT_EQ(engine->get(Family::kMeta, "a"), "1");
  EXPECT_EQ(engine->get(Family::kMeta, "b"), std::nullopt);
  EXPECT_EQ(engine->get(Family::kMeta, "c"), "1");
}

// put_unread writes reach the store with their step, and a rejected step's go with it.
TEST(Writer, UnreadPutsCommitAndRollBackWithTheirStep) {
  auto engine = open_test_engine();
  Writer writer(*engine);
  std::atomic<int> dones{0};
  auto put = [&](std::string key, bool keep) {
    writer.submit(
        [=](WriteTxn& txn) {
          txn.put_unread(Family::kLogs, key, "v");
          return keep;
        },
        [&](bool) { ++dones; });
  };
  put("kept", true);
  put("rejected", false);
  writer.stop();
  EXPECT_EQ(dones.load(), 2);
  EXPECT_EQ(engine->get(Family::kLogs, "kept"), "v");
  EXPECT_EQ(engine->get(Family::kLogs, "rejected"), std::nullopt);
}

// scan_prefix merges the database with pending writes — puts and deletes alike — in key order,
// including those of the group being written at that moment. To catch that group in flight, the
// commit thread is held (by the test hook, before it writes the first group) while a full group
// queues up behind it, its last step the one whose writes the scan must see; the scan step then
// waits for that full group to be taken and runs while the commit thread is still writing its
// ~100,000 keys.
TEST(Writer, ScanPrefixSeesPendingWritesOverTheDatabase) {
  auto engine = open_test_engine();
  rocksdb::WriteOptions w;
  for (const char* k : {"p/1", "p/3", "p/5", "q/1"}) ASSERT_TRUE(Rocks::db(*engine)->Put(w, Rocks::family(*engine, Family::kMeta), k, "db").ok());
  Writer writer(*engine);
  std::promise<void> holding, release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true;
  writer.set_commit_hook_for_test([&, released] {
    if (!std::exchange(first, false)) return;
    holding.set_value();
    released.wait();
  });
  writer.submit([&](WriteTxn& txn) {
    txn.put(Family::kMeta, "first", "x");
    return true;
  }, [](bool) {});
  holding.get_future().wait();
  for (size_t i = 0; i + 1 < Writer::kMaxGroup; ++i)
    writer.submit([i](WriteTxn& txn) {
      for (int k = 0; k < 200; ++k) txn.put(Family::kMeta, "filler/" + std::to_string(i) + "/" + std::to_string(k), "x");
      return true;
    }, [](bool) {});
  writer.submit([](WriteTxn& txn) {
    txn.put(Family::kMeta, "p/2", "pending");
    txn.del(Family::kMeta, "p/3");
    txn.put(Family::kMeta, "p/5", "changed");
    return true;
  }, [](bool) {});
  std::promise<std::pair<std::string, bool>> scanned;
  writer.submit([&](WriteTxn& txn) {
    txn.put(Family::kMeta, "p/6", "mine");
    std::string out;
    txn.scan_prefix(Family::kMeta, "p/", [&](std::string_view k, std::string_view v) {
      out += std::string(k) + "=" + std::string(v) + ";";
    });
    // Whether the full group was still being written when this ran (it should have been).
    bool in_flight = !engine->get(Family::kMeta, "p/2").has_value();
    scanned.set_value({out, in_flight});
    return true;
  }, [](bool) {});
  release.set_value();
  auto [seen, in_flight] = scanned.get_future().get();
  EXPECT_EQ(seen, "p/1=db;p/2=pending;p/5=changed;p/6=mine;");
  EXPECT_TRUE(in_flight) << "the scan ran after the group it should overlap was written";
}

// A slow completion (a reply being rendered) does not hold the next group's commit when that group
// is waiting: completions then run on their own thread, in commit order. (The commit hook holds
// the first group until the second is queued behind it, so the second is waiting.)
TEST(Writer, ASlowCompletionDoesNotHoldAWaitingCommit) {
  auto engine = open_test_engine();
  Writer writer(*engine);
  std::promise<void> holding, release_commit, release_completion;
  std::shared_future<void> commit_released = release_commit.get_future().share();
  std::shared_future<void> completion_released = release_completion.get_future().share();
  bool first = true;
  writer.set_commit_hook_for_test([&, commit_released] {
    if (!std::exchange(first, false)) return;
    holding.set_value();
    commit_released.wait();
  });
  std::vector<int> order;
  std::mutex order_mu;
  writer.submit([](WriteTxn& txn) {
    txn.put(Family::kMeta, "slow", "1");
    return true;
  }, [&, completion_released](bool) {
    completion_released.wait();
    std::lock_guard lock(order_mu);
    order.push_back(1);
  });
  holding.get_future().wait();
  std::promise<void> second_applied, second_done;
  writer.submit([&](WriteTxn& txn) {
    txn.put(Family::kMeta, "next", "2");
    second_applied.set_value();
    return true;
  }, [&](bool) {
    std::lock_guard lock(order_mu);
    order.push_back(2);
    second_done.set_value();
  });
  second_applied.get_future().wait();
  release_commit.set_value();
  // The second group reaches the store while the first one's completion still waits.
  Engine* e = engine.get();
  for (int i = 0; i < 500 && !e->get(Family::kMeta, "next"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(e->get(Family::kMeta, "next"), "2");
  release_completion.set_value();
  second_done.get_future().get();
  std::lock_guard lock(order_mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));  // the completions kept commit order
}

// on_commit callbacks run after the group's write, before the replies.
TEST(Writer, OnCommitRunsAfterTheWrite) {
  auto engine = open_test_engine();
  Writer writer(*engine);
  std::promise<std::optional<std::string>> after;
  std::promise<void> replied;
  Engine* e = engine.get();
  writer.submit(
      [&, e](WriteTxn& txn) {
        txn.put(Family::kMeta, "k", "v");
        txn.on_commit([&, e](bool ok) {
          EXPECT_TRUE(ok);
          after.set_value(e->get(Family::kMeta, "k"));
        });
        return true;
      },
      [&](bool) { replied.set_value(); });
  EXPECT_EQ(after.get_future().get(), "v");
  replied.get_future().get();
}

// After a failed commit every later write is refused, even one the database would take: the steps
// applied after the failed group may have read its writes, which never reached the database. Steps
// that write nothing still complete. (The failure here is a write into a dropped column family; a
// full disk fails the same DB::Write, and RocksDB's WAL writer must not be written after that.)
TEST(Writer, AFailedCommitRefusesEveryLaterWrite) {
  auto engine = open_test_engine();
  ASSERT_TRUE(Rocks::db(*engine)->DropColumnFamily(Rocks::family(*engine, Family::kStreams)).ok());
  Writer writer(*engine);
  auto [seen_before, first] = run(writer, [](WriteTxn& txn) {
    txn.put(Family::kMeta, "before", "1");
    return 0;
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(writer.failed());

  auto [seen_failing, failing] = run(writer, [](WriteTxn& txn) {
    txn.put(Family::kStreams, "lost", "1");
    return 0;
  });
  EXPECT_FALSE(failing);
  EXPECT_TRUE(writer.failed());

  auto [seen_after, after] = run(writer, [](WriteTxn& txn) {
    txn.put(Family::kMeta, "after", "1");
    return 0;
  });
  EXPECT_FALSE(after) << "a write after a failed commit must be refused";
  auto [seen, read_only] = run(writer, [](WriteTxn& txn) { return txn.get(Family::kMeta, "before").value_or("-"); });
  EXPECT_TRUE(read_only);
  EXPECT_EQ(seen, "1");
  writer.stop();
  EXPECT_EQ(engine->get(Family::kMeta, "before"), "1");
  EXPECT_EQ(engine->get(Family::kMeta, "after"), std::nullopt);
  EXPECT_EQ(writer.requests_committed(), 2u) << "refused writes must not count as committed";
}

// After stop(), a submission is answered at once as not committed.
TEST(Writer, SubmitAfterStopFails) {
  auto engine = open_test_engine();
  Writer writer(*engine);
  writer.stop();
  bool called = false, committed = true;
  writer.submit([](WriteTxn&) { return true; }, [&](bool ok) {
    called = true;
    committed = ok;
  });
  EXPECT_TRUE(called);
  EXPECT_FALSE(committed);
}

}  // namespace
}  // namespace runnel::storage
