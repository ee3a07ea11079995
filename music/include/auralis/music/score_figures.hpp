// Figures of a composed score, as a listener would describe them (docs/music.md, "The music
// report"): how far the lead sits above the pad, how it is played (timing, dynamics), how its
// material returns, and what the form does over the span. bench/music_report prints them and the
// tests assert them; they read only the Phrase values, not the composer's internals.
#pragma once

#include <cstddef>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::music {

struct ScoreFigures {
  double minutes = 0;
  double lead_median_midi = 0;
  double pad_median_midi = 0;
  double lead_above_pad_st = 0;     // medians, semitones
  double lead_timing_sd_ms = 0;     // played onset around the written grid
  double lead_velocity_span = 0;    // 95th - 5th percentile
  double lead_on_beat_share = 0;    // onsets written on a quarter-note beat
  double cells_recalled_share = 0;  // 2-bar cells heard (similar) more than 4 phrases before
  double exact_repeat_share = 0;    // phrases whose whole lead equals an earlier phrase's
  int lead_instruments = 0;         // distinct instruments that played the lead
  int sections = 0;
  double section_minutes_min = 0, section_minutes_max = 0;  // whole sections only
  int modes = 0;                                            // distinct modes heard
  double tempo_min_bpm = 0, tempo_max_bpm = 0;
  std::size_t lead_notes = 0;
};

ScoreFigures score_figures(const std::vector<Phrase>& phrases);

// A two-bar cell as the figures compare them: onsets (eighth slots 0..15) and the semitone step
// from each note to the next.
struct LeadCell {
  std::vector<int> slots;
  std::vector<int> steps;
};
// The four cells of a phrase's lead (empty cells for rests).
std::vector<LeadCell> lead_cells(const Phrase& phrase);
// Similar, as an ear recognises a figure: at least 3 notes each, the onsets' Jaccard index
// >= 0.75 (the same rhythm), and >= 75% of the steps going the same way by about as much (the
// same contour: same direction, sizes within 2 semitones, as a figure moved to another degree
// or onto a chord tone changes them).
bool similar_cells(const LeadCell& a, const LeadCell& b);

}  // namespace auralis::music
