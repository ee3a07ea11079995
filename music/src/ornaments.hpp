// Events off the phrase clock (docs/music.md, "Events off the phrase clock"): Eno-style loops
// on the ornament layer, each recurring with its own period; shimmer chords high above; soft
// breaths of air on the texture bus. Loop occurrences are a function of session time and the
// section, and random events are drawn one by one from their own streams, so a phrase planned
// again (after a parameter change) finds the same events.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "auralis/music/score.hpp"
#include "form.hpp"
#include "rhythm.hpp"

namespace auralis::music {

struct Loop {
  double period_s = 20;
  double phase_s = 0;  // first occurrence after the section's start
  int notes = 1;
  std::array<double, 3> offset_s{};  // from the occurrence
  std::array<int, 3> tone{};         // chord-tone index (0 root, 1 third, ...)
  int anchor_midi = 82;              // the register the loop stays in
  double presence = 0.7;             // chance an occurrence sounds
  double velocity = 0.45;
};

// The loops of a section (their number by its character).
std::vector<Loop> plan_loops(std::uint64_t seed, const Section& section, double brightness);

// Where the next random event of each kind falls (session seconds) and how many were drawn.
struct EventClock {
  double next_shimmer_s = -1;  // < 0: not drawn yet
  double next_air_s = -1;
  std::uint64_t drawn = 0;
};

// Everything the ornaments need to know about the phrase being composed.
struct OrnamentContext {
  std::uint64_t seed = 1;
  std::uint64_t phrase_index = 0;
  double phrase_start_s = 0;  // session time
  PhraseClock clock;
  const Section* section = nullptr;
  double intensity = 0.5;
  const std::vector<ChordEvent>* chords = nullptr;
};

// Loop occurrences inside the phrase (ornament layer).
void add_loop_notes(const OrnamentContext& ctx, const std::vector<Loop>& loops,
                    std::vector<Note>& notes);

// Shimmer chords (ornament layer, instrument shimmer) and air (texture layer) whose onsets fall
// inside the phrase; `clock` carries on to the next phrase.
void add_random_events(const OrnamentContext& ctx, bool shimmer, bool air, EventClock& clock,
                       std::vector<Note>& notes);

// The chord sounding at `t` seconds into the phrase.
const ChordEvent& chord_at_time(const std::vector<ChordEvent>& chords, double t);

// Pitch classes of a chord, ordered from its root (root, then upward by interval).
std::vector<int> chord_tones(const ChordEvent& chord);

}  // namespace auralis::music
