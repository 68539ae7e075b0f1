// Content codings: gzip (several members too) and deflate (zlib and raw) request bodies decode,
// bounded; unknown codings and broken data are told apart; Accept-Encoding's q-values; a gzipped
// response round-trips and its x-amz-crc32 covers the bytes sent.
#include "http/content_coding.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace runnel::http {
namespace {

std::string compress_with(std::string_view in, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

const std::string kBody = R"({"TableName":"t","Item":{"p":{"S":")" + std::string(5000, 'x') + R"("}}})";

TEST(ContentCoding, GzipAndDeflateDecode) {
  for (auto [coding, bits] : {std::pair{"gzip", 15 + 16}, {"x-gzip", 15 + 16}, {"deflate", 15}, {"deflate", -15}}) {
    auto d = decode_content(coding, compress_with(kBody, bits), 1 << 20);
    EXPECT_EQ(d.status, DecodedBody::Status::kOk) << coding << " " << bits << " " << d.detail;
    EXPECT_EQ(d.body, kBody);
  }
  // Case and spaces do not matter; identity is nothing; a list is undone from its end.
  EXPECT_EQ(decode_content(" GZip ", compress_with(kBody, 31), 1 << 20).body, kBody);
  EXPECT_EQ(decode_content("identity", kBody, 1 << 20).body, kBody);
  EXPECT_EQ(decode_content("deflate, gzip", compress_with(compress_with(kBody, 15), 31), 1 << 20).body, kBody);
  // Two gzip members, one after another, are one body.
  EXPECT_EQ(decode_content("gzip", compress_with("abc", 31) + compress_with("def", 31), 100).body, "abcdef");
  EXPECT_FALSE(is_encoded("identity"));
  EXPECT_FALSE(is_encoded(""));
  EXPECT_TRUE(is_encoded("identity, gzip"));
}

TEST(ContentCoding, UnknownBrokenAndOversized) {
  auto br = decode_content("br", kBody, 1 << 20);
  EXPECT_EQ(br.status, DecodedBody::Status::kUnsupported);
  EXPECT_EQ(br.detail, "br");
  EXPECT_EQ(decode_content("gzip", kBody, 1 << 20).status, DecodedBody::Status::kMalformed);
  std::string zipped = compress_with(kBody, 31);
  EXPECT_EQ(decode_content("gzip", zipped.substr(0, zipped.size() / 2), 1 << 20).status, DecodedBody::Status::kMalformed);
  EXPECT_EQ(decode_content("gzip", zipped + "trailing", 1 << 20).status, DecodedBody::Status::kMalformed);
  EXPECT_EQ(decode_content("gzip", "", 1 << 20).status, DecodedBody::Status::kMalformed);
  // A small body that would expand past the limit stops there (a zip bomb costs at most the limit).
  std::string bomb = compress_with(std::string(50u << 20, '\0'), 31);
  EXPECT_LT(bomb.size(), 100'000u);
  auto big = decode_content("gzip", bomb, 1 << 20);
  EXPECT_EQ(big.status, DecodedBody::Status::kTooLarge);
  EXPECT_TRUE(big.body.empty());
  EXPECT_EQ(decode_content("gzip", compress_with(kBody, 31), kBody.size()).status, DecodedBody::Status::kOk);
  EXPECT_EQ(decode_content("gzip", compress_with(kBody, 31), kBody.size() - 1).status, DecodedBody::Status::kTooLarge);
}

TEST(ContentCoding, AcceptEncoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(ContentCoding, ResponsesGzippedWhenAcceptedAndWorthIt) {
  protocol::Response r;
  r.body = kBody;
  r.headers.emplace_back("x-amz-crc32", "1");
  gzip_response(r, "gzip");
  ASSERT_NE(r.body, kBody);
  auto back = decode_content("gzip", r.body, 1 << 20);
  EXPECT_EQ(back.body, kBody);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(r.body.data()), static_cast<uInt>(r.body.size()));
  bool saw_crc = false, saw_encoding = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "x-amz-crc32") saw_crc = v == std::to_string(crc);
    if (k == "Content-Encoding") saw_encoding = v == "gzip";
  }
  EXPECT_TRUE(saw_crc && saw_encoding);

  protocol::Response small;
  small.body = "{}";
  gzip_response(small, "gzip");
  EXPECT_EQ(small.body, "{}");
  protocol::Response unasked;
  unasked.body = kBody;
  gzip_response(unasked, "identity");
  EXPECT_EQ(unasked.body, kBody);
}

}  // namespace
}  // namespace runnel::http
