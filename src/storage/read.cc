#include "storage/read.h"

#include <new>

#include "storage/key_codec.h"
#include "storage/rocks.h"

namespace runnel::storage {

namespace {

rocksdb::PinnableSlice& pinned(unsigned char* storage) {
  return *std::launder(reinterpret_cast<rocksdb::PinnableSlice*>(storage));
}
const rocksdb::PinnableSlice& pinned(const unsigned char* storage) {
  return *std::launder(reinterpret_cast<const rocksdb::PinnableSlice*>(storage));
}

Result<bool> point_read(Engine& engine, const rocksdb::Snapshot* snapshot, Family f, std::string_view key,
                        rocksdb::PinnableSlice& out) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  out.Reset();
  auto s = Rocks::db(engine)->Get(options, Rocks::family(engine, f), to_slice(key), &out);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return ApiError::internal("read in " + std::string(family_name(f)) + ": " + s.ToString());
  return true;
}

}  // namespace

// --- PinnedValue ------------------------------------------------------------------------------

static_assert(sizeof(rocksdb::PinnableSlice) <= 128 && alignof(rocksdb::PinnableSlice) <= 16,
              "PinnedValue::storage_ is too small for this RocksDB's PinnableSlice");

PinnedValue::PinnedValue() { new (storage_) rocksdb::PinnableSlice(); }
PinnedValue::~PinnedValue() { pinned(storage_).~PinnableSlice(); }
std::string_view PinnedValue::view() const { return to_view(pinned(storage_)); }
void PinnedValue::reset() { pinned(storage_).Reset(); }

// --- Cursor -----------------------------------------------------------------------------------

struct Cursor::Impl {
  // Bounds: RocksDB keeps pointers to these Slices, so they live here, beside the iterator.
  rocksdb::Slice lower, upper;
  std::string owned_lower, owned_upper;  // scan_prefix's bounds (the others are the caller's)
  std::unique_ptr<rocksdb::Iterator> it;
};

Cursor Cursor::open(Engine& engine, const void* snapshot, Family f, const ScanOptions& options,
                    std::unique_ptr<Impl> impl) {
  if (!impl) impl = std::make_unique<Impl>();
  rocksdb::ReadOptions read_options;
  read_options.snapshot = static_cast<const rocksdb::Snapshot*>(snapshot);
  read_options.fill_cache = options.fill_cache;
  if (options.lower) {
    impl->lower = to_slice(*options.lower);
    read_options.iterate_lower_bound = &impl->lower;
  }
  if (options.upper) {
    impl->upper = to_slice(*options.upper);
    read_options.iterate_upper_bound = &impl->upper;
  }
  impl->it.reset(Rocks::db(engine)->NewIterator(read_options, Rocks::family(engine, f)));
  return Cursor(std::move(impl));
}

Cursor::Cursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), it_(impl_->it.get()) {}
Cursor::Cursor(Cursor&& other) noexcept : impl_(std::move(other.impl_)), it_(std::exchange(other.it_, nullptr)) {}
Cursor& Cursor::operator=(Cursor&& other) noexcept {
  impl_ = std::move(other.impl_);
  it_ = std::exchange(other.it_, nullptr);
  return *this;
}
Cursor::~Cursor() = default;

void Cursor::seek(std::string_view target) { it_->Seek(to_slice(target)); }
void Cursor::seek_for_prev(std::string_view target) { it_->SeekForPrev(to_slice(target)); }
void Cursor::seek_to_first() { it_->SeekToFirst(); }
void Cursor::seek_to_last() { it_->SeekToLast(); }
bool Cursor::valid() const { return it_->Valid(); }
void Cursor::next() { it_->Next(); }
void Cursor::prev() { it_->Prev(); }
std::string_view Cursor::key() const { return to_view(it_->key()); }
std::string_view Cursor::value() const { return to_view(it_->value()); }
bool Cursor::ok() const { return it_->status().ok(); }
std::string Cursor::error() const { return it_->status().ToString(); }

// --- Engine's reads --------------------------------------------------------------------------

Result<bool> Engine::get(Family f, std::string_view key, PinnedValue& out) {
  return point_read(*this, nullptr, f, key, pinned(out.storage_));
}

Cursor Engine::scan(Family f, const ScanOptions& options) { return Cursor::open(*this, nullptr, f, options); }

Cursor Engine::scan_prefix(Family f, std::string_view prefix) {
  auto impl = std::make_unique<Cursor::Impl>();
  impl->owned_lower.assign(prefix);
  impl->owned_upper = prefix_successor(prefix);
  ScanOptions options;
  options.lower = impl->owned_lower;
  if (!impl->owned_upper.empty()) options.upper = impl->owned_upper;  // none: the prefix is all 0xff
  Cursor c = Cursor::open(*this, nullptr, f, options, std::move(impl));
  c.seek(prefix);
  return c;
}

// --- Snapshot ---------------------------------------------------------------------------------

Snapshot::Snapshot(Engine& engine) : engine_(engine), snapshot_(Rocks::db(engine)->GetSnapshot()) {}

Snapshot::~Snapshot() { Rocks::db(engine_)->ReleaseSnapshot(static_cast<const rocksdb::Snapshot*>(snapshot_)); }

Result<bool> Snapshot::get(Family f, std::string_view key, PinnedValue& out) const {
  return point_read(engine_, static_cast<const rocksdb::Snapshot*>(snapshot_), f, key, pinned(out.storage_));
}

Cursor Snapshot::scan(Family f, const ScanOptions& options) const {
  return Cursor::open(engine_, snapshot_, f, options);
}

}  // namespace runnel::storage
