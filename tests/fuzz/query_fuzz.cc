// libFuzzer target for the AWS Query codec: parse_form() and the request decoder on any bytes, and
// the XML renderer on any handler output, for every SQS and SNS operation.
//
// Input layout: byte 0 picks the operation (SQS's then SNS's, modulo their count); the rest is split
// at the first NUL into
//   <form body, as a POST body or query string> \0 <the handler's JSON output>
// Invariants: decoding always yields a JSON object; every rendered response and error is XML that
// pugixml parses, with <OpResponse> / <ErrorResponse> as its root, in valid UTF-8 with no character
// XML 1.0 forbids.
//
// The embedded models are normally a CMake-generated .cc; this build reads the committed JSON
// (RUNNEL_QUERY_MODELS_DIR, set by run-fuzzer.sh) instead, so it compiles straight from source.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "protocol/query_codec.h"
#include "protocol/query_model.h"

#ifndef RUNNEL_QUERY_MODELS_DIR
#error "build with -DRUNNEL_QUERY_MODELS_DIR=\"<repo>/src/protocol/models\""
#endif

namespace runnel::protocol {

namespace {
std::string read_model(const char* name) {
  std::ifstream in(std::string(RUNNEL_QUERY_MODELS_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) std::abort();
  return ss.str();
}
}  // namespace

std::string_view embedded_sqs_model() {
  static const std::string text = read_model("sqs.json");
  return text;
}

std::string_view embedded_sns_model() {
  static const std::string text = read_model("sns.json");
  return text;
}

}  // namespace runnel::protocol

namespace {

using namespace runnel::protocol;

struct Op {
  const QueryModel* model;
  const QueryOperation* op;
};

const std::vector<Op>& operations() {
  static const std::vector<Op> ops = [] {
    std::vector<Op> out;
    for (const QueryModel* m : {&QueryModel::sqs(), &QueryModel::sns()}) {
      for (const auto& [name, op] : m->operations()) out.push_back({m, &op});
    }
    return out;
  }();
  return ops;
}

// Valid UTF-8 of XML 1.0 characters only (what append_xml_text promises).
bool xml_clean(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n') return false;
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = c & (0x3F >> (len - 1));
    for (size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return false;
    i += len;
  }
  return true;
}

void check_xml(const std::string& xml, const std::string& root) {
  if (!xml_clean(xml)) __builtin_trap();
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) __builtin_trap();
  if (root != doc.document_element().name()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Op& pick = operations()[data[0] % operations().size()];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = rest.find('\0');
  const std::string_view form = rest.substr(0, nul);
  const std::string_view output = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);

  FormParams params = parse_form(form);
  for (const auto& [k, v] : params) {
    if (k.size() > form.size() || v.size() > form.size()) __builtin_trap();  // decoding never grows
  }
  rapidjson::Document input;
  decode_query_request(*pick.op, params, input);
  if (!input.IsObject()) __builtin_trap();

  auto xml = render_query_response(*pick.op, pick.model->xml_namespace(), output, "req-1");
  if (xml.ok()) {
    check_xml(*xml, pick.op->name + "Response");
  } else {
    if (xml.error().http_status != 500) __builtin_trap();
  }
  // Any text as an error message (the form's bytes stand in for a message with user input).
  runnel::ApiError error{"Code", std::string(form), 400, true, "", {}};
  check_xml(render_query_error(error, pick.model->xml_namespace(), std::string(output), true), "ErrorResponse");
  return 0;
}
