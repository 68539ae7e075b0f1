// Shard iterators: opaque to clients, self-contained here. "<stream ARN>|1|<base64 payload>" like
// the real service's, where the payload names the stream, the shard, the next sequence number to
// read and when the iterator was issued (iterators expire after 15 minutes), plus a checksum so a
// mangled iterator is rejected rather than misread.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::streams {

struct IteratorPosition {
  uint64_t stream_id = 0;
  uint64_t shard_start = 0;  // identifies the shard: its StartingSequenceNumber
  uint64_t next_seq = 0;     // first sequence number the next GetRecords may return
  int64_t issued_ms = 0;
};

std::string encode_iterator(std::string_view stream_arn, const IteratorPosition& position);
// nullopt: not an iterator this server issued (or altered). `arn` receives its stream ARN.
std::optional<IteratorPosition> decode_iterator(std::string_view text, std::string* arn);

}  // namespace runnel::streams
