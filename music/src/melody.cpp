#include "melody.hpp"

#include <algorithm>
#include <cstdlib>

#include "tables.hpp"

namespace auralis::music {
namespace {

// Scale degrees of the lead (mode or pentatonic) mapped to MIDI: degree 0 is the tonic in
// octave 3, so the lead range sits around degrees n..3n.
class Ladder {
 public:
  Ladder(int tonic_pc, std::vector<int> offsets)
      : base_(48 + tonic_pc), offsets_(std::move(offsets)) {}

  int size() const { return static_cast<int>(offsets_.size()); }
  int midi(int degree) const {
    const int n = size();
    const int octave = degree >= 0 ? degree / n : -((-degree + n - 1) / n);
    const int index = degree - octave * n;
    return base_ + 12 * octave + offsets_[static_cast<std::size_t>(index)];
  }
  int nearest(double target_midi) const {
    int best = 0;
    double best_distance = 1e9;
    for (int d = 0; d <= 5 * size(); ++d) {
      const double distance = std::abs(midi(d) - target_midi);
      if (distance < best_distance) {
        best_distance = distance;
        best = d;
      }
    }
    return best;
  }
  int fold_into_range(int degree) const {
    while (midi(degree) > tables::kLeadHighMidi) degree -= size();
    while (midi(degree) < tables::kLeadLowMidi) degree += size();
    return degree;
  }
  bool in_range(int degree) const {
    const int m = midi(degree);
    return m >= tables::kLeadLowMidi && m <= tables::kLeadHighMidi;
  }

 private:
  int base_;
  std::vector<int> offsets_;
};

int sample_step(Rng& rng) {
  // Outcomes: 0, then +size/-size for each non-zero size.
  std::array<double, 2 * tables::kStepSizes.size() - 1> weights{};
  weights[0] = tables::kStepWeights[0];
  for (std::size_t i = 1; i < tables::kStepSizes.size(); ++i) {
    weights[2 * i - 1] = tables::kStepWeights[i];
    weights[2 * i] = tables::kStepWeights[i];
  }
  const std::size_t k = rng.pick_weighted(weights);
  if (k == 0) return 0;
  const int size = tables::kStepSizes[(k + 1) / 2];
  return k % 2 == 1 ? size : -size;
}

// Degree walk for `count` notes starting at 0: steps by MUSIC.md's table, and after a leap a
// step back (gap fill).
std::vector<int> walk_degrees(std::size_t count, Rng& rng) {
  std::vector<int> degrees;
  degrees.reserve(count);
  int degree = 0;
  int previous_step = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) {
      int step;
      if (std::abs(previous_step) >= tables::kLeapDegrees &&
          rng.chance(tables::kStepBackAfterLeap)) {
        step = (previous_step > 0 ? -1 : 1) * (rng.chance(tables::kStepBackBySecond) ? 1 : 2);
      } else {
        step = sample_step(rng);
      }
      if (std::abs(degree + step) > tables::kMotifMaxSpanDegrees) step = -step;
      degree += step;
      previous_step = step;
    }
    degrees.push_back(degree);
  }
  return degrees;
}

Motif generate_motif(double density, double rest_bar, Rng& rng) {
  constexpr int kMotifSlots = 2 * tables::kSlotsPerBar;
  Motif motif;
  for (int bar = 0; bar < 2; ++bar) {
    if (rng.chance(rest_bar)) continue;
    for (int s = 0; s < tables::kSlotsPerBar; ++s) {
      if (rng.chance(density * tables::kSlotWeights[static_cast<std::size_t>(s)])) {
        motif.notes.push_back({bar * tables::kSlotsPerBar + s, 1, 0});
      }
    }
  }
  if (motif.notes.empty()) motif.notes.push_back({0, 1, 0});
  const auto degrees = walk_degrees(motif.notes.size(), rng);
  for (std::size_t i = 0; i < motif.notes.size(); ++i) {
    auto& note = motif.notes[i];
    note.degree = degrees[i];
    const int next_slot = i + 1 < motif.notes.size() ? motif.notes[i + 1].slot : kMotifSlots;
    note.length_slots = std::min(next_slot - note.slot, tables::kLeadMaxNoteSlots);
  }
  return motif;
}

// Arch contour in degrees: 0 at the ends, `height` at `peak` (fraction of the phrase).
int arch(double t, double peak, int height) {
  double shape;
  if (t < peak) {
    const double u = (peak - t) / peak;
    shape = 1.0 - u * u;
  } else {
    const double u = (t - peak) / (1.0 - peak);
    shape = 1.0 - u * u;
  }
  return static_cast<int>(height * shape + 0.5);
}

