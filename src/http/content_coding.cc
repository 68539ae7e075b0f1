#include "http/content_coding.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <zlib.h>

namespace runnel::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The comma-separated tokens of a header value, trimmed, empty ones dropped.
std::vector<std::string_view> tokens(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = value.find(',');
    std::string_view token = trim(value.substr(0, comma));
    if (!token.empty()) out.push_back(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// Inflates `in` with zlib's `window_bits` (15 + 16: gzip; 15: zlib; -15: raw deflate). gzip may
// hold several members, one after another (RFC 1952 2.2). At most `max_bytes` of output.
DecodedBody inflate_all(std::string_view in, int window_bits, size_t max_bytes) {
  DecodedBody out;
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) {
    out.status = DecodedBody::Status::kMalformed;
    out.detail = "the decompressor could not start";
    return out;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.body.size() + produced > max_bytes) {
      out.status = DecodedBody::Status::kTooLarge;
      break;
    }
    out.body.append(chunk, produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      if (window_bits <= 15 || inflateReset(&zs) != Z_OK) {  // only gzip has further members
        rc = Z_DATA_ERROR;
      } else {
        continue;
      }
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) rc = Z_DATA_ERROR;  // the stream ends early
    if (rc != Z_OK) {
      out.status = DecodedBody::Status::kMalformed;
      out.detail = zs.msg ? zs.msg : "truncated stream";
      break;
    }
  }
  inflateEnd(&zs);
  if (out.status != DecodedBody::Status::kOk) out.body.clear();
  return out;
}

}  // namespace

bool is_encoded(std::string_view content_encoding) {
  for (std::string_view coding : tokens(content_encoding)) {
    if (!iequals(coding, "identity")) return true;
  }
  return false;
}

DecodedBody decode_content(std::string_view content_encoding, std::string_view body, size_t max_bytes) {
  const std::vector<std::string_view> codings = tokens(content_encoding);
  DecodedBody current;
  current.body.assign(body);
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    std::string_view coding = *it;
    DecodedBody next;
    if (iequals(coding, "identity")) continue;
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      next = inflate_all(current.body, 15 + 16, max_bytes);
    } else if (iequals(coding, "deflate")) {
      next = inflate_all(current.body, 15, max_bytes);
      if (next.status == DecodedBody::Status::kMalformed) next = inflate_all(current.body, -15, max_bytes);
    } else {
      next.status = DecodedBody::Status::kUnsupported;
      next.detail = std::string(coding);
    }
    if (next.status != DecodedBody::Status::kOk) {
      if (next.status == DecodedBody::Status::kMalformed) next.detail = std::string(coding) + ": " + next.detail;
      return next;
    }
    current = std::move(next);
  }
  if (current.body.size() > max_bytes) {
    current.status = DecodedBody::Status::kTooLarge;
    current.body.clear();
  }
  return current;
}

bool accepts_gzip(std::string_view accept_encoding) {
  for (std::string_view token : tokens(accept_encoding)) {
    std::string_view name = trim(token.substr(0, token.find(';')));
    if (!iequals(name, "gzip") && !iequals(name, "x-gzip") && name != "*") continue;
    // "gzip;q=0" refuses it; any other q (or none) accepts.
    size_t q = token.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view value = trim(token.substr(q + 2));
    bool zero = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c == '0' || c == '.'; });
    if (!zero) return true;
  }
  return false;
}

std::optional<std::string> gzip(std::string_view body) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(body.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t written = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

void gzip_response(protocol::Response& response, std::string_view accept_encoding) {
  if (response.body.size() < kGzipResponsesFrom || accept_encoding.empty() || !accepts_gzip(accept_encoding)) return;
  for (const auto& [name, value] : response.headers) {
    if (iequals(name, "Content-Encoding")) return;
  }
  std::optional<std::string> zipped = gzip(response.body);
  if (!zipped || zipped->size() >= response.body.size()) return;
  response.body = std::move(*zipped);
  response.headers.emplace_back("Content-Encoding", "gzip");
  for (auto& [name, value] : response.headers) {
    if (iequals(name, "x-amz-crc32")) {
      uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(response.body.data()), static_cast<uInt>(response.body.size()));
      value = std::to_string(crc);
    }
  }
}

}  // namespace runnel::http
