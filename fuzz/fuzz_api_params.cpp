// libFuzzer target: request bodies for POST/PATCH /api/v1/sessions through the strict JSON
// reader of session fields. Beyond not crashing: what it accepts is valid, and what
// params_to_json prints is accepted back unchanged.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "auralis/music/params.hpp"
#include "sessions/session_json.hpp"

using namespace auralis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = nlohmann::json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return 0;
  const music::SessionParams base;
  for (const auto id : {server::IdField::allowed, server::IdField::refused}) {
    const auto fields = server::read_session_fields(body, base, id);
    if (!fields) {
      if (fields.error().message.empty()) std::abort();
      continue;
    }
    if (music::validate(fields->params.get())) std::abort();  // accepted means valid
    const nlohmann::json printed = server::params_to_json(fields->params.get());
    const auto again = server::read_session_fields(printed, base);
    if (!again) std::abort();  // our own output is accepted
    if (server::params_to_json(again->params.get()) != printed) std::abort();  // same meaning
  }
  return 0;
}
