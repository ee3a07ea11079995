#include "rhythm.hpp"

#include <algorithm>
#include <array>

#include "tables.hpp"

namespace auralis::music {
namespace {

// A percussion hit: timing jitter in seconds, velocity jitter relative.
Note make_hit(const PhraseClock& clock, Layer layer, int midi, double velocity, double onset_beats,
              double duration_s, Rng& rng) {
  const double spb = clock.seconds_per_beat();
  Note note;
  note.layer = layer;
  note.instrument = layer == Layer::kick ? Instrument::kick : Instrument::brush;
  note.voice = 0;
  note.midi = midi;
  const double jittered =
      velocity * (1.0 + rng.uniform(-tables::kVelocityJitter, tables::kVelocityJitter));
  note.velocity = static_cast<float>(std::clamp(jittered, 0.02, 1.0));
  note.onset_s = std::max(
      0.0, onset_beats * spb + rng.uniform(-tables::kTimingJitterS, tables::kTimingJitterS));
  note.duration_s = duration_s;
  note.onset_beats = onset_beats;  // as written; the jitter is the performance
  note.duration_beats = duration_s / spb;
  return note;
}

}  // namespace

Note make_note(const PhraseClock& clock, Layer layer, Instrument instrument, int voice, int midi,
               double velocity, double onset_beats, double duration_beats) {
  const double spb = clock.seconds_per_beat();
  Note note;
  note.layer = layer;
  note.instrument = instrument;
  note.voice = static_cast<std::uint8_t>(voice);
  note.midi = midi;
  note.velocity = static_cast<float>(velocity);
  note.onset_beats = onset_beats;
  note.duration_beats = duration_beats;
  note.onset_s = onset_beats * spb;
  note.duration_s = duration_beats * spb;
  return note;
}

void add_percussion(const PhraseClock& clock, double energy, double density, Rng& rng,
                    std::vector<Note>& notes) {
  if (energy <= tables::kPercussionAboveEnergy) return;
  const double intensity =
      (energy - tables::kPercussionAboveEnergy) / (1.0 - tables::kPercussionAboveEnergy);

  // One groove per phrase (which eighths carry a hit), varied a little bar by bar.
  std::array<bool, 8> kick{};
  std::array<bool, 8> brush{};
  kick[0] = rng.chance(tables::kKickDownbeatBase + (1.0 - tables::kKickDownbeatBase) * intensity);
  kick[4] = rng.chance(tables::kKickBeatThreePerIntensity * intensity);
  kick[7] = rng.chance(tables::kKickPickupPerIntensity * intensity);
  const double brush_scale =
      (tables::kBrushChanceBase + tables::kBrushChancePerIntensity * intensity) *
      (tables::kDensityScaleBase + density);
  for (std::size_t s = 0; s < brush.size(); ++s) {
    brush[s] = rng.chance(std::min(1.0, brush_scale * tables::kBrushSlotWeights[s]));
  }
  const double kick_velocity =
      tables::kKickVelocityBase + tables::kKickVelocityPerIntensity * intensity;
  const double brush_velocity =
      tables::kBrushVelocityBase + tables::kBrushVelocityPerIntensity * intensity;
  for (int bar = 0; bar < clock.bars; ++bar) {
    for (std::size_t s = 0; s < 8; ++s) {
      const double beat = bar * clock.beats_per_bar + 0.5 * static_cast<double>(s);
      const bool accent = s == 0;
      if (kick[s] && !rng.chance(tables::kPercussionHitDrop)) {
        notes.push_back(make_hit(clock, Layer::kick, tables::kKickNominalMidi,
                                 kick_velocity * (accent ? 1.0 : tables::kKickOffAccentLevel), beat,
                                 tables::kKickDurationS, rng));
      }
      if (brush[s] && !rng.chance(tables::kPercussionHitDrop)) {
        notes.push_back(make_hit(clock, Layer::brush, tables::kBrushNominalMidi,
                                 brush_velocity * (s % 2 == 0 ? 1.0 : tables::kBrushOffbeatLevel),
                                 beat, tables::kBrushDurationS, rng));
      }
    }
  }
}

}  // namespace auralis::music
