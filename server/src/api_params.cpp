#include "auralis/server/api_params.hpp"

#include <cmath>

#include "auralis/server/session_registry.hpp"

namespace auralis::server {
namespace {

ApiError invalid(const std::string& field, const std::string& message) {
  return {400, "invalid_value", message, field};
}

std::optional<ApiError> number_in(const nlohmann::json& v, const std::string& field, double lo,
                                  double hi, double& out) {
  if (!v.is_number()) return invalid(field, field + " must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    return invalid(field, field + " must be between " + nlohmann::json(lo).dump() + " and " +
                              nlohmann::json(hi).dump());
  out = x;
  return std::nullopt;
}

// A display name: 1-100 characters (code points of the UTF-8 the JSON parser has checked),
// none of them a control character (it is sent in the stream's icy-name header and shown).
bool valid_display_name(const std::string& name) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return false;
    // C1 controls, U+0080-U+009F: C2 80 - C2 9F.
    if (c == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xa0)
      return false;
    if ((c & 0xc0) != 0x80) ++characters;  // not a continuation byte
  }
  return characters >= 1 && characters <= 100;
}

}  // namespace

std::optional<ApiError> parse_params(const nlohmann::json& body, const music::SessionParams& base,
                                     bool allow_id, ParamsUpdate& out) {
  if (!body.is_object()) return ApiError{400, "invalid_body", "the body must be a JSON object", ""};
  ParamsUpdate update;
  update.params = base;
  music::SessionParams& p = update.params;
  for (const auto& [field, v] : body.items()) {
    if (field == "name") {
      if (!v.is_string() || !valid_display_name(v.get<std::string>()))
        return invalid(
            field, "name must be a string of 1-100 characters, none of them a control character");
      update.name = v.get<std::string>();
    } else if (field == "id" && allow_id) {
      if (!v.is_string() || !valid_session_id(v.get<std::string>()))
        return invalid(field, "id must be 1-64 characters of A-Z a-z 0-9 _ -");
      update.id = v.get<std::string>();
    } else if (field == "pinned") {
      if (!v.is_boolean()) return invalid(field, "pinned must be true or false");
      update.pinned = v.get<bool>();
    } else if (field == "key") {
      auto pc = v.is_string() ? music::parse_key(v.get<std::string>()) : std::nullopt;
      if (!pc) return invalid(field, "key must be a note name: C, C#, Db, D, ... B");
      p.key_pc = *pc;
    } else if (field == "mode") {
      if (!v.is_string()) return invalid(field, "mode must be a string");
      if (v.get<std::string>() == "auto") {
        p.mode.reset();
      } else {
        auto mode = music::parse_mode(v.get<std::string>());
        if (!mode)
          return invalid(
              field, "mode must be auto, phrygian, aeolian, dorian, mixolydian, ionian or lydian");
        p.mode = *mode;
      }
    } else if (field == "tempo_bpm") {
      if (auto e = number_in(v, field, 40, 120, p.tempo_bpm)) return e;
    } else if (field == "energy") {
      if (auto e = number_in(v, field, 0, 1, p.energy)) return e;
    } else if (field == "brightness") {
      if (auto e = number_in(v, field, 0, 1, p.brightness)) return e;
    } else if (field == "density") {
      if (auto e = number_in(v, field, 0, 1, p.density)) return e;
    } else if (field == "seed") {
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
        return invalid(field, "seed must be a non-negative integer");
      const auto seed = v.get<std::uint64_t>();
      if (seed > 9007199254740991ULL) return invalid(field, "seed must be at most 2^53-1");
      p.seed = seed;
    } else if (field == "layers") {
      if (!v.is_object()) return invalid(field, "layers must be an object of booleans");
      for (const auto& [layer, on] : v.items()) {
        const std::string name = "layers." + layer;
        if (!on.is_boolean()) return invalid(name, name + " must be true or false");
        const bool b = on.get<bool>();
        if (layer == "pad")
          p.layers.pad = b;
        else if (layer == "lead")
          p.layers.lead = b;
        else if (layer == "bass")
          p.layers.bass = b;
        else if (layer == "texture")
          p.layers.texture = b;
        else if (layer == "percussion")
          p.layers.percussion = b;
        else
          return ApiError{400, "unknown_field", "unknown layer '" + layer + "'", name};
      }
    } else {
      return ApiError{400, "unknown_field", "unknown field '" + field + "'", field};
    }
  }
  if (auto err = music::validate(p)) return invalid(err->field, err->message);
  out = std::move(update);
  return std::nullopt;
}

nlohmann::json params_to_json(const music::SessionParams& p) {
  return {{"key", music::pitch_class_name(p.key_pc)},
          {"mode", p.mode ? music::mode_name(*p.mode) : "auto"},
          {"tempo_bpm", p.tempo_bpm},
          {"energy", p.energy},
          {"brightness", p.brightness},
          {"density", p.density},
          {"seed", p.seed},
          {"layers",
           {{"pad", p.layers.pad},
            {"lead", p.layers.lead},
            {"bass", p.layers.bass},
            {"texture", p.layers.texture},
            {"percussion", p.layers.percussion}}}};
}

}  // namespace auralis::server