const ChordSpan& chord_at(std::span<const ChordSpan> chords, int slot) {
  for (const auto& c : chords) {
    if (slot >= c.start_slot && slot < c.end_slot) return c;
  }
  return chords.back();
}

bool clashes_over(int midi, int slot, int length, std::span<const ChordSpan> chords) {
  for (const auto& c : chords) {
    if (c.end_slot <= slot || c.start_slot >= slot + length) continue;
    if (clashes_with_pad(midi, c.voicing)) return true;
  }
  return false;
}

// Nearest degree (within the lead range) that is a tone of `pcs`; `degree` itself when none.
int snap_to_chord(const Ladder& ladder, int degree, PcMask pcs, Rng& rng) {
  const int first_sign = rng.sign();
  for (int k = 0; k <= ladder.size(); ++k) {
    for (int sign : {first_sign, -first_sign}) {
      const int d = degree + sign * k;
      if (ladder.in_range(d) && mask_has(pcs, ladder.midi(d))) return d;
      if (k == 0) break;
    }
  }
  return degree;
}

constexpr int kCadenceDelaySlots = tables::kSlotsPerBar / 4;  // one beat

struct Placed {
  int slot;
  int length;
  int degree;  // before contour
  bool final;
};

void place(const Motif& motif, int offset_slots, int shift, std::vector<Placed>& out) {
  for (const auto& n : motif.notes) {
    out.push_back({offset_slots + n.slot, n.length_slots, n.degree + shift, false});
  }
}

}  // namespace

bool clashes_with_pad(int midi, const Voicing& pad) {
  for (int i = 0; i < pad.count; ++i) {
    const int interval = std::abs(midi - pad.midi[static_cast<std::size_t>(i)]) % 12;
    if (interval == 1 || interval == 6) {
      // A semitone below the octave of a lower voice (a major seventh above it) is colour.
      const bool major_seventh_above = midi > pad.midi[static_cast<std::size_t>(i)] &&
                                       (midi - pad.midi[static_cast<std::size_t>(i)]) % 12 == 11;
      if (!major_seventh_above) return true;
    }
  }
  return false;
}

