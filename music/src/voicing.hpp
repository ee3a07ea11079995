// Pad voice leading (enumerate voicings, pick a cheap one near the last) and the bass root.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "chords.hpp"
#include "rng.hpp"

namespace auralis::music {

struct Voicing {
  std::array<int, 5> midi{};  // ascending
  int count = 0;

  std::vector<int> to_vector() const { return {midi.begin(), midi.begin() + count}; }
  bool contains(int note) const;
  bool operator==(const Voicing& other) const;
};

// The chord's pitch classes a voicing of `voices` notes must include: all of them, less the
// fifth and then the root when there are more than voices (the bass has the root).
PcMask required_tones(const Chord& chord, int voices);

// Every voicing that meets the static constraints (range, neighbour spacing, low-register
// spacing, no forbidden interval between any two voices), cached by chord shape. A value: a
// copy of the composer copies its cache.
class VoicingCache {
 public:
  const std::vector<Voicing>& candidates(PcMask chord, PcMask required, int voices);

 private:
  std::unordered_map<std::uint32_t, std::vector<Voicing>> entries_;
};

// The cost of a voice-leading step (docs/music.md, "Voice leading"): motion over sorted voices,
// a penalty per large move, distance of the voicing's mean from `centre` (MIDI).
double voicing_cost(const Voicing& next, const Voicing& previous, double centre);

// Picks at random among the voicings within the minimum cost + slack. False when the chord
// has no voicing at all.
// `preferred` (when given and eligible) is taken instead of a random pick: a restated
// progression keeps its old voicing where the voice leading allows.
bool choose_voicing(VoicingCache& cache, const Chord& chord, int voices, const Voicing& previous,
                    Rng& rng, Voicing& out, const Voicing* preferred = nullptr,
                    double centre = 62.0);

// The chord root in the bass range nearest the last bass note.
int choose_bass(int root_pc, int last_bass_midi);

}  // namespace auralis::music
