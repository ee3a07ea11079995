// Session parameters of the composer, with validated ranges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "auralis/music/score.hpp"

namespace auralis::music {

struct LayerSwitches {
  bool pad = true;
  bool lead = true;
  bool bass = true;
  bool texture = true;
  bool percussion = true;
};

struct SessionParams {
  int key_pc = 2;            // tonic pitch class 0..11 (default D)
  std::optional<Mode> mode;  // empty: chosen from brightness
  double tempo_bpm = 70;     // 40..120
  double energy = 0.4;       // 0..1
  double brightness = 0.5;   // 0..1
  double density = 0.5;      // 0..1
  // Motif memory: the chance a two-bar cell of the lead recalls one heard before instead of a
  // new one (docs/music.md, "Melody"). Empty: from energy (0.7 calm .. 0.55 energetic).
  std::optional<double> deja_vu;
  std::uint64_t seed = 1;
  LayerSwitches layers;
};

// A rejected parameter: `field` names it ("tempo_bpm"), `message` says why.
struct ParamError {
  std::string field;
  std::string message;
};

// Returns the first out-of-range field, or nothing when all are valid.
std::optional<ParamError> validate(const SessionParams& params);

// Parameters that passed validate(). The boundary (REST API, configuration, session store)
// makes them with check(), once; the scheduler and every layer below take them as given.
class ValidParams {
 public:
  ValidParams() = default;  // the defaults are valid
  // The parameters, or the first field out of range.
  static std::variant<ValidParams, ParamError> check(const SessionParams& params);

  const SessionParams& get() const { return params_; }
  const SessionParams* operator->() const { return &params_; }

 private:
  explicit ValidParams(const SessionParams& params) : params_(params) {}
  SessionParams params_;
};

// Parsing helpers for text input (API, CLI, config): nullopt when not recognised.
std::optional<int> parse_key(const std::string& text);    // "C", "F#", "Bb", case-insensitive
std::optional<Mode> parse_mode(const std::string& text);  // "dorian"
Mode mode_for_brightness(double brightness);

}  // namespace auralis::music
