// A RocksDB FileSystem whose write-ahead logs are written ahead with zeros, so that a commit's
// fdatasync overwrites blocks the file already owns instead of growing the file.
//
// Why: a strict write is acknowledged after the WAL's fdatasync, so that fdatasync is most of a
// write's latency and bounds how many groups commit per second. When an append grows the file,
// fdatasync must also write the inode's new size and any new block mapping: a journal commit on
// a journalled ext4, a separate inode write on the development VM's journal-less one. An
// overwrite of blocks already allocated and written needs neither: on that VM the overwrite's
// fdatasync took 12-60 % less than the append's, depending on the disk's minute
// (docs/benchmarks.md, "A WAL written ahead").
//
// RocksDB's own answer, WAL recycling (recycle_log_file_num), is switched off by RocksDB under
// kPointInTimeRecovery, the recovery mode we rely on. Zeros are safe instead: the log format
// reserves record type 0 for preallocated space, and the log reader skips a zero header to the
// next block without reporting corruption, so the zero tail of a crashed WAL reads as its end.
// PostgreSQL writes its WAL segments full of zeros before use, and ScyllaDB its commitlog
// segments, for the same reason.
//
// The zeros are written by one thread per live WAL file ("rn-walfill"), ahead of the append
// point, off the commit path; the appender never waits for it unless it catches up with it.
#pragma once

#include <memory>
#include <string_view>

#include <rocksdb/file_system.h>

namespace runnel::storage {

// Wraps `base`; every file except a WAL ("<digits>.log") is left to `base`.
std::shared_ptr<rocksdb::FileSystem> prewritten_wal_file_system(std::shared_ptr<rocksdb::FileSystem> base);

// Whether RocksDB names this path as a write-ahead log. Exposed for tests.
bool is_wal_file_name(std::string_view path);

}  // namespace runnel::storage
