#include "melody.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <optional>

#include "tables.hpp"

namespace auralis::music {
namespace {

// Scale degrees of the lead (mode or pentatonic) mapped to MIDI: degree 0 is the tonic in
// octave 3, so the lead range sits a few octaves up the ladder.
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
    for (int d = 0; d <= 6 * size(); ++d) {
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

// Degree walk for `count` notes starting at 0: mostly steps, and after a leap a step back.
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
      if (std::abs(degree + step) > tables::kCellMaxSpanDegrees) step = -step;
      degree += step;
      previous_step = step;
    }
    degrees.push_back(degree);
  }
  return degrees;
}

// Note lengths: up to the next onset (capped), now and then shorter (a detached note).
void set_lengths(Cell& cell, Rng& rng) {
  for (std::size_t i = 0; i < cell.notes.size(); ++i) {
    const int next = i + 1 < cell.notes.size() ? cell.notes[i + 1].slot : tables::kCellSlots;
    int length = std::min(next - cell.notes[i].slot, tables::kLeadMaxNoteSlots);
    if (length > 1 && rng.chance(tables::kStaccato)) length = std::max(1, length / 2);
    cell.notes[i].length_slots = std::max(1, length);
  }
}

Cell generate_cell(double density, double rest_bar, bool may_rest, Rng& rng) {
  Cell cell;
  for (int bar = 0; bar < 2; ++bar) {
    if (rng.chance(rest_bar)) continue;
    for (int s = 0; s < tables::kSlotsPerBar; ++s) {
      if (rng.chance(density * tables::kSlotWeights[static_cast<std::size_t>(s)])) {
        cell.notes.push_back({bar * tables::kSlotsPerBar + s, 1, 0});
      }
    }
  }
  if (cell.notes.empty() && !may_rest) cell.notes.push_back({0, 1, 0});
  const auto degrees = walk_degrees(cell.notes.size(), rng);
  for (std::size_t i = 0; i < cell.notes.size(); ++i) cell.notes[i].degree = degrees[i];
  set_lengths(cell, rng);
  return cell;
}

