// Measurements over composed phrases, written independently of the composer's own tables so
// the tests check the music, not the code against itself.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::music::testing {

// Semitones from the tonic of each mode, in Mode order (typed in by hand from docs/music.md).
inline bool in_mode(int midi, int key_pc, Mode mode) {
  static constexpr std::array<std::array<int, 7>, 6> kModes = {{
      {0, 1, 3, 5, 7, 8, 10},
      {0, 2, 3, 5, 7, 8, 10},
      {0, 2, 3, 5, 7, 9, 10},
      {0, 2, 4, 5, 7, 9, 10},
      {0, 2, 4, 5, 7, 9, 11},
      {0, 2, 4, 6, 7, 9, 11},
  }};
  const int degree = ((midi - key_pc) % 12 + 12) % 12;
  const auto& steps = kModes[static_cast<std::size_t>(mode)];
  return std::find(steps.begin(), steps.end(), degree) != steps.end();
}

inline bool pitched(Layer layer) {
  return layer == Layer::pad || layer == Layer::lead || layer == Layer::bass ||
         layer == Layer::ornament;
}

// Set of consecutive pitch-class pairs over the pitched notes in written order (onset beats,
// then layer and pitch: the score, not its performance a few ms around it).
inline std::set<std::pair<int, int>> pc_bigrams(const Phrase& phrase) {
  std::vector<Note> notes = phrase.notes;
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    if (a.onset_beats != b.onset_beats) return a.onset_beats < b.onset_beats;
    if (a.layer != b.layer) return a.layer < b.layer;
    return a.midi < b.midi;
  });
  std::set<std::pair<int, int>> bigrams;
  int previous = -1;
  for (const auto& note : notes) {
    if (!pitched(note.layer)) continue;
    const int pc = note.midi % 12;
    if (previous >= 0) bigrams.insert({previous, pc});
    previous = pc;
  }
  return bigrams;
}

inline double jaccard(const std::set<std::pair<int, int>>& a,
                      const std::set<std::pair<int, int>>& b) {
  if (a.empty() && b.empty()) return 1.0;
  std::size_t common = 0;
  for (const auto& x : a) common += b.count(x);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

// The phrase's pitched content (what a listener would call "the same phrase").
inline std::vector<std::int64_t> fingerprint(const Phrase& phrase) {
  std::vector<std::int64_t> out;
  for (const auto& note : phrase.notes) {
    if (!pitched(note.layer)) continue;
    out.push_back(static_cast<std::int64_t>(note.layer) * 1000000000LL +
                  static_cast<std::int64_t>(note.midi) * 1000000LL +
                  static_cast<std::int64_t>(note.onset_beats * 1000.0 + 0.5) * 100LL +
                  static_cast<std::int64_t>(note.duration_beats * 4.0 + 0.5));
  }
  return out;
}

// Pad pitches sounding at time t (seconds from the phrase start).
inline std::vector<int> pad_sounding_at(const Phrase& phrase, double t) {
  std::vector<int> out;
  for (const auto& note : phrase.notes) {
    if (note.layer == Layer::pad && note.onset_s <= t && t < note.onset_s + note.duration_s) {
      out.push_back(note.midi);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace auralis::music::testing
