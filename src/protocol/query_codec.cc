#include "protocol/query_codec.h"

#include "common/json_parse.h"
#include "common/percent_decode.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace runnel::protocol {

// ---------------------------------------------------------------------------------------------
// Forms

namespace {

std::string form_decode(std::string_view s) { return percent_decode(s, PlusMeans::kSpace); }

}  // namespace

void parse_form_into(std::string_view text, FormParams& params) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t amp = text.find('&', start);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view piece = text.substr(start, amp - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        params.emplace_back(form_decode(piece), std::string());
      } else {
        params.emplace_back(form_decode(piece.substr(0, eq)), form_decode(piece.substr(eq + 1)));
      }
    }
    start = amp + 1;
  }
}

FormParams parse_form(std::string_view text) {
  FormParams params;
  parse_form_into(text, params);
  return params;
}

const std::string* find_param(const FormParams& params, std::string_view key) {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Request decoding

namespace {

// Shapes nest a few levels in practice (SendMessageBatch entry -> attribute -> value); the limit
// only guards against a model with recursive shapes.
constexpr int kMaxDepth = 32;
// Entries decoded per list or map. AWS's own limits on Query inputs are far lower (10 message
// attributes or batch entries, 50 tags); one more than this is kept so that a handler still sees
// that its limit was passed, while 100,000 entries cost no more than 1,001 (a map's repeated-key
// check is linear in the entries so far).
constexpr size_t kMaxEntries = 1000;

// The parameters sorted by key, last value of a repeated key winning, for exact and prefix look-ups.
class ParamIndex {
 public:
  explicit ParamIndex(const FormParams& params) {
    entries_.reserve(params.size());
    for (const auto& [k, v] : params) entries_.emplace_back(k, v);
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const Entry& a, const Entry& b) { return a.first < b.first; });
    // Keep the last of each run of equal keys.
    std::vector<Entry> unique;
    unique.reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i + 1 < entries_.size() && entries_[i + 1].first == entries_[i].first) continue;
      unique.push_back(entries_[i]);
    }
    entries_.swap(unique);
  }

  const std::string_view* find(std::string_view key) const {
    auto it = lower(key);
    return it != entries_.end() && it->first == key ? &it->second : nullptr;
  }

  // The N of every key "<prefix>.N" or "<prefix>.N.<more>" (N a positive decimal), ascending.
  std::vector<uint32_t> indices(std::string_view prefix) const {
    std::string dotted = std::string(prefix) + ".";
    std::vector<uint32_t> out;
    for (auto it = lower(dotted); it != entries_.end() && it->first.starts_with(dotted); ++it) {
      std::string_view rest = it->first.substr(dotted.size());
      size_t digits = 0;
      while (digits < rest.size() && digits < 10 && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      if (digits == 0 || (digits < rest.size() && rest[digits] != '.')) continue;
      uint64_t n = 0;
      std::from_chars(rest.data(), rest.data() + digits, n);
      if (n == 0 || n > UINT32_MAX) continue;
      if (out.empty() || out.back() != n) out.push_back(static_cast<uint32_t>(n));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  using Entry = std::pair<std::string_view, std::string_view>;
  std::vector<Entry>::const_iterator lower(std::string_view key) const {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& e, std::string_view k) { return e.first < k; });
  }
  std::vector<Entry> entries_;
};

std::string join(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  std::string out;
  out.reserve(prefix.size() + 1 + name.size());
  out.append(prefix).push_back('.');
  out.append(name);
  return out;
}

std::string indexed(std::string_view prefix, uint32_t n) { return join(prefix, std::to_string(n)); }

std::string_view serialized_name(const QueryMember& m) {
  return m.ref.location_name.empty() ? std::string_view(m.name) : std::string_view(m.ref.location_name);
}

class Decoder {
 public:
  Decoder(const ParamIndex& params, rapidjson::Document::AllocatorType& alloc) : params_(params), alloc_(alloc) {}

  // Fills `out` from the parameters under `prefix`; false when there are none.
  bool value(const ShapeRef& ref, const std::string& prefix, rapidjson::Value& out, int depth) {
    if (depth > kMaxDepth) return false;
    switch (ref.shape->type) {
      case ShapeType::kStructure: return structure(*ref.shape, prefix, out, depth) && out.MemberCount() > 0;
      case ShapeType::kList: return list(ref, prefix, out, depth);
      case ShapeType::kMap: return map(ref, prefix, out, depth);
      default: return scalar(ref.shape->type, prefix, out);
    }
  }

