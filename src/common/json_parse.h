// The one way runnel parses JSON: iteratively (no recursion, so no input can overflow a thread's
// stack), to a bounded nesting depth, with the encoding checked.
//
// RapidJSON's default Document::Parse recurses once per nesting level: ~130,000 `[` in a 260 KB
// body overflowed an I/O thread's stack. With kParseIterativeFlag the parser keeps its own heap
// stack, and the depth bound here keeps every later walk of the document (AttributeValue decoding,
// filter policies, payload checks, Writer/Accept) within a few thousand frames.
//
// The bound is 1,000 levels: Jackson's default StreamReadConstraints.maxNestingDepth, the parser
// behind AWS's Java front ends. Deeper input is refused as malformed JSON; shallower input that is
// too deep for a service (a DynamoDB value past 32 levels) gets that service's own error from the
// walk that notices it.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/reader.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace runnel::json {

inline constexpr size_t kMaxDepth = 1000;

struct ParseOutcome {
  bool ok = true;
  bool too_deep = false;
  std::string message;  // empty when ok; "..." as RapidJSON says it, or the depth bound
  explicit operator bool() const { return ok; }
};

namespace detail {

// Forwards every SAX event to the document and refuses a container past `max_depth`.
template <typename Document>
struct DepthLimited {
  Document& doc;
  size_t max_depth;
  size_t depth = 0;
  bool too_deep = false;

  using Ch = typename Document::Ch;
  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned i) { return doc.Uint(i); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t i) { return doc.Uint64(i); }
  bool Double(double d) { return doc.Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) { return doc.RawNumber(s, n, copy); }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool StartObject() { return enter() && doc.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { --depth; return doc.EndObject(n); }
  bool StartArray() { return enter() && doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { --depth; return doc.EndArray(n); }

  bool enter() {
    if (++depth <= max_depth) return true;
    too_deep = true;
    return false;
  }
};

}  // namespace detail

// Parses `text` into `doc` (replacing what it held). Extra RapidJSON flags (e.g.
// kParseNumbersAsStringsFlag) may be given; iteration and UTF-8 validation are always on: a string
// that is not UTF-8 is refused here, before any service stores it (DynamoDB answers
// SerializationException for it; boto3 could not decode it on the way back).
template <unsigned ExtraFlags = 0, typename Document>
ParseOutcome parse(Document& doc, std::string_view text, size_t max_depth = kMaxDepth) {
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | ExtraFlags;
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  rapidjson::Reader reader;
  detail::DepthLimited<Document> handler{doc, max_depth};
  ParseOutcome out;
  auto generate = [&](Document& d) {
    (void)d;
    rapidjson::ParseResult r = reader.template Parse<kFlags>(is, handler);
    if (r) return true;
    out.ok = false;
    out.too_deep = handler.too_deep;
    out.message = handler.too_deep ? "nesting depth exceeds the maximum of " + std::to_string(max_depth)
                                   : std::string(rapidjson::GetParseError_En(r.Code()));
    return false;
  };
  doc.Populate(generate);
  if (!out.ok) doc.SetNull();
  return out;
}

}  // namespace runnel::json
