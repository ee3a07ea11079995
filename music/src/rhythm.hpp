// The phrase clock, notes placed in beats, and the soft percussion (kick, brush) with timing and
// velocity jitter.
#pragma once

#include <vector>

#include "auralis/music/score.hpp"
#include "rng.hpp"

namespace auralis::music {

struct PhraseClock {
  double tempo_bpm = 70;
  int bars = 8;
  int beats_per_bar = 4;

  double seconds_per_beat() const { return 60.0 / tempo_bpm; }
  double total_beats() const { return static_cast<double>(bars * beats_per_bar); }
};

// A note placed in beats; seconds follow from the clock.
Note make_note(const PhraseClock& clock, Layer layer, Instrument instrument, int voice, int midi,
               double velocity, double onset_beats, double duration_beats);

// Kick and brush hits; nothing at or below the energy threshold.
void add_percussion(const PhraseClock& clock, double energy, double density, Rng& rng,
                    std::vector<Note>& notes);

}  // namespace auralis::music
