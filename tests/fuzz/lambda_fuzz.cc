// Fuzzes what Lambda parses from the network and the store: function names and ARNs, the
// CreateFunction / UpdateFunctionConfiguration body, uploaded zips (libzip's reader and our checks
// of entry names and sizes), and the stored function record. The first byte picks the parser. Must
// never crash or hang; a decoded record must encode and decode to the same configuration.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "lambda/code_dir.h"
#include "lambda/function.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)runnel::lambda::resolve_function_name(input, "000000000000", "us-east-1");
      break;
    case 1: {
      rapidjson::Document d;
      if (!runnel::json::parse(d, input) || !d.IsObject()) break;
      runnel::lambda::Function f;
      (void)runnel::lambda::apply_configuration(f, d, (data[0] & 4) != 0);
      (void)runnel::lambda::configuration_json(f);
      break;
    }
    case 2:
      (void)runnel::lambda::check_zip(input);
      break;
    case 3: {
      auto f = runnel::lambda::decode_function(input);
      if (!f.ok()) break;
      auto again = runnel::lambda::decode_function(runnel::lambda::encode_function(*f));
      if (!again.ok() || runnel::lambda::configuration_json(*again) != runnel::lambda::configuration_json(*f))
        __builtin_trap();
      break;
    }
  }
  return 0;
}
