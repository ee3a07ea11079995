// The chord vocabulary built on scale degrees: which chord types fit a mode, how colour picks
// one, and the display name ("Dm9", "Fmaj7#11").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rng.hpp"
#include "theory.hpp"

namespace auralis::music {

enum class ChordType : std::uint8_t {
  maj,
  min,
  sus2,
  sus4,
  maj7,
  m7,
  dom7,
  add9,
  madd9,
  maj9,
  m9,
  six_nine,
  m11,
  maj7s11,
  quartal
};
inline constexpr int kChordTypeCount = 15;

// Colour families whose weights the chord colour blends (docs/music.md, "Scales, chords and
// progressions").
enum class ChordFamily : std::uint8_t { triad, sus, add9, seventh, ninth };

struct Chord {
  int root_pc = 0;
  int degree = 1;  // scale degree of the root, 1..7
  ChordType type = ChordType::maj;

  PcMask pcs() const;
  std::vector<int> intervals() const;  // semitones from the root, ascending
  std::string name() const;            // "Dm9"
  int fifth_pc() const;                // -1 when the type has no perfect fifth
};

const char* chord_suffix(ChordType type);
ChordFamily chord_family(ChordType type);
std::vector<int> chord_intervals(ChordType type);

// True when every tone of `type` on root_pc is in the scale and no extension sits a semitone
// above a chord tone (a b9-style clash).
bool chord_fits(ChordType type, int root_pc, const Scale& scale);

// `wanted` with extensions dropped until it fits (maj9 -> maj7, m11 -> m9 -> m7, ...), or the
// degree's plain triad. Returns false when not even that fits (a diminished degree).
bool fit_chord(ChordType wanted, int root_pc, const Scale& scale, ChordType& fitted);

// The type with its outermost extension dropped (maj9 -> maj7, m11 -> m9); a type without
// extensions maps to itself.
ChordType reduced_type(ChordType type);

// True when the degree's triad is major or minor (diminished degrees are skipped).
bool degree_has_triad(const Scale& scale, int degree);

// Chord colour in [0, 1] from brightness.
double chord_colour(double brightness);

// Draws a chord type for a degree: a family by the colour-blended weights, then a type of it
// that fits the mode (families with no fitting type on this degree are left out).
Chord choose_chord(const Scale& scale, int degree, double colour, Rng& rng);

}  // namespace auralis::music
