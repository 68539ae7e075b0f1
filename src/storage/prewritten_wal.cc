#include "storage/prewritten_wal.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/log.h"
#include "common/thread_name.h"

namespace runnel::storage {

namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

// The filler keeps between kLowWater and kAhead bytes written past the append point, one
// kChunk pwrite + fdatasync at a time. At 20,000 strict writes/s the WAL grows ~10 MB/s, so the
// filler wakes a few times a second; 8 MiB ahead is most of a second of headroom.
constexpr uint64_t kChunk = 1 << 20;
constexpr uint64_t kAhead = 8 << 20;
// No zeros are written while the file system has less than this free: they would take the space
// the writer keeps for the steps it lets run (storage/writer.h, kStepReserve), and a commit that
// then finds none fails for good. Near a full disk the WAL grows by plain appends instead.
constexpr uint64_t kFillFloor = 32u << 20;
constexpr uint64_t kLowWater = 4 << 20;

const char kZeros[kChunk] = {};

IOStatus io_error(const char* call, const std::string& name, int err) {
  return IOStatus::IOError(std::string(call) + " " + name, std::strerror(err));
}

IOStatus write_fully(int fd, const char* data, size_t size, uint64_t offset, const std::string& name) {
  while (size > 0) {
    ssize_t done = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (done < 0) {
      if (errno == EINTR) continue;
      return io_error("pwrite", name, errno);
    }
    data += done;
    size -= static_cast<size_t>(done);
    offset += static_cast<uint64_t>(done);
  }
  return IOStatus::OK();
}

// RocksDB appends to a WAL from one thread at a time and may call Sync from another
// (IsSyncThreadSafe). The filler thread only ever writes at `written_end_`, and only while
// holding `mu_`; an append that reaches past `written_end_` also holds `mu_` and moves
// `written_end_` past its data, so zeros never land on data. An append below `written_end_`
// needs no lock: that range is finished, and the filler never goes back to it.
class PrewrittenWalFile final : public rocksdb::FSWritableFile {
 public:
  PrewrittenWalFile(int fd, std::string name, const rocksdb::FileOptions& options)
      : rocksdb::FSWritableFile(options), fd_(fd), name_(std::move(name)) {
    filler_ = std::thread([this] {
      name_this_thread("rn-walfill");
      fill_loop();
    });
  }
  ~PrewrittenWalFile() override { close_file(); }

  IOStatus Append(const rocksdb::Slice& data, const IOOptions&, IODebugContext*) override {
    const uint64_t at = size_.load(std::memory_order_relaxed);
    const uint64_t end = at + data.size();
    IOStatus s;
    if (end <= written_end_.load(std::memory_order_acquire)) {
      s = write_fully(fd_, data.data(), data.size(), at, name_);
    } else {
      // The filler is behind: write as a plain append, under the lock so the filler starts after it.
      std::lock_guard lock(mu_);
      s = write_fully(fd_, data.data(), data.size(), at, name_);
      if (s.ok() && written_end_.load(std::memory_order_relaxed) < end)
        written_end_.store(end, std::memory_order_release);
    }
    if (!s.ok()) return s;
    size_.store(end, std::memory_order_release);
    // Wake the filler once per low-water crossing, not on every append, and without the lock
    // (the filler may hold it for a chunk's pwrite).
    if (written_end_.load(std::memory_order_acquire) < end + kLowWater && !fill_wanted_.exchange(true))
      fill_wanted_.notify_one();
    return s;
  }

  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo&, IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }

  // Cuts the file at `size`, zeros included; no write follows a Truncate (FSWritableFile's contract).
  IOStatus Truncate(uint64_t size, const IOOptions&, IODebugContext*) override {
    stop_filler();
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return io_error("ftruncate", name_, errno);
    size_.store(size, std::memory_order_release);
    return IOStatus::OK();
  }

  IOStatus Close(const IOOptions&, IODebugContext*) override { return close_file(); }

  IOStatus Flush(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }  // no buffer here

  IOStatus Sync(const IOOptions&, IODebugContext*) override {
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", name_, errno);
    return IOStatus::OK();
  }

