#include "form.hpp"

#include <algorithm>
#include <cmath>

#include "rng.hpp"
#include "tables.hpp"

namespace auralis::music {
namespace {

template <typename T>
T blend(const std::array<T, 4>& calm, const std::array<T, 4>& energetic, std::size_t c,
        double energy) {
  return calm[c] + (energetic[c] - calm[c]) * energy;
}

bool seen_within(const FormMemory& memory, int sections, std::initializer_list<Character> chars) {
  for (int i = 0; i < sections - 1 && i < static_cast<int>(memory.recent.size()); ++i) {
    for (Character c : chars) {
      if (memory.recent[static_cast<std::size_t>(i)] == static_cast<int>(c)) return true;
    }
  }
  return false;
}

Character next_character(const SessionParams& params, std::uint32_t index, const FormMemory& memory,
                         Rng& rng) {
  if (index == 0) return Character::song;  // a stream opens with the lead singing at 0 dB
  if (index + 1 >= static_cast<std::uint32_t>(tables::kDarkEverySections) &&
      !seen_within(memory, tables::kDarkEverySections, {Character::drift})) {
    return Character::drift;
  }
  std::array<double, 4> weights{};
  for (std::size_t c = 0; c < 4; ++c) {
    weights[c] =
        blend(tables::kCharacterWeightCalm, tables::kCharacterWeightEnergetic, c, params.energy);
  }
  if (index + 1 >= static_cast<std::uint32_t>(tables::kBrightEverySections) &&
      !seen_within(memory, tables::kBrightEverySections, {Character::open, Character::bloom})) {
    weights[static_cast<std::size_t>(Character::drift)] = 0;
    weights[static_cast<std::size_t>(Character::song)] = 0;
  }
  // After a quiet section an energetic session comes back to a full one (p = energy).
  const bool after_quiet = memory.recent[0] == static_cast<int>(Character::open) ||
                           memory.recent[0] == static_cast<int>(Character::drift);
  if (after_quiet && rng.chance(params.energy)) {
    weights[static_cast<std::size_t>(Character::open)] = 0;
    weights[static_cast<std::size_t>(Character::drift)] = 0;
  }
  if (memory.recent[0] >= 0) weights[static_cast<std::size_t>(memory.recent[0])] = 0;
  return static_cast<Character>(rng.pick_weighted(weights));
}

void shuffle_leads(FormMemory& memory, Rng& rng) {
  std::array<Instrument, 4> order = {Instrument::soft_lead, Instrument::electric_piano,
                                     Instrument::glass_bell, Instrument::pluck};
  const Instrument last = memory.lead_order[3];
  for (int i = 3; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(rng.uniform_int(0, i))]);
  if (order[0] == last && memory.lead_turn > 0) std::swap(order[0], order[1]);
  memory.lead_order = order;
}

}  // namespace

Section plan_section(const SessionParams& params, std::uint32_t index, double start_s,
                     double phrase_s, FormMemory& memory) {
  Rng rng = Rng::for_stream(params.seed, index, tables::kStreamForm);
  Section s;
  s.index = index;
  s.start_s = start_s;
  s.character = next_character(params, index, memory, rng);
  const std::size_t c = s.c();
  const double minutes = rng.uniform(tables::kSectionMinutesMin[c], tables::kSectionMinutesMax[c]);
  s.phrases = std::max(2, static_cast<int>(std::lround(minutes * 60.0 / phrase_s)));

  // Palette: the lead instruments take turns in a shuffled order (all four within four
  // sections); the ornaments play another of the struck instruments.
  if (memory.lead_turn % 4 == 0) shuffle_leads(memory, rng);
  s.lead = memory.lead_order[static_cast<std::size_t>(memory.lead_turn % 4)];
  ++memory.lead_turn;
  constexpr std::array<Instrument, 3> kStruck = {Instrument::glass_bell, Instrument::pluck,
                                                 Instrument::electric_piano};
  do {
    s.ornament = kStruck[static_cast<std::size_t>(rng.uniform_int(0, 2))];
  } while (s.ornament == s.lead);
  s.pad = rng.chance(tables::kStringPadChance[c]) ? Instrument::string_pad : Instrument::warm_pad;

  const auto& shifts = tables::kModeShifts[c];
  s.mode_shift = shifts[static_cast<std::size_t>(rng.uniform_int(0, 1))];
  s.tempo_offset_bpm =
      tables::kTempoOffsetBpm[c] + rng.uniform(-tables::kTempoJitterBpm, tables::kTempoJitterBpm);
  s.level_db = index == 0 ? tables::kFirstSectionLevelDb
                          : tables::kLevelDb[c] + tables::kLevelDbPerEnergy[c] * params.energy +
                                rng.uniform(-tables::kLevelJitterDb, tables::kLevelJitterDb);
  s.arc_peak = rng.uniform(tables::kArcPeakMin, tables::kArcPeakMax);

  for (std::size_t i = memory.recent.size() - 1; i > 0; --i)
    memory.recent[i] = memory.recent[i - 1];
  memory.recent[0] = static_cast<int>(s.character);
  return s;
}

PhraseShape shape_phrase(const SessionParams& params, const Section& section, int phrase) {
  const std::size_t c = section.c();
  const double u = (phrase + 0.5) / std::max(section.phrases, 1);
  const double peak = section.arc_peak;
  const double x = u < peak ? (peak - u) / peak : (u - peak) / (1.0 - peak);
  PhraseShape shape;
  shape.intensity = tables::kArcFloor + (1.0 - tables::kArcFloor) * (1.0 - x * x);
  const double swing = shape.intensity - 0.5;
  shape.energy = std::clamp(
      params.energy + tables::kEnergyOffset[c] + tables::kEnergyPerIntensity * swing, 0.0, 1.0);
  shape.brightness = std::clamp(
      params.brightness + tables::kBrightnessOffset[c] + tables::kBrightnessPerIntensity * swing,
      0.0, 1.0);
  // The first section opens at 0 dB and only its arc moves it, by half as much.
  const double arc_db = tables::kLevelPerIntensityDb * swing * (section.index == 0 ? 0.5 : 1.0);
  shape.level_db = section.level_db + arc_db;
  if (params.mode) {
    shape.mode = *params.mode;
  } else {
    const int base = static_cast<int>(mode_for_brightness(params.brightness));
    shape.mode =
        static_cast<Mode>(std::clamp(base + section.mode_shift, 0, static_cast<int>(Mode::lydian)));
  }
  shape.tempo_bpm = std::clamp(params.tempo_bpm + section.tempo_offset_bpm, tables::kTempoMinBpm,
                               tables::kTempoMaxBpm);
  return shape;
}

}  // namespace auralis::music