  bool structure(const QueryShape& shape, std::string_view prefix, rapidjson::Value& out, int depth) {
    out.SetObject();
    for (const QueryMember& m : shape.members) {
      rapidjson::Value v;
      if (!value(m.ref, join(prefix, serialized_name(m)), v, depth + 1)) continue;
      out.AddMember(rapidjson::Value(m.name.data(), static_cast<rapidjson::SizeType>(m.name.size()), alloc_),
                    v, alloc_);
    }
    return true;
  }

 private:
  bool list(const ShapeRef& ref, const std::string& prefix, rapidjson::Value& out, int depth) {
    const ShapeRef& member = ref.shape->member;
    std::string list_prefix;
    if (ref.flattened) {
      // "<name>.N": the member's locationName replaces the last component of the prefix.
      list_prefix = prefix;
      if (!member.location_name.empty()) {
        size_t dot = prefix.rfind('.');
        list_prefix = (dot == std::string::npos ? std::string() : prefix.substr(0, dot + 1)) + member.location_name;
      }
    } else {
      list_prefix = join(prefix, member.location_name.empty() ? std::string_view("member") : member.location_name);
    }
    std::vector<uint32_t> ns = params_.indices(list_prefix);
    if (ns.empty()) {
      // botocore sends an empty list as "<prefix>=".
      const std::string_view* empty = params_.find(prefix);
      if (!empty || !empty->empty()) return false;
      out.SetArray();
      return true;
    }
    out.SetArray();
    if (ns.size() > kMaxEntries + 1) ns.resize(kMaxEntries + 1);
    for (uint32_t n : ns) {
      rapidjson::Value element;
      if (!value(member, indexed(list_prefix, n), element, depth + 1)) {
        if (member.shape->type != ShapeType::kStructure) continue;  // "<p>.N.x" without "<p>.N"
        element.SetObject();
      }
      out.PushBack(element, alloc_);
    }
    return true;
  }

  bool map(const ShapeRef& ref, const std::string& prefix, rapidjson::Value& out, int depth) {
    const QueryShape& shape = *ref.shape;
    std::string entries = ref.flattened ? prefix : join(prefix, "entry");
    std::string_view key_name = shape.key.location_name.empty() ? "key" : std::string_view(shape.key.location_name);
    std::string_view value_name =
        shape.value.location_name.empty() ? "value" : std::string_view(shape.value.location_name);
    std::vector<uint32_t> ns = params_.indices(entries);
    if (ns.empty()) return false;
    if (ns.size() > kMaxEntries + 1) ns.resize(kMaxEntries + 1);
    out.SetObject();
    for (uint32_t n : ns) {
      std::string entry = indexed(entries, n);
      const std::string_view* key = params_.find(join(entry, key_name));
      if (!key) continue;
      rapidjson::Value v;
      if (!value(shape.value, join(entry, value_name), v, depth + 1)) {
        if (shape.value.shape->type != ShapeType::kStructure) continue;
        v.SetObject();  // the handler reports the missing members (e.g. DataType)
      }
      auto existing = out.FindMember(rapidjson::StringRef(key->data(), key->size()));
      if (existing != out.MemberEnd()) {
        existing->value = v;  // a repeated key: the later entry wins, as in a JSON object
        continue;
      }
      out.AddMember(rapidjson::Value(key->data(), static_cast<rapidjson::SizeType>(key->size()), alloc_), v, alloc_);
    }
    return true;
  }

