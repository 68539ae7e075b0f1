// Unit tests of the Lambda pieces that need no server: names, configuration, the stored form, and
// code unpacking. The sandboxes and the Runtime API are tested in sandboxes_test.cc; the service
// through real clients in tests/integration/test_lambda_*.py.
#include <sys/stat.h>
#include <zip.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "lambda/code_dir.h"
#include "lambda/function.h"

namespace runnel::lambda {
namespace {

namespace fs = std::filesystem;

TEST(ResolveFunctionName, TakesNamesAndArnsOfThisAccountAndRegion) {
  EXPECT_EQ(*resolve_function_name("orders", "000000000000", "us-east-1"), "orders");
  EXPECT_EQ(*resolve_function_name("arn:aws:lambda:us-east-1:000000000000:function:orders", "000000000000", "us-east-1"),
            "orders");
  EXPECT_EQ(*resolve_function_name("000000000000:function:orders", "000000000000", "us-east-1"), "orders");
  EXPECT_EQ(*resolve_function_name("orders:$LATEST", "000000000000", "us-east-1"), "orders");
}

TEST(ResolveFunctionName, RefusesWhatAwsRefuses) {
  auto bad = resolve_function_name("no spaces", "000000000000", "us-east-1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "ValidationException");
  auto long_name = resolve_function_name(std::string(65, 'a'), "000000000000", "us-east-1");
  ASSERT_FALSE(long_name.ok());
  EXPECT_EQ(long_name.error().code, "ValidationException");
  auto version = resolve_function_name("orders:7", "000000000000", "us-east-1");
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code, "ResourceNotFoundException");
  EXPECT_EQ(version.error().http_status, 404);
  auto other = resolve_function_name("arn:aws:lambda:us-east-1:111122223333:function:orders", "000000000000", "us-east-1");
  ASSERT_FALSE(other.ok());
}

rapidjson::Document json(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  return d;
}

TEST(ApplyConfiguration, CreateNeedsACustomRuntimeARoleAndAHandler) {
  Function f;
  auto ok = apply_configuration(
      f, json(R"({"Runtime":"provided.al2023","Handler":"h","Role":"arn:aws:iam::000000000000:role/r","Timeout":30})"), true);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(f.timeout, 30);
  EXPECT_EQ(f.memory_size, 128);

  Function g;
  auto python = apply_configuration(
      g, json(R"({"Runtime":"python3.12","Handler":"h","Role":"arn:aws:iam::000000000000:role/r"})"), true);
  ASSERT_FALSE(python.ok());
  EXPECT_EQ(python.error().code, "InvalidParameterValueException");

  auto no_handler = apply_configuration(g, json(R"({"Runtime":"provided","Role":"arn:aws:iam::000000000000:role/r"})"), true);
  ASSERT_FALSE(no_handler.ok());
  EXPECT_EQ(no_handler.error().code, "InvalidParameterValueException");

  auto bad_role = apply_configuration(g, json(R"({"Runtime":"provided","Handler":"h","Role":"admin"})"), true);
  ASSERT_FALSE(bad_role.ok());
  EXPECT_EQ(bad_role.error().code, "ValidationException");
}

TEST(ApplyConfiguration, LimitsAndReservedVariables) {
  Function f;
  EXPECT_EQ(apply_configuration(f, json(R"({"Timeout":0})"), false).error().code, "ValidationException");
  EXPECT_FALSE(apply_configuration(f, json(R"({"Timeout":901})"), false).ok());
  EXPECT_EQ(apply_configuration(f, json(R"({"MemorySize":64})"), false).error().code, "ValidationException");
  auto reserved = apply_configuration(f, json(R"({"Environment":{"Variables":{"AWS_REGION":"x"}}})"), false);
  ASSERT_FALSE(reserved.ok());
  EXPECT_NE(reserved.error().message.find("AWS_REGION"), std::string::npos);
  ASSERT_TRUE(apply_configuration(f, json(R"({"Environment":{"Variables":{"TABLE":"messages"}},"MemorySize":256})"), false).ok());
  EXPECT_EQ(f.environment.at("TABLE"), "messages");
  EXPECT_EQ(f.memory_size, 256);
}

TEST(StoredFunction, RoundTrips) {
  Function f;
  f.account = "000000000000";
  f.region = "eu-west-1";
  f.name = "proc";
  f.runtime = "provided.al2023";
  f.handler = "bootstrap";
  f.timeout = 9;
  f.environment = {{"A", "1"}};
  f.code_sha256_hex = "ab";
  f.code_size = 42;
  f.policy_statements = {{"s1", R"({"Sid":"s1"})"}};
  f.max_retry_attempts = 0;
  // Golden bytes: what runnel stores (and stored before the shared record codec) reads back.
  const std::string golden =
      R"({"account":"000000000000","region":"eu-west-1","name":"proc","runtime":"provided.al2023","role":"",)"
      R"("handler":"bootstrap","description":"","timeout":9,"memory":128,"environment":{"A":"1"},)"
      R"("architecture":"x86_64","ephemeral":512,"dlq":"","tags":{},"sha_hex":"ab","sha_b64":"","code_size":42,)"
      R"("modified":"","revision":"","policy":{"s1":"{\"Sid\":\"s1\"}"},"policy_revision":"","max_retry":0,)"
      R"("max_age":-1,"eic_modified":"","reserved":-1})";
  EXPECT_EQ(encode_function(f), golden);
  auto back = decode_function(golden);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->arn(), "arn:aws:lambda:eu-west-1:000000000000:function:proc");
  EXPECT_EQ(back->timeout, 9);
  EXPECT_EQ(back->environment, f.environment);
  EXPECT_EQ(back->code_size, 42u);
  EXPECT_EQ(back->policy_statements, f.policy_statements);
  EXPECT_EQ(back->retries(), 0);
  EXPECT_EQ(back->event_age_seconds(), 21600);
}

