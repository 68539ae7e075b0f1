// A stream record, rendered once on the write path into the JSON GetRecords returns, so reads are
// a splice of stored bytes.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ports/change_sink.h"

namespace runnel::streams {

// eventName for a change: INSERT (no old item), REMOVE (no new item), MODIFY otherwise.
std::string_view event_name(const ports::ItemChange& change);

// The record: eventID, eventName, eventVersion, eventSource, awsRegion, dynamodb{...} with images
// filtered by view_type, and userIdentity for TTL deletes.
std::string render_record(const ports::ItemChange& change, std::string_view view_type, uint64_t seq,
                          int64_t now_ms);

// 32 lower-case hex digits, random.
std::string new_event_id();

}  // namespace runnel::streams
