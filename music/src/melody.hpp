// The lead melody (docs/music.md, "Melody"): two-bar cells on an eighth-note grid, walked mostly
// stepwise in scale degrees; a phrase is four cells in a form (A A' B A'', A B A' C, ...); a
// motif memory brings old cells back, mutated (a deja-vu control); an arch contour, chord tones
// on strong beats, no clash with the pad; velocity that phrases and timing a player's few
// milliseconds off the grid. Cells where the lead rests may be answered by a counter-melody.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "auralis/music/score.hpp"
#include "rng.hpp"
#include "theory.hpp"
#include "voicing.hpp"

namespace auralis::music {

// Two bars of lead: rhythm on 16 eighth slots and scale degrees relative to the first note.
struct CellNote {
  int slot = 0;
  int length_slots = 1;
  int degree = 0;
  bool operator==(const CellNote&) const = default;
};
struct Cell {
  std::vector<CellNote> notes;
  std::uint64_t born_phrase = 0;  // phrase where it was first heard
  int anchor_midi = -1;           // its first note as heard (a recall starts there if it can)
  bool operator==(const Cell&) const = default;
};
using CellMemory = std::deque<Cell>;  // newest first

// A chord as the lead sees it: where it sounds (in slots) and what the pad plays.
struct ChordSpan {
  int start_slot = 0;
  int end_slot = 0;
  PcMask pcs = 0;
  Voicing voicing;
};

struct LeadSettings {
  int tonic_pc = 0;
  Mode mode = Mode::aeolian;
  double energy = 0.5;
  double brightness = 0.5;
  double density = 0.5;
  double intensity = 0.5;      // the section's arc
  double density_scale = 1.0;  // the section's
  double deja_vu = 0.5;        // chance a cell recalls a remembered one
  int register_shift = 0;      // semitones, the section's
  double sit_out = 0.1;        // chance the lead rests the whole phrase
  bool may_sit_out = true;     // false: the lead plays this phrase
  bool answers = false;        // rests may be answered by a counter-melody
  int phrase_slots = 64;
  std::uint64_t phrase_index = 0;
};

struct LeadNote {
  int slot = 0;
  int length_slots = 1;
  int midi = 60;
  float velocity = 0.6f;
  double offset_s = 0;  // played this far from the grid
};

struct LeadPhrase {
  std::vector<LeadNote> lead;
  std::vector<LeadNote> answer;  // the counter-melody (ornament layer)
};

LeadPhrase compose_lead(const LeadSettings& settings, std::span<const ChordSpan> chords,
                        CellMemory& memory, Rng& rng);

// True when `midi` would sound a semitone or tritone against a pad voice (a major seventh
// above a voice is allowed colour; the minor ninth and minor second are not).
bool clashes_with_pad(int midi, const Voicing& pad);

}  // namespace auralis::music