// A zip made with libzip: (name, content, unix mode) entries.
std::string make_zip(const std::vector<std::tuple<std::string, std::string, mode_t>>& entries) {
  fs::path path = fs::temp_directory_path() / ("runnel-zip-" + new_uuid() + ".zip");
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, content, mode] : entries) {
    if (name.ends_with('/')) {
      zip_dir_add(z, name.substr(0, name.size() - 1).c_str(), 0);
      continue;
    }
    // libzip reads the buffer at zip_close; `entries` outlives it.
    zip_source_t* source = zip_source_buffer(z, content.data(), content.size(), 0);
    zip_int64_t index = zip_file_add(z, name.c_str(), source, ZIP_FL_OVERWRITE);
    zip_file_set_external_attributes(z, index, 0, ZIP_OPSYS_UNIX, static_cast<zip_uint32_t>(mode) << 16);
  }
  zip_close(z);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return bytes;
}

TEST(CodeDir, UnpacksOnceKeepingModes) {
  std::string zip = make_zip({{"bootstrap", "#!/bin/sh\n", 0100755}, {"lib/data.txt", "x", 0100644}});
  ASSERT_TRUE(check_zip(zip).ok());
  fs::path root = fs::temp_directory_path() / ("runnel-code-" + new_uuid());
  auto dir = unpack(zip, root.string(), "abc");
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ(*dir, (root / "abc").string());
  struct stat st;
  ASSERT_EQ(::stat((root / "abc" / "bootstrap").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  ASSERT_EQ(::stat((root / "abc" / "lib" / "data.txt").c_str(), &st), 0);
  EXPECT_FALSE(st.st_mode & S_IXUSR);
  // A second unpack of the same hash finds the directory and writes nothing.
  fs::remove(root / "abc" / "lib" / "data.txt");
  ASSERT_TRUE(unpack(zip, root.string(), "abc").ok());
  EXPECT_FALSE(fs::exists(root / "abc" / "lib" / "data.txt"));
  // No staging directory is left behind.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root)) ++entries;
  EXPECT_EQ(entries, 1u);
  fs::remove_all(root);
}

TEST(CodeDir, RefusesWhatIsNotAZipOrEscapesItsRoot) {
  auto garbage = check_zip("this is not a zip archive");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, "InvalidParameterValueException");
  auto escape = check_zip(make_zip({{"../evil", "x", 0100644}}));
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.error().code, "InvalidParameterValueException");
}

