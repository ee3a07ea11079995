#include "voicing.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>

#include "tables.hpp"

namespace auralis::music {
namespace {

bool forbidden_interval(int semitones) {
  for (int f : tables::kPadForbiddenIntervals) {
    if (semitones == f) return true;
  }
  return false;
}

struct Enumerator {
  std::vector<int> notes;  // candidate pitches, ascending
  PcMask required = 0;
  int voices = 0;
  Voicing current;
  std::vector<Voicing>* out = nullptr;

  void run(std::size_t from) {
    if (current.count == voices) {
      PcMask covered = 0;
      for (int i = 0; i < current.count; ++i)
        covered |= pc_bit(current.midi[static_cast<std::size_t>(i)]);
      if ((covered & required) == required) out->push_back(current);
      return;
    }
    for (std::size_t i = from; i < notes.size(); ++i) {
      const int note = notes[i];
      if (current.count > 0) {
        const int low = current.midi[static_cast<std::size_t>(current.count - 1)];
        const int gap = note - low;
        if (gap > tables::kNeighbourMaxSemitones) break;  // ascending: later notes only wider
        if (gap < tables::kNeighbourMinSemitones) continue;
        if (low < tables::kLowRegisterMidi && gap < tables::kLowRegisterMinSemitones) continue;
        bool clash = false;
        for (int v = 0; v < current.count && !clash; ++v) {
          clash = forbidden_interval(note - current.midi[static_cast<std::size_t>(v)]);
        }
        if (clash) continue;
      }
      current.midi[static_cast<std::size_t>(current.count++)] = note;
      run(i + 1);
      --current.count;
    }
  }
};

}  // namespace

bool Voicing::contains(int note) const {
  for (int i = 0; i < count; ++i) {
    if (midi[static_cast<std::size_t>(i)] == note) return true;
  }
  return false;
}

bool Voicing::operator==(const Voicing& other) const {
  if (count != other.count) return false;
  for (int i = 0; i < count; ++i) {
    if (midi[static_cast<std::size_t>(i)] != other.midi[static_cast<std::size_t>(i)]) return false;
  }
  return true;
}

PcMask required_tones(const Chord& chord, int voices) {
  PcMask mask = chord.pcs();
  if (std::popcount(static_cast<unsigned>(mask)) > voices && chord.fifth_pc() >= 0) {
    mask = static_cast<PcMask>(mask & ~pc_bit(chord.fifth_pc()));
  }
  if (std::popcount(static_cast<unsigned>(mask)) > voices) {
    mask = static_cast<PcMask>(mask & ~pc_bit(chord.root_pc));
  }
  return mask;
}

const std::vector<Voicing>& VoicingCache::candidates(PcMask chord, PcMask required, int voices) {
  const std::uint32_t key = static_cast<std::uint32_t>(chord) |
                            (static_cast<std::uint32_t>(required) << 12) |
                            (static_cast<std::uint32_t>(voices) << 24);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  std::vector<Voicing> found;
  if (std::popcount(static_cast<unsigned>(required)) <= voices) {
    Enumerator e;
    for (int m = tables::kPadLowMidi; m <= tables::kPadHighMidi; ++m) {
      if (mask_has(chord, m)) e.notes.push_back(m);
    }
    e.required = required;
    e.voices = voices;
    e.out = &found;
    e.run(0);
  }
  return entries_.emplace(key, std::move(found)).first->second;
}

double voicing_cost(const Voicing& next, const Voicing& previous, double centre) {
  double cost = 0;
  double sum = 0;
  for (int i = 0; i < next.count; ++i) sum += next.midi[static_cast<std::size_t>(i)];
  const double mean = next.count > 0 ? sum / next.count : centre;
  cost += tables::kPadCentreWeight * std::abs(mean - centre);
  if (previous.count == 0) return cost;
  for (int i = 0; i < next.count; ++i) {
    const int n = next.midi[static_cast<std::size_t>(i)];
    int move = 0;
    if (previous.count == next.count) {
      move = std::abs(n - previous.midi[static_cast<std::size_t>(i)]);
    } else {
      // Different voice counts: each new voice moves from the nearest old one.
      move = 1000;
      for (int j = 0; j < previous.count; ++j) {
        move = std::min(move, std::abs(n - previous.midi[static_cast<std::size_t>(j)]));
      }
    }
    cost += move;
    if (move > tables::kLargeMoveSemitones) cost += tables::kLargeMovePenalty;
  }
  return cost;
}

bool choose_voicing(VoicingCache& cache, const Chord& chord, int voices, const Voicing& previous,
                    Rng& rng, Voicing& out, const Voicing* preferred, double centre) {
  const auto& all = cache.candidates(chord.pcs(), required_tones(chord, voices), voices);
  if (all.empty()) return false;
  // The same operations in the same order on every IEEE-754 machine: ties break identically.
  double best = 1e300;
  for (const auto& v : all) best = std::min(best, voicing_cost(v, previous, centre));
  const double limit = best + tables::kVoicingCostSlack;
  if (preferred != nullptr && preferred->count == voices &&
      std::find(all.begin(), all.end(), *preferred) != all.end() &&
      voicing_cost(*preferred, previous, centre) <= limit) {
    out = *preferred;
    return true;
  }
  int eligible = 0;
  for (const auto& v : all) eligible += voicing_cost(v, previous, centre) <= limit ? 1 : 0;
  int pick = rng.uniform_int(0, eligible - 1);
  for (const auto& v : all) {
    if (voicing_cost(v, previous, centre) <= limit && pick-- == 0) {
      out = v;
      return true;
    }
  }
  out = all.front();
  return true;
}

int choose_bass(int root_pc, int last_bass_midi) {
  int best = -1;
  for (int m = tables::kBassLowMidi; m <= tables::kBassHighMidi; ++m) {
    if (pitch_class(m) != pitch_class(root_pc)) continue;
    if (best < 0 || std::abs(m - last_bass_midi) < std::abs(best - last_bass_midi)) best = m;
  }
  return best;
}

}  // namespace auralis::music
