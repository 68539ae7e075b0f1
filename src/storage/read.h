// Reading committed data without RocksDB's types: a value read in place (PinnedValue), a bounded
// iterator over one family (Cursor) and a consistent view of the whole store (Snapshot). Services
// read through these; only src/storage sees RocksDB (docs/architecture.md, "Storage").
//
// Everything here reads the database, never a batch still in the writer: a read sees a group's
// writes all at once, after its commit. Keys and values are std::string_views into RocksDB's own
// memory (block cache or memtable), valid until the cursor moves or the PinnedValue is reused.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace rocksdb {
class Iterator;
}  // namespace rocksdb

namespace runnel::storage {

class Engine;
enum class Family : int;

// A point read's value, pinned where RocksDB holds it: reading it into here copies nothing (the
// hot path of GetItem splices it straight into the reply). Reuse one across reads; each read
// releases what the previous one pinned. Not movable: the pinned memory is referenced from inside.
class PinnedValue {
 public:
  PinnedValue();
  ~PinnedValue();
  PinnedValue(const PinnedValue&) = delete;
  PinnedValue& operator=(const PinnedValue&) = delete;

  std::string_view view() const;
  size_t size() const { return view().size(); }
  // Releases the pinned memory (a later read does this by itself).
  void reset();

 private:
  friend class Engine;
  friend class Snapshot;
  // A rocksdb::PinnableSlice lives in this buffer (engine.cc checks that it fits), so that a read
  // costs no heap allocation of its own.
  alignas(16) unsigned char storage_[128];
};

// Which keys a Cursor visits: [lower, upper), either end open when absent. The bytes must outlive
// the cursor (RocksDB keeps pointers to them). A bound keeps the iterator from stepping into the
// next range's keys (and their tombstones), which is cheaper than checking each key.
struct ScanOptions {
  std::optional<std::string_view> lower;
  std::optional<std::string_view> upper;
  // False for one pass over data read once (stream records): it must not evict hot blocks (the
  // items') from the shared block cache.
  bool fill_cache = true;
};

// An iterator over one family, in key order, within its ScanOptions' bounds. Starts unpositioned:
// call a seek first. Movable, not copyable.
class Cursor {
 public:
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  ~Cursor();

  void seek(std::string_view target);           // the first key >= target
  void seek_for_prev(std::string_view target);  // the last key <= target
  void seek_to_first();                          // the first key (>= the lower bound)
  void seek_to_last();                           // the last key (< the upper bound)
  bool valid() const;
  void next();
  void prev();
  std::string_view key() const;    // valid() only
  std::string_view value() const;  // valid() only
  // False when the iteration stopped on an error rather than at the end of its range.
  bool ok() const;
  std::string error() const;  // what went wrong when !ok()

 private:
  friend class Engine;
  friend class Snapshot;
  struct Impl;
  // `snapshot` is a const rocksdb::Snapshot* or null; `impl`, when given, already holds bounds
  // that `options` points into.
  static Cursor open(Engine& engine, const void* snapshot, Family f, const ScanOptions& options,
                     std::unique_ptr<Impl> impl = nullptr);
  explicit Cursor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  rocksdb::Iterator* it_ = nullptr;  // impl_'s, kept here to save a hop per step
};

// A consistent view of the store as of its creation: every read through it agrees with every
// other (TransactGetItems, an LSI query's item fetches). Released on destruction; it pins the
// versions it can see, so keep it for one request, not longer. Must not outlive its Engine, and
// a Cursor made from it must not outlive it.
class Snapshot {
 public:
  explicit Snapshot(Engine& engine);
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // As Engine::get(f, key, out), as of the snapshot.
  Result<bool> get(Family f, std::string_view key, PinnedValue& out) const;
  Cursor scan(Family f, const ScanOptions& options = {}) const;

 private:
  Engine& engine_;
  const void* snapshot_;  // a const rocksdb::Snapshot*
};

}  // namespace runnel::storage