  bool scalar(ShapeType type, const std::string& key, rapidjson::Value& out) {
    const std::string_view* text = params_.find(key);
    if (!text) return false;
    const char* first = text->data();
    const char* last = first + text->size();
    switch (type) {
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(first, last, n);
        if (ec == std::errc() && end == last && !text->empty()) {
          out.SetInt64(n);
          return true;
        }
        break;
      }
      case ShapeType::kDouble:
      case ShapeType::kFloat: {
        double d = 0;
        auto [end, ec] = std::from_chars(first, last, d);
        if (ec == std::errc() && end == last && !text->empty() && std::isfinite(d)) {
          out.SetDouble(d);
          return true;
        }
        break;
      }
      case ShapeType::kBoolean:
        if (*text == "true" || *text == "false") {
          out.SetBool(*text == "true");
          return true;
        }
        break;
      default:
        break;
    }
    out.SetString(first, static_cast<rapidjson::SizeType>(text->size()), alloc_);
    return true;
  }

  const ParamIndex& params_;
  rapidjson::Document::AllocatorType& alloc_;
};

}  // namespace

void decode_query_request(const QueryOperation& op, const FormParams& params, rapidjson::Document& out) {
  out.SetObject();
  if (!op.input) return;
  ParamIndex index(params);
  Decoder decoder(index, out.GetAllocator());
  decoder.structure(*op.input, "", out, 0);
}

// ---------------------------------------------------------------------------------------------
// Response encoding

namespace {

void append_replacement(std::string& out) { out += "\xEF\xBF\xBD"; }

// Length of the valid UTF-8 sequence at s[i] of a code point XML 1.0 allows, or 0.
size_t xml_char_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t cp;
  if (c < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
  if (c < 0xE0) {
    len = 2, cp = c & 0x1F;
  } else if (c < 0xF0) {
    len = 3, cp = c & 0x0F;
  } else if (c < 0xF5) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;  // overlong
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

}  // namespace

void append_xml_text(std::string& out, std::string_view text) {
  size_t plain = 0;  // start of the run of bytes copied as they are
  auto flush = [&](size_t i) { out.append(text.data() + plain, i - plain); };
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '&' && c != '<' && c != '>') {
      ++i;
      continue;
    }
    if (c == '\t' || c == '\n') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t len = xml_char_length(text, i)) {
        i += len;
        continue;
      }
    }
    flush(i);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\r': out += "&#xD;"; break;
      default: append_replacement(out); break;
    }
    plain = ++i;
  }
  flush(text.size());
}

namespace {

void open_tag(std::string& out, std::string_view name) {
  out.push_back('<');
  out.append(name);
  out.push_back('>');
}

void close_tag(std::string& out, std::string_view name) {
  out.append("</");
  out.append(name);
  out.push_back('>');
}

// JSON protocols carry timestamps as epoch seconds; Query XML as ISO 8601.
bool append_iso8601(std::string& out, std::string_view epoch) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), seconds);
  if (ec != std::errc() || end != epoch.data() + epoch.size() || !std::isfinite(seconds) || seconds < 0 ||
      seconds > 253402300799.0) {
    return false;
  }
  auto whole = static_cast<time_t>(std::floor(seconds));
  int millis = static_cast<int>(std::lround((seconds - std::floor(seconds)) * 1000));
  if (millis == 1000) ++whole, millis = 0;
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[40];
  int n = millis ? std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis)
                 : std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  out.append(buf, static_cast<size_t>(n));
  return true;
}

class Renderer {
 public:
  explicit Renderer(std::string& out) : out_(out) {}

  void members(const QueryShape& shape, const rapidjson::Value& object, int depth) {
    for (const QueryMember& m : shape.members) {
      auto it = object.FindMember(rapidjson::StringRef(m.name.data(), m.name.size()));
      if (it == object.MemberEnd()) continue;
      value(serialized_name(m), m.ref, it->value, depth + 1);
    }
  }

