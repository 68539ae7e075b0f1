// Unit tests of the storage API services read and write through instead of RocksDB's own
// (storage/read.h, Engine): pinned point reads, bounded cursors and the prefix helper, snapshots,
// post-commit range deletes and synced batches, each against an exact list of keys.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "storage/engine.h"
#include "storage/key_codec.h"
#include "storage/read.h"
#include "storage/test_engine.h"

namespace runnel::storage {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// An engine holding `pairs` in kMeta (and one key in kItems, which no kMeta read may see).
std::unique_ptr<Engine> engine_with(const Pairs& pairs) {
  auto engine = open_test_engine();
  Batch batch(*engine);
  for (const auto& [k, v] : pairs) batch.put(Family::kMeta, k, v);
  batch.put(Family::kItems, "b/other-family", "x");
  EXPECT_EQ(batch.count(), pairs.size() + 1);
  EXPECT_TRUE(engine->write_synced(batch).ok());
  return engine;
}

// Every key from the cursor's position on, forwards or backwards.
std::vector<std::string> keys_from(Cursor& c, bool forward = true) {
  std::vector<std::string> out;
  for (; c.valid(); forward ? c.next() : c.prev()) out.emplace_back(c.key());
  EXPECT_TRUE(c.ok()) << c.error();
  return out;
}

const Pairs kPairs = {{"a", "1"}, {"b", "2"}, {"b/1", "3"}, {"b/2", "4"}, {"b\xff", "5"}, {"c", "6"}};
using Keys = std::vector<std::string>;

TEST(StorageRead, PinnedGetFindsReusesAndMisses) {
  auto engine = engine_with(kPairs);
  PinnedValue v;
  auto found = engine->get(Family::kMeta, "b/1", v);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(*found);
  EXPECT_EQ(v.view(), "3");
  EXPECT_EQ(v.size(), 1u);
  found = engine->get(Family::kMeta, "c", v);  // reused: the previous pin is released
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ(v.view(), "6");
  found = engine->get(Family::kMeta, "b/other-family", v);  // another family's key
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found);
  v.reset();
  EXPECT_EQ(v.view(), "");
  EXPECT_EQ(engine->get(Family::kMeta, "a"), "1");
  EXPECT_EQ(engine->get(Family::kMeta, "zz"), std::nullopt);
}

TEST(StorageRead, UnboundedCursorSeeksBothWays) {
  auto engine = engine_with(kPairs);
  Cursor c = engine->scan(Family::kMeta);
  c.seek_to_first();
  EXPECT_EQ(keys_from(c), (Keys{"a", "b", "b/1", "b/2", "b\xff", "c"}));
  c.seek("b/15");
  ASSERT_TRUE(c.valid());
  EXPECT_EQ(c.key(), "b/2");
  EXPECT_EQ(c.value(), "4");
  c.seek_for_prev("b/15");
  EXPECT_EQ(keys_from(c, false), (Keys{"b/1", "b", "a"}));
  c.seek_to_last();
  EXPECT_EQ(c.key(), "c");
  c.seek("d");
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(c.ok());
}

TEST(StorageRead, BoundsHoldEveryWay) {
  auto engine = engine_with(kPairs);
  const std::string lo = "b/", hi = "b\xff";  // [b/, b\xff)
  ScanOptions options;
  options.lower = lo;
  options.upper = hi;
  Cursor c = engine->scan(Family::kMeta, options);
  c.seek_to_first();
  EXPECT_EQ(keys_from(c), (Keys{"b/1", "b/2"}));
  c.seek_to_last();
  EXPECT_EQ(keys_from(c, false), (Keys{"b/2", "b/1"}));
  c.seek("a");  // below the lower bound: lands on the first key in range
  EXPECT_EQ(c.key(), "b/1");
  c.seek("c");
  EXPECT_FALSE(c.valid());
  c.seek_for_prev("z");  // above the upper bound: the last key in range
  EXPECT_EQ(c.key(), "b/2");

  ScanOptions upper_only;
  upper_only.upper = std::string_view("b/1");
  upper_only.fill_cache = false;  // reads the same, only leaves the block cache alone
  Cursor u = engine->scan(Family::kMeta, upper_only);
  u.seek_to_first();
  EXPECT_EQ(keys_from(u), (Keys{"a", "b"}));
}

TEST(StorageRead, ScanPrefixVisitsExactlyThePrefix) {
  auto engine = engine_with(kPairs);
  Cursor c = engine->scan_prefix(Family::kMeta, std::string("b/"));  // a temporary: copied
  EXPECT_EQ(keys_from(c), (Keys{"b/1", "b/2"}));
  Cursor b = engine->scan_prefix(Family::kMeta, "b");
  EXPECT_EQ(keys_from(b), (Keys{"b", "b/1", "b/2", "b\xff"}));
  Cursor ff = engine->scan_prefix(Family::kMeta, "b\xff");  // the successor of "b\xff" is "c"
  EXPECT_EQ(keys_from(ff), (Keys{"b\xff"}));
  Cursor all = engine->scan_prefix(Family::kMeta, "");
  EXPECT_EQ(keys_from(all).size(), kPairs.size());
  Cursor none = engine->scan_prefix(Family::kMeta, "x");
  EXPECT_FALSE(none.valid());
  // Moves keep the position.
  Cursor moved = engine->scan_prefix(Family::kMeta, "b/");
  moved.next();
  Cursor to(std::move(moved));
  EXPECT_EQ(to.key(), "b/2");
}

TEST(StorageRead, SnapshotSeesTheStoreAsOfItsCreation) {
  auto engine = engine_with(kPairs);
  Snapshot snapshot(*engine);
  {
    Batch later(*engine);
    later.put(Family::kMeta, "b/3", "new");
    later.put(Family::kMeta, "a", "changed");
    later.del(Family::kMeta, "b/1");
    ASSERT_TRUE(engine->write_synced(later).ok());
  }
  PinnedValue v;
  ASSERT_TRUE(*snapshot.get(Family::kMeta, "a", v));
  EXPECT_EQ(v.view(), "1");
  ASSERT_TRUE(*snapshot.get(Family::kMeta, "b/1", v));
  EXPECT_FALSE(*snapshot.get(Family::kMeta, "b/3", v));
  ASSERT_TRUE(*engine->get(Family::kMeta, "a", v));
  EXPECT_EQ(v.view(), "changed");

  const std::string lo = "b/", hi = "b0";
  ScanOptions options;
  options.lower = lo;
  options.upper = hi;
  Cursor then = snapshot.scan(Family::kMeta, options);
  then.seek(lo);
  EXPECT_EQ(keys_from(then), (Keys{"b/1", "b/2"}));
  Cursor now = engine->scan(Family::kMeta, options);
  now.seek(lo);
  EXPECT_EQ(keys_from(now), (Keys{"b/2", "b/3"}));
}

TEST(StorageRead, DeleteRangeRemovesHalfOpenRangeOfOneFamily) {
  auto engine = engine_with(kPairs);
  ASSERT_TRUE(engine->delete_range(Family::kMeta, "b", prefix_successor("b/")).ok());
  Cursor c = engine->scan(Family::kMeta);
  c.seek_to_first();
  EXPECT_EQ(keys_from(c), (Keys{"a", "b\xff", "c"}));
  EXPECT_EQ(engine->get(Family::kItems, "b/other-family"), "x");
}

}  // namespace
}  // namespace runnel::storage
