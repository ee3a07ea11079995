// Form: the session as a chain of sections of 3-8 minutes, each with a character (open, drift,
// song, bloom), a palette, a register, a level and a harmonic rhythm, and an intensity arc across
// its phrases (docs/music.md, "Form"). A section is planned once, when it starts, from the seed,
// its index and the characters before it; a phrase asks the section for its shape.
#pragma once

#include <array>
#include <cstdint>

#include "auralis/music/params.hpp"
#include "auralis/music/score.hpp"

namespace auralis::music {

enum class Character : std::uint8_t { open, drift, song, bloom };

struct Section {
  std::uint32_t index = 0;
  Character character = Character::song;
  int phrases = 8;
  double start_s = 0;  // session time of its first phrase
  Instrument pad = Instrument::warm_pad;
  Instrument lead = Instrument::soft_lead;
  Instrument ornament = Instrument::glass_bell;
  int mode_shift = 0;  // steps along dark -> bright from the brightness's mode
  double tempo_offset_bpm = 0;
  double level_db = 0;
  double arc_peak = 0.6;

  std::size_t c() const { return static_cast<std::size_t>(character); }
};

// What the form asks of one phrase.
struct PhraseShape {
  double intensity = 0.5;  // 0.3 .. 1 along the section's arc
  double energy = 0.5;     // effective, 0..1
  double brightness = 0.5;
  double level_db = 0;
  Mode mode = Mode::aeolian;
  double tempo_bpm = 70;  // the section's tempo target
};

// The characters of the last few sections (newest first) and the lead instruments' rotation.
struct FormMemory {
  std::array<int, 4> recent{-1, -1, -1, -1};
  std::array<Instrument, 4> lead_order{};
  int lead_turn = 0;
};

// Plans section `index` starting at `start_s`; `phrase_s` is the phrase length at the session
// tempo (section lengths are counted in whole phrases). Updates `memory`.
Section plan_section(const SessionParams& params, std::uint32_t index, double start_s,
                     double phrase_s, FormMemory& memory);

PhraseShape shape_phrase(const SessionParams& params, const Section& section, int phrase);

}  // namespace auralis::music