std::vector<LeadNote> compose_lead(const LeadSettings& settings, std::span<const ChordSpan> chords,
                                   std::deque<Motif>& memory, Rng& rng) {
  std::vector<LeadNote> lead;
  const bool sit_out = rng.chance(tables::kSitOutPhrase);
  if (chords.empty() || (settings.may_sit_out && sit_out)) return lead;

  const double density =
      std::clamp((tables::kLeadDensityBase + tables::kLeadDensityPerEnergy * settings.energy) *
                     (tables::kDensityScaleBase + settings.density),
                 0.0, 1.0);
  const double rest_bar = tables::kBarRestBase + tables::kBarRestPerCalm * (1.0 - settings.energy);
  const double reuse = tables::kMotifReuseCalm +
                       (tables::kMotifReuseEnergetic - tables::kMotifReuseCalm) * settings.energy;
  const Ladder ladder(settings.tonic_pc, density < tables::kPentatonicBelowLeadDensity
                                             ? pentatonic_offsets(settings.mode)
                                             : mode_offsets(settings.mode));

  // The phrase's motif: one of the last few (at its old pitch and arch), or a new one.
  Motif motif;
  bool reused = false;
  if (!memory.empty() && (rng.chance(reuse) || settings.echo_newest)) {
    const auto pick = settings.echo_newest
                          ? std::size_t{0}
                          : rng.pick_weighted(std::span<const double>(
                                tables::kMotifRecencyWeights.data(), memory.size()));
    motif = memory[pick];
    memory.erase(memory.begin() + static_cast<std::ptrdiff_t>(pick));
    reused = motif.anchor_midi >= 0;
  } else {
    motif = generate_motif(density, rest_bar, rng);
  }
  if (!reused) {
    motif.arch_peak = rng.uniform(tables::kArchPeakMin, tables::kArchPeakMax);
    motif.arch_height_degrees =
        rng.uniform_int(tables::kArchHeightMinDegrees, tables::kArchHeightMaxDegrees);
    const double centre_midi =
        tables::kLeadCentreMidi + tables::kLeadCentrePerBrightness * settings.brightness;
    const int start_degree =
        ladder.nearest(centre_midi) - motif.arch_height_degrees / 2 + rng.uniform_int(-1, 1);
    motif.anchor_midi = ladder.midi(start_degree);
  }
  memory.push_front(motif);
  while (memory.size() > tables::kMotifMemory) memory.pop_back();

  const int section = 2 * tables::kSlotsPerBar;
  const double peak = motif.arch_peak;
  const int height = motif.arch_height_degrees;
  const int start = ladder.nearest(motif.anchor_midi);
  const auto contour = [&](int slot) {
    return arch(static_cast<double>(slot) / settings.phrase_slots, peak, height);
  };

  std::vector<Placed> placed;
  // Bars 1-2: the motif.
  place(motif, 0, 0, placed);
  // Bars 3-4: the motif moved so its first note lands on a tone of the chord there.
  {
    const auto& first = motif.notes.front();
    const int slot = section + first.slot;
    const PcMask pcs = chord_at(chords, slot).pcs;
    int shift = 0;
    const int first_sign = rng.sign();
    for (int k = 0; k <= 3; ++k) {
      bool found = false;
      for (int sign : {first_sign, -first_sign}) {
        const int s = sign * k;
        if (mask_has(pcs, ladder.midi(start + first.degree + s + contour(slot)))) {
          shift = s;
          found = true;
          break;
        }
      }
      if (found) break;
    }
    place(motif, section, shift, placed);
  }
  // Bars 5-6: contrast or inversion; an echoing (consequent) phrase always answers with new
  // material, so it never repeats its antecedent.
  if (rng.chance(tables::kContrastNotInversion) || settings.echo_newest) {
    place(generate_motif(density, rest_bar, rng), 2 * section, 0, placed);
  } else {
    Motif inverted = motif;
    for (auto& n : inverted.notes) n.degree = -n.degree;
    place(inverted, 2 * section, 0, placed);
  }
  // Bars 7-8: the motif varied, ending long on a chord tone.
  {
    Motif varied = motif;
    for (std::size_t i = 1; i < varied.notes.size(); ++i) {
      if (rng.chance(tables::kVariationPerNote)) varied.notes[i].degree += rng.sign();
    }
    auto& last = varied.notes.back();
    if (settings.echo_newest) {
      // The answer holds back its cadence by a beat (or lands a beat early near the end).
      const int previous_slot =
          varied.notes.size() > 1 ? varied.notes[varied.notes.size() - 2].slot : -1;
      if (last.slot + kCadenceDelaySlots < section) {
        last.slot += kCadenceDelaySlots;
      } else if (last.slot - kCadenceDelaySlots > previous_slot) {
        last.slot -= kCadenceDelaySlots;
      }
      if (varied.notes.size() > 1) {
        auto& before = varied.notes[varied.notes.size() - 2];
        before.length_slots = std::min(last.slot - before.slot, tables::kLeadMaxNoteSlots);
      }
    }
    last.length_slots = section - last.slot;
    place(varied, 3 * section, 0, placed);
    placed.back().final = true;
  }

  const double velocity_base =
      tables::kLeadVelocityBase + tables::kLeadVelocityPerEnergy * settings.energy;
  for (const auto& p : placed) {
    int degree = ladder.fold_into_range(start + p.degree + contour(p.slot));
    const PcMask pcs = chord_at(chords, p.slot).pcs;
    const bool strong = p.slot % (tables::kSlotsPerBar / 2) == 0;
    const bool on_chord_tone = p.final || (strong && rng.chance(tables::kChordToneSnap));
    if (on_chord_tone) degree = snap_to_chord(ladder, degree, pcs, rng);
    if (clashes_over(ladder.midi(degree), p.slot, p.length, chords)) {
      // Resample: the nearest degree that clashes with nothing sounding under the note (a
      // chord tone again when the note had to be one).
      bool found = false;
      const int first_sign = rng.sign();
      const int reach = on_chord_tone ? ladder.size() : 3;
      for (int k = 1; k <= reach && !found; ++k) {
        for (int sign : {first_sign, -first_sign}) {
          const int d = degree + sign * k;
          if (!ladder.in_range(d) || (on_chord_tone && !mask_has(pcs, ladder.midi(d)))) continue;
          if (!clashes_over(ladder.midi(d), p.slot, p.length, chords)) {
            degree = d;
            found = true;
            break;
          }
        }
      }
      if (!found) continue;  // no consonant choice: leave a rest
    }
    const double velocity = velocity_base + (strong ? tables::kLeadVelocityAccent : 0.0) +
                            rng.uniform(-tables::kLeadVelocityJitter, tables::kLeadVelocityJitter);
    lead.push_back({p.slot, p.length, ladder.midi(degree),
                    static_cast<float>(std::clamp(velocity, 0.05, 1.0))});
  }
  return lead;
}

}  // namespace auralis::music
