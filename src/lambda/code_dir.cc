#include "lambda/code_dir.h"

#include <sys/stat.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "common/thread_name.h"
#include "lambda/function.h"

namespace runnel::lambda {

namespace fs = std::filesystem;

namespace {

ApiError bad_zip(std::string_view why) {
  return invalid_parameter(fmt::format("Could not unzip uploaded file. Please check your file, then try to upload again. ({})", why));
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

Result<std::unique_ptr<zip_t, ZipCloser>> open_zip(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) return bad_zip(zip_error_strerror(&error));
  zip_t* z = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (!z) {
    zip_source_free(source);
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return bad_zip(why);
  }
  return std::unique_ptr<zip_t, ZipCloser>(z);
}

// An entry name that stays inside the root: relative, no "..".
bool safe_name(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  for (const auto& part : fs::path(std::string(name)))
    if (part == "..") return false;
  return true;
}

ApiError too_big() {
  return invalid_parameter(fmt::format("Unzipped size must be smaller than {} bytes", kMaxUnzippedBytes));
}

// Entries that cannot all exist at once: a file and then a path under it ("a", "a/b"), or a
// directory and a file of the same name ("a/", "a"). Unpacking either would fail half-way; Lambda
// refuses such an archive as unreadable (400), so runnel does so before writing anything.
class Layout {
 public:
  // Records `name` (an entry name, "dir/" for a directory); false when it collides.
  bool add(std::string_view name) {
    bool dir = name.ends_with('/');
    std::string path(dir ? name.substr(0, name.size() - 1) : name);
    if (path.empty()) return true;
    // Every parent becomes a directory; none may be a file.
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      if (files_.count(parent)) return false;
      dirs_.insert(parent);
    }
    if (dir) {
      if (files_.count(path)) return false;
      dirs_.insert(path);
    } else {
      if (dirs_.count(path)) return false;
      files_.insert(path);  // the same file twice is a rewrite, as unzip does it
    }
    return true;
  }

 private:
  std::set<std::string> files_, dirs_;
};

Status walk(std::string_view bytes, const fs::path* into) {
  RUNNEL_TRY(auto z, open_zip(bytes));
  zip_int64_t entries = zip_get_num_entries(z.get(), 0);
  uint64_t declared = 0;
  Layout layout;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    if (zip_stat_index(z.get(), i, 0, &st) != 0) return bad_zip(zip_strerror(z.get()));
    std::string name = st.name;
    if (!safe_name(name)) return bad_zip("entry outside the archive root: " + name);
    if (!layout.add(name)) return bad_zip("entries collide: " + name);
    // The sizes an archive declares are a first check only: they may lie (libzip inflates an
    // entry past its declared size), so what unpacking writes is counted again below.
    declared += st.size;
    if (declared > kMaxUnzippedBytes) return too_big();
  }
  if (!into) return ok_status();
  uint64_t written = 0;
  char buffer[64 * 1024];
  for (zip_int64_t i = 0; i < entries; ++i) {
    std::string name = zip_get_name(z.get(), i, 0);
    fs::path target = *into / name;
    std::error_code ec;
    if (name.back() == '/') {
      fs::create_directories(target, ec);
      if (ec) return bad_zip("cannot create directory " + name);
      ::chmod(target.c_str(), 0755);
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) return bad_zip("cannot create the directory of " + name);
    zip_file_t* file = zip_fopen_index(z.get(), i, 0);
    if (!file) return bad_zip(zip_strerror(z.get()));
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> closer(file, zip_fclose);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return ApiError::internal("could not create " + name);
    zip_int64_t n;
    while ((n = zip_fread(file, buffer, sizeof buffer)) > 0) {
      written += static_cast<uint64_t>(n);
      if (written > kMaxUnzippedBytes) return too_big();
      out.write(buffer, n);
    }
    if (n < 0) return bad_zip(zip_file_strerror(file));
    if (!out) return ApiError::internal("could not unpack " + name);
    out.close();
    // Unix permissions ride in the upper half of the external attributes (made on Unix: opsys 3).
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    mode_t mode = 0644;
    if (zip_file_get_external_attributes(z.get(), i, 0, &opsys, &attributes) == 0 && opsys == ZIP_OPSYS_UNIX &&
        ((attributes >> 16) & 0777) != 0)
      mode = (attributes >> 16) & 0777;
    // Readable by everyone: the function runs under its own uid (sandboxes.h), not runnel's, and
    // reaches this tree only through its unguessable hash name (the roots above are 0711).
    ::chmod(target.c_str(), mode | 0444);
  }
  return ok_status();
}

}  // namespace

Status check_zip(std::string_view zip) {
  if (zip.size() > kMaxZipBytes) return too_large("Request must be smaller than 52428800 bytes for the CreateFunction operation");
  return walk(zip, nullptr);
}

Result<std::string> unpack(std::string_view zip, const std::string& root, const std::string& sha_hex) {
  fs::path final_dir = fs::path(root) / sha_hex;
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) return final_dir.string();
  fs::path staging = fs::path(root) / (".unpack-" + sha_hex + "-" + new_uuid());
  fs::create_directories(staging, ec);
  if (ec) return ApiError::internal("cannot create " + staging.string() + ": " + ec.message());
  ::chmod(staging.c_str(), 0755);
  auto done = walk(zip, &staging);
  // Directories the entries imply were made with runnel's umask (077): open them to the function.
  if (done.ok())
    for (auto it = fs::recursive_directory_iterator(staging, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec)) ::chmod(it->path().c_str(), 0755);
  if (!done.ok()) {
    fs::remove_all(staging, ec);
    return std::move(done).error();
  }
  fs::rename(staging, final_dir, ec);
  if (ec) {
    fs::remove_all(staging, ec);
    if (!fs::is_directory(final_dir)) return ApiError::internal("cannot move unpacked code into " + final_dir.string());
  }
  return final_dir.string();
}

Unpacker::Unpacker(size_t max_waiting) : max_waiting_(max_waiting), thread_([this] { run(); }) {}

Unpacker::~Unpacker() { stop(); }

bool Unpacker::submit(Job job) {
  std::lock_guard lock(mu_);
  if (stopping_ || jobs_.size() >= max_waiting_) return false;
  jobs_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void Unpacker::run() {
  name_this_thread("rn-lambda-unzip");
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job(false);
  }
}

void Unpacker::stop() {
  std::deque<Job> left;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    left.swap(jobs_);
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& job : left) job(true);
}

}  // namespace runnel::lambda