  IOStatus Fsync(const IOOptions&, IODebugContext*) override {
    if (::fsync(fd_) != 0) return io_error("fsync", name_, errno);
    return IOStatus::OK();
  }

  bool IsSyncThreadSafe() const override { return true; }

  uint64_t GetFileSize(const IOOptions&, IODebugContext*) override {
    return size_.load(std::memory_order_acquire);
  }

  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions&, IODebugContext*) override {
    if (::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(nbytes), SYNC_FILE_RANGE_WRITE) != 0)
      return io_error("sync_file_range", name_, errno);
    return IOStatus::OK();
  }

  IOStatus InvalidateCache(size_t, size_t) override { return IOStatus::OK(); }

 private:
  void fill_loop() {
    for (;;) {
      fill_wanted_.wait(false);
      if (stopping_.load()) return;
      fill_wanted_.store(false);  // an append that wants more from here on sets it again
      while (!stopping_.load() &&
             written_end_.load(std::memory_order_acquire) < size_.load(std::memory_order_acquire) + kAhead) {
        struct statvfs fs {};
        if (::fstatvfs(fd_, &fs) == 0 && static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < kFillFloor + kChunk) break;
        {
          std::lock_guard lock(mu_);
          const uint64_t from = written_end_.load(std::memory_order_relaxed);
          IOStatus s = write_fully(fd_, kZeros, kChunk, from, name_);
          if (!s.ok()) {
            // Out of space, most likely: appends go on as plain appends and report their own errors.
            spdlog::warn(R"("event":"wal.prewrite_stopped","status":{})", json_quote(s.ToString()));
            return;
          }
          written_end_.store(from + kChunk, std::memory_order_release);
        }
        // The zeros' own fdatasync commits the new size and blocks, so the commits after it don't
        // have to. A failure here only means a later commit's fdatasync does that work.
        if (::fdatasync(fd_) != 0)
          spdlog::warn(R"("event":"wal.prewrite_sync_failed","error":{})", json_quote(std::strerror(errno)));
      }
    }
  }

  void stop_filler() {
    if (!filler_.joinable()) return;
    stopping_.store(true);
    fill_wanted_.store(true);
    fill_wanted_.notify_one();
    filler_.join();
  }

  IOStatus close_file() {
    if (fd_ < 0) return IOStatus::OK();
    stop_filler();
    IOStatus s;
    if (::ftruncate(fd_, static_cast<off_t>(size_.load())) != 0) s = io_error("ftruncate", name_, errno);
    if (::close(fd_) != 0 && s.ok()) s = io_error("close", name_, errno);
    fd_ = -1;
    return s;
  }

  int fd_;
  const std::string name_;
  std::atomic<uint64_t> size_{0};         // bytes of log data, written by the appender
  std::atomic<uint64_t> written_end_{0};  // every byte below is written: zeros or log data
  std::atomic<bool> fill_wanted_{true};   // the filler's wake-up; true: it starts at once
  std::atomic<bool> stopping_{false};
  std::mutex mu_;                         // held by the filler's pwrite and by appends past the zeros
  std::thread filler_;
};

class PrewrittenWalFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit PrewrittenWalFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : rocksdb::FileSystemWrapper(std::move(base)) {}

  static const char* kClassName() { return "RunnelPrewrittenWal"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                           std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) override {
    if (!is_wal_file_name(name) || options.use_direct_writes || options.use_mmap_writes)
      return target()->NewWritableFile(name, options, result, dbg);
    int fd;
    do {
      fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return io_error("open", name, errno);
    *result = std::make_unique<PrewrittenWalFile>(fd, name, options);
    return IOStatus::OK();
  }
};

}  // namespace

bool is_wal_file_name(std::string_view path) {
  std::string_view base = path.substr(path.find_last_of('/') + 1);  // npos + 1 == 0
  constexpr std::string_view kSuffix = ".log";
  if (base.size() <= kSuffix.size() || base.substr(base.size() - kSuffix.size()) != kSuffix) return false;
  std::string_view number = base.substr(0, base.size() - kSuffix.size());
  return std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::shared_ptr<rocksdb::FileSystem> prewritten_wal_file_system(std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<PrewrittenWalFileSystem>(std::move(base));
}

}  // namespace runnel::storage
