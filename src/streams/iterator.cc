#include "streams/iterator.h"

#include "common/base64.h"
#include "storage/key_codec.h"

namespace runnel::streams {

namespace {

constexpr std::string_view kSeparator = "|1|";
constexpr size_t kPayloadBytes = 8 * 4 + 8;

uint64_t checksum(std::string_view arn, std::string_view payload) {
  // FNV-1a, 64-bit: catches truncation and edits, which is all an unsigned iterator needs.
  uint64_t h = 1469598103934665603ull;
  for (std::string_view part : {arn, payload})
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint64_t read_u64(std::string_view bytes, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

}  // namespace

std::string encode_iterator(std::string_view stream_arn, const IteratorPosition& p) {
  std::string payload;
  storage::append_u64(payload, p.stream_id);
  storage::append_u64(payload, p.shard_start);
  storage::append_u64(payload, p.next_seq);
  storage::append_u64(payload, static_cast<uint64_t>(p.issued_ms));
  storage::append_u64(payload, checksum(stream_arn, payload));
  std::string out(stream_arn);
  out += kSeparator;
  out += base64_encode(payload);
  return out;
}

std::optional<IteratorPosition> decode_iterator(std::string_view text, std::string* arn) {
  size_t sep = text.rfind(kSeparator);
  if (sep == std::string_view::npos) return std::nullopt;
  std::string_view stream_arn = text.substr(0, sep);
  auto payload = base64_decode(text.substr(sep + kSeparator.size()));
  if (!payload || payload->size() != kPayloadBytes) return std::nullopt;
  std::string_view body(payload->data(), kPayloadBytes - 8);
  if (read_u64(*payload, kPayloadBytes - 8) != checksum(stream_arn, body)) return std::nullopt;
  IteratorPosition p;
  p.stream_id = read_u64(*payload, 0);
  p.shard_start = read_u64(*payload, 8);
  p.next_seq = read_u64(*payload, 16);
  p.issued_ms = static_cast<int64_t>(read_u64(*payload, 24));
  if (arn) *arn = std::string(stream_arn);
  return p;
}

}  // namespace runnel::streams