 private:
  void value(std::string_view name, const ShapeRef& ref, const rapidjson::Value& v, int depth) {
    if (depth > kMaxDepth || v.IsNull()) return;
    const QueryShape& shape = *ref.shape;
    switch (shape.type) {
      case ShapeType::kStructure:
        if (!v.IsObject()) return;
        open_tag(out_, name);
        members(shape, v, depth);
        close_tag(out_, name);
        return;
      case ShapeType::kList: {
        if (!v.IsArray()) return;
        const ShapeRef& member = shape.member;
        if (ref.flattened) {
          // Each element is an element of its own, named by the list member's locationName.
          std::string_view element = member.location_name.empty() ? name : std::string_view(member.location_name);
          for (const auto& e : v.GetArray()) value(element, member, e, depth + 1);
          return;
        }
        std::string_view element = member.location_name.empty() ? "member" : std::string_view(member.location_name);
        open_tag(out_, name);
        for (const auto& e : v.GetArray()) value(element, member, e, depth + 1);
        close_tag(out_, name);
        return;
      }
      case ShapeType::kMap: {
        if (!v.IsObject()) return;
        std::string_view key_name = shape.key.location_name.empty() ? "key" : std::string_view(shape.key.location_name);
        std::string_view value_name =
            shape.value.location_name.empty() ? "value" : std::string_view(shape.value.location_name);
        std::string_view entry = ref.flattened ? name : std::string_view("entry");
        if (!ref.flattened) open_tag(out_, name);
        for (const auto& kv : v.GetObject()) {
          if (kv.value.IsNull()) continue;  // botocore's parser needs both key and value
          open_tag(out_, entry);
          open_tag(out_, key_name);
          append_xml_text(out_, {kv.name.GetString(), kv.name.GetStringLength()});
          close_tag(out_, key_name);
          value(value_name, shape.value, kv.value, depth + 1);
          close_tag(out_, entry);
        }
        if (!ref.flattened) close_tag(out_, name);
        return;
      }
      default:
        scalar(name, shape.type, v);
        return;
    }
  }

  void scalar(std::string_view name, ShapeType type, const rapidjson::Value& v) {
    if (v.IsBool()) {
      open_tag(out_, name);
      out_ += v.GetBool() ? "true" : "false";
      close_tag(out_, name);
      return;
    }
    // Numbers arrive as their JSON text (kParseNumbersAsStringsFlag), so "1.50" stays "1.50".
    if (!v.IsString()) return;
    std::string_view text(v.GetString(), v.GetStringLength());
    open_tag(out_, name);
    if (type != ShapeType::kTimestamp || !append_iso8601(out_, text)) append_xml_text(out_, text);
    close_tag(out_, name);
  }

  std::string& out_;
};

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\"?>";

void append_namespace_open(std::string& out, std::string_view element, std::string_view xml_namespace) {
  out.push_back('<');
  out.append(element);
  out.append(" xmlns=\"");
  append_xml_text(out, xml_namespace);
  out.append("\">");
}

}  // namespace

Result<std::string> render_query_response(const QueryOperation& op, std::string_view xml_namespace,
                                          std::string_view json_output, std::string_view request_id) {
  std::string root = op.name + "Response";
  std::string out;
  out.reserve(256 + json_output.size() * 2);
  out.append(kXmlDeclaration);
  append_namespace_open(out, root, xml_namespace);
  if (op.output) {
    rapidjson::Document doc;
    if (json_output.empty()) {
      doc.SetObject();
    } else {
      json::parse<rapidjson::kParseNumbersAsStringsFlag>(doc, json_output);
    }
    if (doc.HasParseError() || !doc.IsObject()) {
      ApiError e = ApiError::internal("The " + op.name + " handler produced an output that is not a JSON object");
      e.query_code = "InternalFailure";
      return e;
    }
    std::string wrapper = op.result_wrapper.empty() ? op.name + "Result" : op.result_wrapper;
    open_tag(out, wrapper);
    Renderer(out).members(*op.output, doc, 0);
    close_tag(out, wrapper);
  }
  out.append("<ResponseMetadata><RequestId>");
  append_xml_text(out, request_id);
  out.append("</RequestId></ResponseMetadata>");
  close_tag(out, root);
  return out;
}

std::string render_query_error(const ApiError& error, std::string_view xml_namespace, std::string_view request_id,
                               bool detail_element) {
  std::string out;
  out.reserve(256 + error.message.size());
  out.append(kXmlDeclaration);
  append_namespace_open(out, "ErrorResponse", xml_namespace);
  out.append("<Error><Type>");
  out.append(error.sender_fault ? "Sender" : "Receiver");
  out.append("</Type><Code>");
  append_xml_text(out, error.query_code.empty() ? error.code : error.query_code);
  out.append("</Code><Message>");
  append_xml_text(out, error.message);
  out.append("</Message>");
  if (detail_element) out.append("<Detail/>");
  out.append("</Error><RequestId>");
  append_xml_text(out, request_id);
  out.append("</RequestId></ErrorResponse>");
  return out;
}

}  // namespace runnel::protocol
