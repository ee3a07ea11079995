#include "sessions/session_json.hpp"

#include <cmath>

#include "sessions/session_id.hpp"

namespace auralis::server {
namespace {

SessionError invalid(const std::string& field, const std::string& message) {
  return {SessionErrc::invalid_value, message, field};
}

// Numbers are only read here; their ranges are the music module's (ValidParams::check).
std::optional<SessionError> read_number(const nlohmann::json& v, const std::string& field,
                                        double& out) {
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    return invalid(field, field + " must be a number");
  out = v.get<double>();
  return std::nullopt;
}

std::optional<SessionError> read_layers(const nlohmann::json& v, music::LayerSwitches& layers) {
  if (!v.is_object()) return invalid("layers", "layers must be an object of booleans");
  for (const auto& [layer, on] : v.items()) {
    const std::string field = "layers." + layer;
    if (!on.is_boolean()) return invalid(field, field + " must be true or false");
    bool* target = layer == "pad"          ? &layers.pad
                   : layer == "lead"       ? &layers.lead
                   : layer == "bass"       ? &layers.bass
                   : layer == "texture"    ? &layers.texture
                   : layer == "percussion" ? &layers.percussion
                                           : nullptr;
    if (!target)
      return SessionError{SessionErrc::unknown_field, "unknown layer '" + layer + "'", field};
    *target = on.get<bool>();
  }
  return std::nullopt;
}

}  // namespace

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

SessionResult<SessionFields> read_session_fields(const nlohmann::json& body,
                                                 const music::SessionParams& base, IdField id) {
  if (!body.is_object())
    return SessionError{SessionErrc::invalid_body, "the body must be a JSON object", ""};
  SessionFields out;
  music::SessionParams p = base;
  for (const auto& [field, v] : body.items()) {
    std::optional<SessionError> error;
    if (field == "name") {
      if (!v.is_string() || !valid_display_name(v.get<std::string>()))
        return invalid(field,
                       "name must be a string of 1-100 characters, none of them a control "
                       "character");
      out.name = v.get<std::string>();
    } else if (field == "id" && id == IdField::allowed) {
      if (!v.is_string() || !valid_session_id(v.get<std::string>()))
        return invalid(field, "id must be 1-64 characters of A-Z a-z 0-9 _ -");
      out.id = v.get<std::string>();
    } else if (field == "pinned") {
      if (!v.is_boolean()) return invalid(field, "pinned must be true or false");
      out.pinned = v.get<bool>();
    } else if (field == "key") {
      auto pc = v.is_string() ? music::parse_key(v.get<std::string>()) : std::nullopt;
      if (!pc) return invalid(field, "key must be a note name: C, C#, Db, D, ... B");
      p.key_pc = *pc;
    } else if (field == "mode") {
      const auto text = v.is_string() ? v.get<std::string>() : std::string();
      const auto mode = music::parse_mode(text);
      if (text != "auto" && !mode)
        return invalid(field,
                       "mode must be auto, phrygian, aeolian, dorian, mixolydian, ionian or "
                       "lydian");
      p.mode = text == "auto" ? std::nullopt : mode;
    } else if (field == "tempo_bpm") {
      error = read_number(v, field, p.tempo_bpm);
    } else if (field == "energy") {
      error = read_number(v, field, p.energy);
    } else if (field == "brightness") {
      error = read_number(v, field, p.brightness);
    } else if (field == "density") {
      error = read_number(v, field, p.density);
    } else if (field == "deja_vu") {
      if (v.is_string() && v.get<std::string>() == "auto") {
        p.deja_vu.reset();
      } else {
        double chance = 0;
        error = v.is_number() ? read_number(v, field, chance)
                              : invalid(field, "deja_vu must be a number 0..1 or \"auto\"");
        if (!error) p.deja_vu = chance;
      }
    } else if (field == "seed") {
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
        return invalid(field, "seed must be a non-negative integer");
      if (v.get<std::uint64_t>() > kMaxSeed) return invalid(field, "seed must be at most 2^53-1");
      p.seed = v.get<std::uint64_t>();
      out.seed_given = true;
    } else if (field == "layers") {
      error = read_layers(v, p.layers);
    } else {
      return SessionError{SessionErrc::unknown_field, "unknown field '" + field + "'", field};
    }
    if (error) return *error;
  }
  auto checked = music::ValidParams::check(p);
  if (auto* bad = std::get_if<music::ParamError>(&checked))
    return invalid(bad->field, bad->message);
  out.params = std::get<music::ValidParams>(checked);
  return out;
}

nlohmann::json params_to_json(const music::SessionParams& p) {
  return {{"key", music::pitch_class_name(p.key_pc)},
          {"mode", p.mode ? music::mode_name(*p.mode) : "auto"},
          {"tempo_bpm", p.tempo_bpm},
          {"energy", p.energy},
          {"brightness", p.brightness},
          {"density", p.density},
          {"deja_vu", p.deja_vu ? nlohmann::json(*p.deja_vu) : nlohmann::json("auto")},
          {"seed", p.seed},
          {"layers",
           {{"pad", p.layers.pad},
            {"lead", p.layers.lead},
            {"bass", p.layers.bass},
            {"texture", p.layers.texture},
            {"percussion", p.layers.percussion}}}};
}

}  // namespace auralis::server
