// Private to src/storage and its tests: the RocksDB objects behind an Engine. Nothing outside
// src/storage includes this (scripts/check-layering.sh fails the build's tests if it does).
#pragma once

#include <memory>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/env.h>

#include "storage/engine.h"

namespace runnel::storage {

struct Engine::Impl {
  std::unique_ptr<rocksdb::Env> env;  // outlives db (declared first, destroyed last)
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
};

struct Rocks {
  static rocksdb::DB* db(Engine& e) { return e.impl_->db.get(); }
  static rocksdb::ColumnFamilyHandle* family(Engine& e, Family f) { return e.impl_->families[static_cast<int>(f)]; }
};

inline rocksdb::Slice to_slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
inline std::string_view to_view(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

}  // namespace runnel::storage
