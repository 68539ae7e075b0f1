// A function's code on disk: the stored zip, unpacked once into a directory named by its SHA-256,
// which becomes the process's LAMBDA_TASK_ROOT and working directory. Unpacking goes to a temporary
// sibling renamed into place, so a crash never leaves a half-unpacked tree under the final name.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace runnel::lambda {

// Lambda's limits for a direct upload (50 MB zipped) and its contents (250 MB unzipped).
inline constexpr uint64_t kMaxZipBytes = 50ULL * 1024 * 1024;
inline constexpr uint64_t kMaxUnzippedBytes = 250ULL * 1024 * 1024;

// Checks that `zip` is a zip archive Lambda would take (readable, within the unzipped limit as
// declared, no entry escaping its root, no entries colliding) without writing anything.
Status check_zip(std::string_view zip);

// Unpacks `zip` into `<root>/<sha_hex>` unless that directory exists; returns its path. Unix modes
// in the archive are kept (the bootstrap must stay executable), plus read for all (the function's
// uid is not runnel's). The bytes written are counted: an archive whose entries inflate past their
// declared sizes stops at the unzipped limit with Lambda's InvalidParameterValueException. Slow
// (up to 250 MB written): call it off the HTTP I/O threads.
Result<std::string> unpack(std::string_view zip, const std::string& root, const std::string& sha_hex);

}  // namespace runnel::lambda
