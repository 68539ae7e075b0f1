// Unit tests of the WAL written ahead with zeros (storage/prewritten_wal.h): the file keeps its
// data exact while zeros run ahead of it, drops the zeros on close, and a store whose WAL ends in
// zeros (what a crash leaves) reopens with every synced write, also when the last record is torn.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include <rocksdb/file_system.h>

#include "storage/engine.h"
#include "storage/rocks.h"
#include "storage/prewritten_wal.h"

namespace runnel::storage {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(testing::TempDir()) / ("runnel-prewritten-wal-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The filler runs on its own thread; waiting for its effect is the test's business, not the code's.
bool wait_until(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

fs::path only_wal_in(const fs::path& dir) {
  fs::path wal;
  for (const auto& entry : fs::directory_iterator(dir))
    if (is_wal_file_name(entry.path().string())) {
      EXPECT_TRUE(wal.empty()) << "more than one WAL in " << dir;
      wal = entry.path();
    }
  EXPECT_FALSE(wal.empty()) << "no WAL in " << dir;
  return wal;
}

TEST(PrewrittenWal, RecognisesRocksDbWalNames) {
  EXPECT_TRUE(is_wal_file_name("000012.log"));
  EXPECT_TRUE(is_wal_file_name("/var/lib/runnel/000012.log"));
  EXPECT_FALSE(is_wal_file_name("/var/lib/runnel/LOG"));
  EXPECT_FALSE(is_wal_file_name("/var/lib/runnel/LOG.old.1700000000"));
  EXPECT_FALSE(is_wal_file_name("/var/lib/runnel/MANIFEST-000005"));
  EXPECT_FALSE(is_wal_file_name("/var/lib/runnel/000013.sst"));
  EXPECT_FALSE(is_wal_file_name("/var/lib/runnel/.log"));
  EXPECT_FALSE(is_wal_file_name("/var/lib/runnel/x12.log"));
}

TEST(PrewrittenWal, ZerosRunAheadOfTheDataAndGoOnClose) {
  fs::path dir = fresh_dir("file");
  auto file_system = prewritten_wal_file_system(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::FSWritableFile> file;
  fs::path path = dir / "000001.log";
  ASSERT_TRUE(file_system->NewWritableFile(path.string(), rocksdb::FileOptions(), &file, nullptr).ok());

  std::string data;
  for (int i = 0; i < 3000; ++i) {
    std::string piece = "record " + std::to_string(i) + " " + std::string(i % 97, 'x') + "\n";
    ASSERT_TRUE(file->Append(piece, rocksdb::IOOptions(), nullptr).ok());
    data += piece;
  }
  ASSERT_TRUE(file->Sync(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(file->GetFileSize(rocksdb::IOOptions(), nullptr), data.size());

  // The filler writes zeros a few MiB past the data; the data itself is untouched by them.
  ASSERT_TRUE(wait_until([&] { return fs::file_size(path) >= data.size() + (4u << 20); }))
      << "no zeros were written ahead: the file is " << fs::file_size(path) << " bytes";
  std::string on_disk = read_all(path);
  EXPECT_EQ(on_disk.substr(0, data.size()), data);
  EXPECT_EQ(on_disk.find_first_not_of('\0', data.size()), std::string::npos);

  ASSERT_TRUE(file->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(read_all(path), data);
  fs::remove_all(dir);
}

// Copies every file of a live store: the image a crash leaves, WAL zeros included.
void copy_store(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from))
    if (entry.is_regular_file()) fs::copy_file(entry.path(), to / entry.path().filename());
}

EngineOptions store_at(const fs::path& dir) {
  EngineOptions options;
  options.path = dir.string();
  return options;
}

std::string key_of(int i) { return "key-" + std::to_string(i); }

class CrashImage : public testing::Test {
 protected:
  static constexpr int kWrites = 1500;

  void SetUp() override {
    live_ = fresh_dir("live");
    image_ = fresh_dir("image");
    auto opened = Engine::open(store_at(live_));
    ASSERT_TRUE(opened.ok());
    engine_ = std::move(opened).value();
    rocksdb::WriteOptions synced;
    synced.sync = true;
    for (int i = 0; i < kWrites; ++i)
      ASSERT_TRUE(Rocks::db(*engine_)->Put(synced, Rocks::family(*engine_, Family::kItems), key_of(i),
                                     "value-" + std::to_string(i) + std::string(200, 'v')).ok());
    // The live WAL must end in zeros, or the image would not test what a crash leaves.
    fs::path wal = only_wal_in(live_);
    ASSERT_TRUE(wait_until([&] {
      std::string bytes = read_all(wal);
      return bytes.size() > (1u << 20) && bytes.back() == '\0';
    })) << "the live WAL has no zero tail";
    copy_store(live_, image_);
  }

  void TearDown() override {
    engine_.reset();
    fs::remove_all(live_);
    fs::remove_all(image_);
  }

  fs::path live_, image_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(CrashImage, ReopensWithEverySyncedWrite) {
  auto reopened = Engine::open(store_at(image_));
  ASSERT_TRUE(reopened.ok());
  for (int i = 0; i < kWrites; ++i)
    ASSERT_TRUE(reopened.value()->get(Family::kItems, key_of(i)).has_value()) << key_of(i) << " lost";
}

// A crash in the middle of a commit's pwrite leaves its record half data, half zeros (or
// garbage): point-in-time recovery stops before that record and keeps everything before it.
TEST_F(CrashImage, ATornLastRecordLosesOnlyThatWrite) {
  fs::path wal = only_wal_in(image_);
  std::string bytes = read_all(wal);
  size_t data_end = bytes.find_last_not_of('\0') + 1;
  ASSERT_GT(data_end, 64u);
  {
    std::fstream out(wal, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(data_end - 40));
    out.write(std::string(40, '\xA5').data(), 40);
  }
  auto reopened = Engine::open(store_at(image_));
  ASSERT_TRUE(reopened.ok()) << "point-in-time recovery should stop at the torn record";
  for (int i = 0; i < kWrites - 1; ++i)
    ASSERT_TRUE(reopened.value()->get(Family::kItems, key_of(i)).has_value()) << key_of(i) << " lost";
  EXPECT_FALSE(reopened.value()->get(Family::kItems, key_of(kWrites - 1)).has_value());
}

}  // namespace
}  // namespace runnel::storage
