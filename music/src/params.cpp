#include "auralis/music/params.hpp"

#include <array>
#include <cctype>
#include <sstream>

#include "tables.hpp"

namespace auralis::music {
namespace {

std::optional<ParamError> check_range(const char* field, double value, double lo, double hi,
                                      const char* unit) {
  if (value >= lo && value <= hi) return std::nullopt;  // false for NaN too
  std::ostringstream message;
  message << field << " must be between " << lo << " and " << hi << unit << ", got " << value;
  return ParamError{field, message.str()};
}

std::string lower(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::optional<ParamError> validate(const SessionParams& params) {
  if (params.key_pc < 0 || params.key_pc > 11) {
    return ParamError{"key_pc", "key_pc must be a pitch class 0..11 (C..B), got " +
                                    std::to_string(params.key_pc)};
  }
  if (params.mode && static_cast<int>(*params.mode) > static_cast<int>(Mode::lydian)) {
    return ParamError{"mode",
                      "mode must be one of phrygian, aeolian, dorian, mixolydian, "
                      "ionian, lydian"};
  }
  if (auto e = check_range("tempo_bpm", params.tempo_bpm, tables::kTempoMinBpm,
                           tables::kTempoMaxBpm, " BPM")) {
    return e;
  }
  if (auto e = check_range("energy", params.energy, 0.0, 1.0, "")) return e;
  if (auto e = check_range("brightness", params.brightness, 0.0, 1.0, "")) return e;
  if (auto e = check_range("density", params.density, 0.0, 1.0, "")) return e;
  if (params.deja_vu) {
    if (auto e = check_range("deja_vu", *params.deja_vu, 0.0, 1.0, "")) return e;
  }
  return std::nullopt;
}

std::variant<ValidParams, ParamError> ValidParams::check(const SessionParams& params) {
  if (auto error = validate(params)) return *error;
  return ValidParams(params);
}

std::optional<int> parse_key(const std::string& text) {
  const std::string t = lower(text);
  if (t.empty() || t.size() > 2) return std::nullopt;
  static constexpr std::array<int, 7> kNatural = {9, 11, 0, 2, 4, 5, 7};  // a..g
  if (t[0] < 'a' || t[0] > 'g') return std::nullopt;
  int pc = kNatural[static_cast<std::size_t>(t[0] - 'a')];
  if (t.size() == 2) {
    if (t[1] == '#') {
      pc += 1;
    } else if (t[1] == 'b') {
      pc -= 1;
    } else {
      return std::nullopt;
    }
  }
  return ((pc % 12) + 12) % 12;
}

std::optional<Mode> parse_mode(const std::string& text) {
  const std::string t = lower(text);
  for (int m = 0; m <= static_cast<int>(Mode::lydian); ++m) {
    if (t == mode_name(static_cast<Mode>(m))) return static_cast<Mode>(m);
  }
  if (t == "major") return Mode::ionian;
  if (t == "minor") return Mode::aeolian;
  return std::nullopt;
}

Mode mode_for_brightness(double brightness) {
  for (std::size_t i = 0; i < tables::kBrightnessModeUpper.size(); ++i) {
    if (brightness < tables::kBrightnessModeUpper[i]) return static_cast<Mode>(i);
  }
  return Mode::lydian;
}

}  // namespace auralis::music
