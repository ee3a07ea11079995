// The lead melody: an eighth-note slot grid, a scale-degree walk with gap fill, an arch contour,
// chord-tone snapping, clash avoidance with the pad, motif form over 8 bars and motif memory.
#pragma once

#include <deque>
#include <span>
#include <vector>

#include "rng.hpp"
#include "theory.hpp"
#include "voicing.hpp"

namespace auralis::music {

// A two-bar motif: rhythm on 16 slots and scale degrees relative to its first note.
struct MotifNote {
  int slot = 0;
  int length_slots = 1;
  int degree = 0;
  bool operator==(const MotifNote&) const = default;
};
// A motif with where it was last played, so that a reused motif comes back recognisably:
// at the same pitch, under the same arch.
struct Motif {
  std::vector<MotifNote> notes;
  int anchor_midi = -1;  // pitch of the phrase's start degree; -1 before first use
  int arch_height_degrees = 0;
  double arch_peak = 0.65;
  bool operator==(const Motif&) const = default;
};

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
  int phrase_slots = 64;
  bool may_sit_out = true;   // false: the lead plays this phrase
  bool echo_newest = false;  // true: restate the newest remembered motif (a consequent phrase)
};

struct LeadNote {
  int slot = 0;
  int length_slots = 1;
  int midi = 60;
  float velocity = 0.6f;
};

// Composes one phrase of lead (empty when it sits the phrase out). `memory` holds the last
// motifs, newest first, and is updated.
std::vector<LeadNote> compose_lead(const LeadSettings& settings, std::span<const ChordSpan> chords,
                                   std::deque<Motif>& memory, Rng& rng);

// True when `midi` would sound a semitone or tritone against a pad voice (a major seventh
// above a voice is allowed colour; the minor ninth and minor second are not).
bool clashes_with_pad(int midi, const Voicing& pad);

}  // namespace auralis::music
