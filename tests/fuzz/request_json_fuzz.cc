// Fuzzes the request JSON decoder: any bytes as a request body, then every AttributeValue map in it
// through DynamoDB's validation and back out through the renderer. Must never crash or hang.
#include <cstddef>
#include <cstdint>

#include <rapidjson/document.h>

#include "common/attribute_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rapidjson::Document doc;
  doc.Parse(reinterpret_cast<const char*>(data), size);
  if (doc.HasParseError() || !doc.IsObject()) return 0;
  for (const auto& m : doc.GetObject()) {
    auto item = runnel::decode_attribute_map(m.value);
    if (item.ok()) {
      std::string json = runnel::attribute_map_to_json(*item);
      rapidjson::Document again;
      again.Parse(json.data(), json.size());
      auto round = runnel::decode_attribute_map(again);
      if (!round.ok() || !(*round == *item)) __builtin_trap();  // rendering must round-trip
      (void)runnel::item_size(*item);
    }
  }
  return 0;
}
