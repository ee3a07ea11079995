// Pitch classes, the six modes and the pentatonics: the scale the composer writes in.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::music {

using PcMask = std::uint16_t;  // bit n set: pitch class n present

inline int pitch_class(int midi) {
  return ((midi % 12) + 12) % 12;
}
inline PcMask pc_bit(int pc) {
  return static_cast<PcMask>(1u << pitch_class(pc));
}
inline bool mask_has(PcMask mask, int pc) {
  return (mask & pc_bit(pc)) != 0;
}

// Modes whose first chord is minor (Markov minor family).
bool is_minor_family(Mode mode);

struct Scale {
  int tonic_pc = 0;
  Mode mode = Mode::aeolian;
  std::array<int, 7> pcs{};  // pitch class of degrees 1..7
  PcMask mask = 0;

  int degree_pc(int degree) const;  // 1-based; wraps past 7
  int degree_of(int pc) const;      // 1..7, or 0 when pc is not in the scale
  bool contains(int pc) const { return mask_has(mask, pc); }
};

Scale make_scale(int tonic_pc, Mode mode);

// The pentatonic (major or minor, by the mode's family) as semitone offsets from the tonic;
// every one of its notes is in the mode.
std::vector<int> pentatonic_offsets(Mode mode);
std::vector<int> mode_offsets(Mode mode);

}  // namespace auralis::music
