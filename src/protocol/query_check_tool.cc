// Test helper for query_botocore_check.py: runs the Query codec on cases read from stdin, one JSON
// object per line, and prints one JSON object per line:
//   {"service":"sqs","op":"SendMessage","decode":"<form body>"}  ->  {"json":"<decoded input>"}
//   {"service":"sns","op":"ListTopics","render":"<handler JSON>"} ->  {"xml":"<response>"}
// An unknown service or operation prints {"error":"..."}.
#include <iostream>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/query_codec.h"
#include "protocol/query_model.h"

namespace {

using runnel::protocol::QueryModel;

std::string member(const rapidjson::Document& doc, const char* key) {
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : std::string();
}

std::string reply(const char* key, const std::string& value) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string run(const std::string& line) {
  rapidjson::Document c;
  c.Parse(line.data(), line.size());
  if (c.HasParseError() || !c.IsObject()) return reply("error", "bad case line");
  std::string service = member(c, "service");
  const QueryModel* model = service == "sqs" ? &QueryModel::sqs() : service == "sns" ? &QueryModel::sns() : nullptr;
  if (!model) return reply("error", "unknown service " + service);
  const auto* op = model->operation(member(c, "op"));
  if (!op) return reply("error", "unknown operation " + member(c, "op"));
  if (c.HasMember("decode")) {
    rapidjson::Document out;
    runnel::protocol::decode_query_request(*op, runnel::protocol::parse_form(member(c, "decode")), out);
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    out.Accept(w);
    return reply("json", std::string(sb.GetString(), sb.GetSize()));
  }
  auto xml = runnel::protocol::render_query_response(*op, model->xml_namespace(), member(c, "render"), "req-1");
  if (!xml.ok()) return reply("error", xml.error().message);
  return reply("xml", *xml);
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) std::cout << run(line) << '\n';
  return 0;
}
