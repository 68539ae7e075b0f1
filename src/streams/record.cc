#include "common/json_write.h"
#include "streams/record.h"

#include <random>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "streams/stream.h"

namespace runnel::streams {

namespace {


AttributeMap key_of(const ports::TableRef& t, const AttributeMap& item) {
  AttributeMap keys;
  if (auto it = item.find(t.keys.hash.name); it != item.end()) keys.emplace(it->first, it->second);
  if (t.keys.range)
    if (auto it = item.find(t.keys.range->name); it != item.end()) keys.emplace(it->first, it->second);
  return keys;
}

}  // namespace

std::string_view event_name(const ports::ItemChange& change) {
  if (!change.old_item) return "INSERT";
  if (!change.new_item) return "REMOVE";
  return "MODIFY";
}

std::string new_event_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    id[i] = kHex[(a >> (i * 4)) & 0xf];
    id[16 + i] = kHex[(b >> (i * 4)) & 0xf];
  }
  return id;
}

std::string render_record(const ports::ItemChange& change, std::string_view view_type, uint64_t seq,
                          int64_t now_ms) {
  const AttributeMap& any = change.new_item ? *change.new_item : *change.old_item;
  AttributeMap keys = key_of(change.table, any);
  // Images as the change has them (INSERT: new only, REMOVE: old only), then as the view keeps them.
  bool new_image = change.new_item && (view_type == "NEW_IMAGE" || view_type == "NEW_AND_OLD_IMAGES");
  bool old_image = change.old_item && (view_type == "OLD_IMAGE" || view_type == "NEW_AND_OLD_IMAGES");
  // SizeBytes: the record's keys and images, sized as items are (aws-reference.md 1.4).
  size_t size = item_size(keys);
  if (new_image) size += item_size(*change.new_item);
  if (old_image) size += item_size(*change.old_item);

  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "eventID", new_event_id());
  key_string(w, "eventName", event_name(change));
  key_string(w, "eventVersion", "1.1");
  key_string(w, "eventSource", "aws:dynamodb");
  key_string(w, "awsRegion", change.table.region);
  w.Key("dynamodb");
  w.StartObject();
  w.Key("ApproximateCreationDateTime");
  w.Int64(now_ms / 1000);  // epoch seconds, rounded down
  w.Key("Keys");
  write_attribute_map(w, keys);
  if (new_image) {
    w.Key("NewImage");
    write_attribute_map(w, *change.new_item);
  }
  if (old_image) {
    w.Key("OldImage");
    write_attribute_map(w, *change.old_item);
  }
  key_string(w, "SequenceNumber", format_sequence_number(seq));
  w.Key("SizeBytes");
  w.Uint64(size);
  key_string(w, "StreamViewType", view_type);
  w.EndObject();
  if (change.by_ttl) {
    // Deleted by TTL: the record names the DynamoDB service as the principal.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html
    w.Key("userIdentity");
    w.StartObject();
    key_string(w, "PrincipalId", "dynamodb.amazonaws.com");
    key_string(w, "Type", "Service");
    w.EndObject();
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace runnel::streams
