// Fuzzes the request JSON decoder (seeded by run-fuzzer.sh with bodies nested 130,000 deep and
// arrays 100,000 wide): any bytes as a request body, then every AttributeValue map in it
// through DynamoDB's validation and back out through the renderer. Must never crash or hang.
#include <cstddef>
#include <cstdint>

#include <rapidjson/document.h>

#include "common/attribute_value.h"
#include "common/json_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The parse every JSON service runs on a request body (iterative, depth-bounded).
  rapidjson::Document doc;
  if (!runnel::json::parse(doc, std::string_view(reinterpret_cast<const char*>(data), size)) || !doc.IsObject()) return 0;
  for (const auto& m : doc.GetObject()) {
    auto item = runnel::decode_attribute_map(m.value);
    if (item.ok()) {
      std::string json = runnel::attribute_map_to_json(*item);
      rapidjson::Document again;
      runnel::json::parse(again, json);
      auto round = runnel::decode_attribute_map(again);
      if (!round.ok() || !(*round == *item)) __builtin_trap();  // rendering must round-trip
      (void)runnel::item_size(*item);
    }
  }
  return 0;
}