// Makes the one entry of `zip` (a single file) declare `size` bytes uncompressed in its local
// header and in the central directory: what a zip bomb that lies about its sizes does.
std::string lie_about_size(std::string zip, uint32_t size) {
  auto put = [&](size_t at) {
    for (int i = 0; i < 4; ++i) zip[at + i] = static_cast<char>((size >> (8 * i)) & 0xFF);
  };
  EXPECT_EQ(zip.compare(0, 4, "PK\x03\x04"), 0);
  put(22);  // local file header: uncompressed size
  size_t central = zip.rfind("PK\x01\x02");
  EXPECT_NE(central, std::string::npos);
  put(central + 24);
  return zip;
}

TEST(CodeDir, CountsTheBytesWrittenNotTheSizesDeclared) {
  // 251 MB of zeros deflate to a few hundred KB; the archive says 1,000 bytes.
  std::string zeros(kMaxUnzippedBytes + 1024 * 1024, '\0');
  std::string zip = lie_about_size(make_zip({{"bootstrap", zeros, 0100755}}), 1000);
  zeros.clear();
  zeros.shrink_to_fit();
  ASSERT_LT(zip.size(), 2u * 1024 * 1024);
  ASSERT_TRUE(check_zip(zip).ok());  // the declared sizes pass: only unpacking can tell
  fs::path root = fs::temp_directory_path() / ("runnel-code-" + new_uuid());
  auto dir = unpack(zip, root.string(), "bomb");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, "InvalidParameterValueException");
  EXPECT_EQ(dir.error().http_status, 400);
  EXPECT_EQ(dir.error().message, "Unzipped size must be smaller than 262144000 bytes");
  // Nothing is left: neither the final directory nor the staging one.
  EXPECT_TRUE(fs::is_empty(root));
  fs::remove_all(root);
}

TEST(CodeDir, TakesAnArchiveJustUnderTheLimitThatLiesAboutItsSizes) {
  std::string zip = lie_about_size(make_zip({{"bootstrap", std::string(1024 * 1024, 'x'), 0100755}}), 10);
  fs::path root = fs::temp_directory_path() / ("runnel-code-" + new_uuid());
  auto dir = unpack(zip, root.string(), "ok");
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ(fs::file_size(root / "ok" / "bootstrap"), 1024u * 1024);
  fs::remove_all(root);
}

TEST(CodeDir, DeclaredSizesOverTheLimitAreRefusedBeforeUnpacking) {
  std::string zip = lie_about_size(make_zip({{"bootstrap", "small", 0100755}}), 0xF0000000u);
  auto checked = check_zip(zip);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message, "Unzipped size must be smaller than 262144000 bytes");
}

TEST(CodeDir, EntriesThatCollideAreABadZipNotAnInternalError) {
  for (const auto& entries : std::vector<std::vector<std::tuple<std::string, std::string, mode_t>>>{
           {{"bootstrap", "a", 0100755}, {"bootstrap/x", "b", 0100644}},  // a file, then a path under it
           {{"lib/", "", 040755}, {"lib", "b", 0100644}},                 // a directory, then a file of its name
           {{"lib/a/b", "x", 0100644}, {"lib/a", "y", 0100644}},          // an implied directory, then a file
       }) {
    std::string zip = make_zip(entries);
    auto checked = check_zip(zip);
    ASSERT_FALSE(checked.ok()) << std::get<0>(entries[1]);
    EXPECT_EQ(checked.error().code, "InvalidParameterValueException");
    EXPECT_EQ(checked.error().http_status, 400);
    fs::path root = fs::temp_directory_path() / ("runnel-code-" + new_uuid());
    auto dir = unpack(zip, root.string(), "c");
    ASSERT_FALSE(dir.ok());
    EXPECT_EQ(dir.error().http_status, 400);
    fs::remove_all(root);
  }
  // A directory entry with files under it is no collision.
  EXPECT_TRUE(check_zip(make_zip({{"lib/", "", 040755}, {"lib/a", "x", 0100644}, {"bootstrap", "b", 0100755}})).ok());
}

}  // namespace
}  // namespace runnel::lambda