// A variation: a few notes a degree away, and maybe one rhythm change (a note moved an eighth,
// a long note split, or a note dropped).
Cell vary(const Cell& original, double per_note, double rhythm, Rng& rng) {
  Cell cell = original;
  for (std::size_t i = 1; i < cell.notes.size(); ++i) {
    if (rng.chance(per_note)) cell.notes[i].degree += rng.sign();
  }
  if (cell.notes.size() >= 2 && rng.chance(rhythm)) {
    const int kind = rng.uniform_int(0, 2);
    const auto i =
        static_cast<std::size_t>(rng.uniform_int(1, static_cast<int>(cell.notes.size()) - 1));
    if (kind == 0) {
      const int to = cell.notes[i].slot + rng.sign();
      const int lo = cell.notes[i - 1].slot;
      const int hi = i + 1 < cell.notes.size() ? cell.notes[i + 1].slot : tables::kCellSlots;
      if (to > lo && to < hi) cell.notes[i].slot = to;
    } else if (kind == 1) {
      const int next = i + 1 < cell.notes.size() ? cell.notes[i + 1].slot : tables::kCellSlots;
      if (next - cell.notes[i].slot >= 2) {
        CellNote extra = cell.notes[i];
        extra.slot += (next - cell.notes[i].slot) / 2;
        extra.degree += rng.sign();
        cell.notes.insert(cell.notes.begin() + static_cast<std::ptrdiff_t>(i) + 1, extra);
      }
    } else if (cell.notes.size() > 2) {
      cell.notes.erase(cell.notes.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  set_lengths(cell, rng);
  return cell;
}

// The memory's mutation: one inner note moved a degree where both steps around it keep their
// direction (the figure's contour and rhythm stay, an interval widens or narrows).
Cell mutate(const Cell& original, Rng& rng) {
  Cell cell = original;
  const int n = static_cast<int>(cell.notes.size());
  if (n < 3) return cell;
  const auto i = static_cast<std::size_t>(rng.uniform_int(1, n - 2));
  const int move = rng.sign();
  const int before = cell.notes[i].degree - cell.notes[i - 1].degree;
  const int after = cell.notes[i + 1].degree - cell.notes[i].degree;
  const auto sign = [](int x) { return (x > 0) - (x < 0); };
  if (before != 0 && after != 0 && sign(before + move) == sign(before) &&
      sign(after - move) == sign(after)) {
    cell.notes[i].degree += move;
  }
  return cell;
}

// Arch contour in degrees: 0 at the ends, `height` at `peak` (fraction of the phrase).
double arch_shape(double t, double peak) {
  const double u = t < peak ? (peak - t) / peak : (t - peak) / (1.0 - peak);
  return 1.0 - u * u;
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

// A remembered cell to recall: the phrase's main motif (its A) prefers the last phrase's cells
// (the line develops what was just heard), the others prefer old ones (at least
// kRecallMinAgePhrases: deja-vu).
const Cell* recall(const CellMemory& memory, std::uint64_t phrase, bool main_motif, Rng& rng) {
  if (memory.empty()) return nullptr;
  std::vector<double> weights;
  weights.reserve(memory.size());
  for (const auto& cell : memory) {
    const bool old = phrase >= cell.born_phrase + tables::kRecallMinAgePhrases;
    const bool last = phrase <= cell.born_phrase + 1;
    const double w_old = main_motif ? 1.0 : tables::kRecallOldWeight;
    const double w_last = main_motif ? tables::kRecallLastWeight : 1.0;
    weights.push_back(old ? w_old : (last ? w_last : 1.0));
  }
  return &memory[rng.pick_weighted(weights)];
}

// Phrase forms over the four cells: letter per cell, and whether it comes back varied.
struct Form {
  std::array<int, 4> letter;
  std::array<bool, 4> varied;
};
constexpr std::array<Form, 5> kForms = {{
    {{0, 0, 1, 0}, {false, true, false, true}},   // A A' B A''
    {{0, 1, 0, 2}, {false, false, true, false}},  // A B A' C
    {{0, 0, 1, 2}, {false, true, false, false}},  // A A' B C
    {{0, 1, 2, 0}, {false, false, false, true}},  // A B C A'
    {{0, 1, 0, 1}, {false, false, true, true}},   // A B A' B'
}};

struct Placed {
  int slot;
  int length;
  int degree;  // before the contour
  bool final;
  bool recalled;  // from the memory: only its first note seeks a chord tone
  int cell;       // which of the phrase's four cells
};

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

LeadPhrase compose_lead(const LeadSettings& settings, std::span<const ChordSpan> chords,
                        CellMemory& memory, Rng& rng) {
  LeadPhrase out;
  const bool sit_out = rng.chance(settings.sit_out);
  if (chords.empty() || (settings.may_sit_out && sit_out)) return out;

  const double density =
      std::clamp((tables::kLeadDensityBase + tables::kLeadDensityPerEnergy * settings.energy) *
                     settings.density_scale * (tables::kDensityScaleBase + settings.density),
                 0.05, 0.95);
  const double rest_bar = tables::kBarRestBase + tables::kBarRestPerCalm * (1.0 - settings.energy);
  const Ladder ladder(settings.tonic_pc, density < tables::kPentatonicBelowLeadDensity
                                             ? pentatonic_offsets(settings.mode)
                                             : mode_offsets(settings.mode));

  // The cells of the phrase's form: each letter is a remembered cell (mutated) or a new one.
  const Form& form = kForms[static_cast<std::size_t>(rng.uniform_int(0, kForms.size() - 1))];
  std::array<Cell, 3> letters;
  std::array<bool, 3> recalled{};
  for (int l = 0; l < 3; ++l) {
    const auto li = static_cast<std::size_t>(l);
    const Cell* old =
        rng.chance(settings.deja_vu) ? recall(memory, settings.phrase_index, l == 0, rng) : nullptr;
    if (old && !old->notes.empty()) {
      letters[li] = rng.chance(tables::kRecallMutation) ? mutate(*old, rng) : *old;
      recalled[li] = true;
    } else {
      letters[li] = generate_cell(density, rest_bar, l > 0, rng);
      letters[li].born_phrase = settings.phrase_index;
    }
  }

  std::array<Cell, 4> cells;
  std::array<bool, 4> cell_recalled{};
  for (int i = 0; i < 4; ++i) {
    const auto ii = static_cast<std::size_t>(i);
    const int letter = form.letter[ii];
    const Cell& base = letters[static_cast<std::size_t>(letter)];
    cells[ii] = form.varied[ii]
                    ? vary(base, tables::kVariationPerNote, tables::kRhythmVariation, rng)
                    : base;
    cell_recalled[ii] = recalled[static_cast<std::size_t>(letter)] && !form.varied[ii];
  }
  // Now and then the line enters after the downbeat, so not every phrase is struck at its join.
  // (A recalled figure keeps its rhythm.)
  if (!cells[0].notes.empty() && cells[0].notes.front().slot == 0 && !recalled[0] &&
      rng.chance(tables::kLateEntry)) {
    const int delay = rng.uniform_int(1, 3);
    for (auto& n : cells[0].notes) n.slot += delay;
    while (!cells[0].notes.empty() && cells[0].notes.back().slot >= tables::kCellSlots)
      cells[0].notes.pop_back();
    for (std::size_t k = 0; k + 1 < cells[0].notes.size(); ++k) {
      if (cells[0].notes[k + 1].slot <= cells[0].notes[k].slot)
        cells[0].notes[k + 1].slot = cells[0].notes[k].slot + 1;
    }
    while (!cells[0].notes.empty() && cells[0].notes.back().slot >= tables::kCellSlots)
      cells[0].notes.pop_back();
    set_lengths(cells[0], rng);
  }
  // The last cell ends long on a chord tone.
  {
    Cell& last = cells[3];
    if (last.notes.empty()) last.notes.push_back({0, 1, 0});
    last.notes.back().length_slots = tables::kCellSlots - last.notes.back().slot;
  }

  // Where the phrase sits: around the register centre, under an arch (a step per cell, so a
  // cell keeps its shape).
  const double centre = tables::kLeadCentreMidi +
                        tables::kLeadCentrePerBrightness * (settings.brightness - 0.5) +
                        settings.register_shift;
  const double peak = rng.uniform(tables::kArchPeakMin, tables::kArchPeakMax);
  const int height = rng.uniform_int(tables::kArchHeightMinDegrees, tables::kArchHeightMaxDegrees);
  const auto contour = [&](int slot) {
    const int cell_start = slot - slot % tables::kCellSlots;
    return static_cast<int>(std::lround(
        height * arch_shape(static_cast<double>(cell_start) / settings.phrase_slots, peak)));
  };

  // Each cell starts near where the last one ended, its first note on a tone of the chord; an
  // A' starts where its A did, moved to the chord.
  std::vector<Placed> placed;
  std::array<int, 3> letter_start{-1000, -1000, -1000};
  int last_degree = ladder.nearest(centre) - height / 2 + rng.uniform_int(-1, 1);
  std::array<std::size_t, 5> cell_first{};
  for (int i = 0; i < 4; ++i) {
    const Cell& cell = cells[static_cast<std::size_t>(i)];
    cell_first[static_cast<std::size_t>(i)] = placed.size();
    if (cell.notes.empty()) continue;
    const int offset = i * tables::kCellSlots;
    const int letter = form.letter[static_cast<std::size_t>(i)];
    const int first_slot = offset + cell.notes.front().slot;
    int start =
        letter_start[static_cast<std::size_t>(letter)] > -1000
            ? letter_start[static_cast<std::size_t>(letter)]
            : last_degree + rng.uniform_int(-tables::kCellJoinReach, tables::kCellJoinReach);
    // A recalled figure comes back at the pitch it was heard at when that is close by.
    if (letter_start[static_cast<std::size_t>(letter)] <= -1000 && cell.anchor_midi >= 0) {
      const int heard_at = ladder.nearest(cell.anchor_midi) - contour(first_slot);
      if (std::abs(heard_at - last_degree) <= 2 * tables::kCellJoinReach) start = heard_at;
    }
    const PcMask pcs = chord_at(chords, first_slot).pcs;
    for (int k = 0; k <= 3; ++k) {
      const int shifted = start + ((k % 2) ? -(k + 1) / 2 : k / 2);
      if (mask_has(pcs, ladder.midi(ladder.fold_into_range(shifted + contour(first_slot))))) {
        start = shifted;
        break;
      }
    }
    if (letter_start[static_cast<std::size_t>(letter)] <= -1000)
      letter_start[static_cast<std::size_t>(letter)] = start;
    for (const auto& n : cell.notes) {
      placed.push_back({offset + n.slot, n.length_slots, start + n.degree, false,
                        cell_recalled[static_cast<std::size_t>(i)], i});
    }
    last_degree = placed.back().degree;
  }
  cell_first[4] = placed.size();
  placed.back().final = true;

  // The degree a placed note sounds at (within the lead range), or none (a rest).
  const auto realise = [&](const Placed& p, bool strong_snap) -> std::optional<int> {
    int degree = ladder.fold_into_range(p.degree + contour(p.slot));
    const PcMask pcs = chord_at(chords, p.slot).pcs;
    const bool strong = p.slot % (tables::kSlotsPerBar / 2) == 0;
    const bool on_chord_tone = p.final || (strong && strong_snap);
    if (on_chord_tone) degree = snap_to_chord(ladder, degree, pcs, rng);
    if (clashes_over(ladder.midi(degree), p.slot, p.length, chords)) {
      // The nearest degree that clashes with nothing sounding under the note (a chord tone
      // again when the note had to be one); a rest when there is none.
      const int first_sign = rng.sign();
      const int reach = on_chord_tone ? ladder.size() : 3;
      for (int k = 1; k <= reach; ++k) {
        for (int sign : {first_sign, -first_sign}) {
          const int d = degree + sign * k;
          if (!ladder.in_range(d) || (on_chord_tone && !mask_has(pcs, ladder.midi(d)))) continue;
          if (!clashes_over(ladder.midi(d), p.slot, p.length, chords)) return d;
        }
      }
      return std::nullopt;
    }
    return degree;
  };

  // Velocity and timing as a player shapes them.
  const double base = tables::kLeadVelocityBase + tables::kLeadVelocityPerEnergy * settings.energy +
                      tables::kLeadVelocityPerIntensity * (settings.intensity - 0.5);
  const double rubato_phase = rng.uniform();
  const auto perform = [&](const Placed& p, int midi, double scale) {
    const double t = static_cast<double>(p.slot) / settings.phrase_slots;
    const bool strong = p.slot % (tables::kSlotsPerBar / 2) == 0;
    const double velocity =
        scale * (base + tables::kLeadVelocitySwell * (arch_shape(t, peak) - 0.5) +
                 (strong ? tables::kLeadVelocityAccent : 0.0) +
                 (p.length >= 3 ? tables::kLeadVelocityLong : 0.0) +
                 rng.uniform(-tables::kLeadVelocityJitter, tables::kLeadVelocityJitter));
    const double spread = rng.uniform(-1, 1) + rng.uniform(-1, 1) + rng.uniform(-1, 1);
    const double offset =
        tables::kLeadTimingSdS * spread +
        tables::kLeadRubatoS * std::sin(2.0 * std::numbers::pi * (t + rubato_phase));
    return LeadNote{p.slot, p.length, midi, static_cast<float>(std::clamp(velocity, 0.08, 1.0)),
                    offset};
  };

  // New cells go into the memory as they were heard (after the chord tones and clashes moved
  // their notes), so a recall brings back the figure the listener knows.
  std::array<std::vector<int>, 4> heard;
  for (const auto& p : placed) {
    const bool first_of_cell = &p == &placed[cell_first[static_cast<std::size_t>(p.cell)]];
    const bool snap = p.recalled ? first_of_cell : rng.chance(tables::kChordToneSnap);
    const auto degree = realise(p, snap);
    heard[static_cast<std::size_t>(p.cell)].push_back(degree ? *degree : -1000);
    if (degree) out.lead.push_back(perform(p, ladder.midi(*degree), 1.0));
  }
  for (int l = 0; l < 3; ++l) {
    if (recalled[static_cast<std::size_t>(l)]) continue;
    for (int i = 0; i < 4; ++i) {
      if (form.letter[static_cast<std::size_t>(i)] != l) continue;
      const auto& degrees = heard[static_cast<std::size_t>(i)];
      Cell cell = cells[static_cast<std::size_t>(i)];
      if (cell.notes.empty() || degrees.size() != cell.notes.size()) break;
      cell.born_phrase = settings.phrase_index;
      Cell kept;
      kept.born_phrase = settings.phrase_index;
      const int first = degrees.front();
      kept.anchor_midi = first > -1000 ? ladder.midi(first) : -1;
      for (std::size_t k = 0; k < cell.notes.size(); ++k) {
        if (degrees[k] <= -1000 || first <= -1000) continue;  // a rest now
        CellNote n = cell.notes[k];
        n.degree = degrees[k] - first;
        kept.notes.push_back(n);
      }
      if (i == 3 && !kept.notes.empty()) kept.notes.back().length_slots = 1;  // not the ending
      if (kept.notes.size() >= 2) {
        set_lengths(kept, rng);
        memory.push_front(kept);
      }
      break;
    }
  }
  while (memory.size() > tables::kCellMemory) memory.pop_back();

  // Counter-melody: a two-bar window where the lead rests answers with the cell before it, a
  // third or a sixth lower.
  if (settings.answers) {
    for (int i = 1; i < 4; ++i) {
      if (!cells[static_cast<std::size_t>(i)].notes.empty() ||
          cells[static_cast<std::size_t>(i - 1)].notes.empty() ||
          !rng.chance(tables::kAnswerChance)) {
        continue;
      }
      const int shift =
          tables::kAnswerShiftDegrees[static_cast<std::size_t>(rng.uniform_int(0, 1))];
      const std::size_t from = cell_first[static_cast<std::size_t>(i - 1)];
      const std::size_t to = cell_first[static_cast<std::size_t>(i)];
      for (std::size_t k = from; k < to; ++k) {
        Placed p = placed[k];
        p.slot += tables::kCellSlots;
        p.degree += shift;
        p.final = false;
        if (p.slot >= settings.phrase_slots) continue;
        if (const auto degree = realise(p, true)) {
          out.answer.push_back(perform(p, ladder.midi(*degree), tables::kAnswerVelocity));
        }
      }
    }
  }
  return out;
}

}  // namespace auralis::music
