// libFuzzer target: request bodies for POST/PATCH /api/v1/sessions through the strict JSON
// parameter parser. Beyond not crashing: what it accepts is valid, and what params_to_json
// prints is accepted back unchanged.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "auralis/music/params.hpp"
#include "auralis/server/api_params.hpp"

using namespace auralis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = nlohmann::json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return 0;
  const music::SessionParams base;
  for (const bool allow_id : {true, false}) {
    server::ParamsUpdate update;
    const auto err = server::parse_params(body, base, allow_id, update);
    if (err) {
      if (err->status < 400 || err->status > 499 || err->code.empty() || err->message.empty())
        std::abort();
      continue;
    }
    if (music::validate(update.params)) std::abort();  // accepted means valid
    const nlohmann::json printed = server::params_to_json(update.params);
    server::ParamsUpdate again;
    if (server::parse_params(printed, base, false, again))
      std::abort();  // our own output is accepted
    if (server::params_to_json(again.params) != printed) std::abort();  // and means the same
  }
  return 0;
}
