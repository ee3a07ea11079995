#include "ornaments.hpp"

#include <algorithm>
#include <cmath>

#include "rng.hpp"
#include "tables.hpp"
#include "theory.hpp"

namespace auralis::music {
namespace {

// The pitch of pitch class `pc` nearest `target` inside [low, high].
int nearest_pitch(int pc, double target, int low, int high) {
  int best = -1;
  double best_distance = 1e9;
  for (int m = low; m <= high; ++m) {
    if (pitch_class(m) != pitch_class(pc)) continue;
    const double d = std::fabs(m - target);
    if (d < best_distance) {
      best_distance = d;
      best = m;
    }
  }
  return best;
}

// A note played at `onset_s` seconds into the phrase (off the beat grid: its beats follow the
// seconds).
Note timed_note(const PhraseClock& clock, Layer layer, Instrument instrument, int midi,
                double velocity, double onset_s, double duration_s) {
  Note n;
  n.layer = layer;
  n.instrument = instrument;
  n.midi = midi;
  n.velocity = static_cast<float>(std::clamp(velocity, 0.02, 1.0));
  n.onset_s = onset_s;
  n.duration_s = duration_s;
  n.onset_beats = onset_s / clock.seconds_per_beat();
  n.duration_beats = duration_s / clock.seconds_per_beat();
  return n;
}

// Loops fade in over the first part of their section and out over its last.
double section_fade(const Section& section, double phrase_s, double t_s) {
  const double length = section.phrases * phrase_s;
  const double u = std::clamp((t_s - section.start_s) / std::max(length, 1.0), 0.0, 1.0);
  const double in = std::min(1.0, u / tables::kLoopFadeFraction);
  const double out = std::min(1.0, (1.0 - u) / tables::kLoopFadeFraction);
  return std::clamp(std::min(in, out), tables::kLoopFadeFloor, 1.0);
}

}  // namespace

const ChordEvent& chord_at_time(const std::vector<ChordEvent>& chords, double t) {
  const ChordEvent* at = &chords.front();
  for (const auto& c : chords) {
    if (c.onset_s <= t + 1e-9) at = &c;
  }
  return *at;
}

std::vector<int> chord_tones(const ChordEvent& chord) {
  PcMask mask = pc_bit(chord.root_pc);
  for (int m : chord.pitches) mask = static_cast<PcMask>(mask | pc_bit(m));
  std::vector<int> tones;
  for (int i = 0; i < 12; ++i) {
    const int pc = pitch_class(chord.root_pc + i);
    if (mask_has(mask, pc)) tones.push_back(pc);
  }
  return tones;
}

std::vector<Loop> plan_loops(std::uint64_t seed, const Section& section, double brightness) {
  Rng rng = Rng::for_stream(seed, section.index, tables::kStreamLoops);
  std::vector<Loop> loops;
  const int count = tables::kLoops[section.c()];
  for (int k = 0; k < count; ++k) {
    Loop loop;
    // Periods apart from each other, so the loops drift against each other and the phrase.
    for (int attempt = 0; attempt < 16; ++attempt) {
      loop.period_s = rng.uniform(tables::kLoopPeriodMinS, tables::kLoopPeriodMaxS);
      const bool apart = std::all_of(loops.begin(), loops.end(), [&](const Loop& other) {
        return std::fabs(other.period_s - loop.period_s) >= tables::kLoopPeriodsApartS;
      });
      if (apart) break;
    }
    loop.phase_s = rng.uniform(0.0, loop.period_s);
    loop.notes = rng.uniform_int(1, tables::kLoopMaxNotes);
    double at = 0;
    for (int n = 0; n < loop.notes; ++n) {
      loop.offset_s[static_cast<std::size_t>(n)] = at;
      loop.tone[static_cast<std::size_t>(n)] = rng.uniform_int(0, 3);
      at += rng.uniform(tables::kLoopNoteGapMinS, tables::kLoopNoteGapMaxS);
    }
    loop.anchor_midi = static_cast<int>(std::lround(
        tables::kOrnamentCentreMidi + 8.0 * (brightness - 0.5) + rng.uniform(-5.0, 5.0)));
    loop.presence = rng.uniform(tables::kLoopPresenceMin, tables::kLoopPresenceMax);
    loop.velocity = rng.uniform(tables::kLoopVelocityMin, tables::kLoopVelocityMax);
    loops.push_back(loop);
  }
  return loops;
}

void add_loop_notes(const OrnamentContext& ctx, const std::vector<Loop>& loops,
                    std::vector<Note>& notes) {
  const Section& section = *ctx.section;
  const double phrase_s = ctx.clock.total_beats() * ctx.clock.seconds_per_beat();
  const double t0 = ctx.phrase_start_s, t1 = t0 + phrase_s;
  Rng rng = Rng::for_stream(ctx.seed, ctx.phrase_index, tables::kStreamOrnament);
  for (const Loop& loop : loops) {
    // Occurrences n with start + phase + n * period in [t0, t1).
    const double first = section.start_s + loop.phase_s;
    const double from = std::ceil((t0 - first) / loop.period_s);
    for (double n = std::max(0.0, from);; n += 1) {
      const double at = first + n * loop.period_s;
      if (at >= t1) break;
      const double sound = rng.uniform();
      const double level = rng.uniform(0.8, 1.2);
      if (at < t0 || sound >= loop.presence) continue;
      const double fade = section_fade(section, phrase_s, at);
      for (int k = 0; k < loop.notes; ++k) {
        const double onset = at - t0 + loop.offset_s[static_cast<std::size_t>(k)];
        if (onset >= phrase_s) break;
        const ChordEvent& chord = chord_at_time(*ctx.chords, onset);
        const auto tones = chord_tones(chord);
        const int pc =
            tones[static_cast<std::size_t>(loop.tone[static_cast<std::size_t>(k)]) % tones.size()];
        const int midi = nearest_pitch(pc, loop.anchor_midi, tables::kOrnamentLowMidi,
                                       tables::kOrnamentHighMidi);
        const double velocity = loop.velocity * level * fade * (0.75 + 0.5 * ctx.intensity);
        notes.push_back(timed_note(ctx.clock, Layer::ornament, section.ornament, midi, velocity,
                                   onset, tables::kLoopGateS));
      }
    }
  }
}

void add_random_events(const OrnamentContext& ctx, bool shimmer, bool air, EventClock& clock,
                       std::vector<Note>& notes) {
  const Section& section = *ctx.section;
  const std::size_t c = section.c();
  const double phrase_s = ctx.clock.total_beats() * ctx.clock.seconds_per_beat();
  const double t0 = ctx.phrase_start_s, t1 = t0 + phrase_s;
  const auto draw_gap = [&](double interval, Rng& rng) {
    return interval * rng.uniform(tables::kEventGapMin, tables::kEventGapMax);
  };
  // Shimmer: a chord of 1-3 tones of the harmony, entering one by one.
  const double shimmer_interval = tables::kShimmerIntervalS[c];
  if (clock.next_shimmer_s < 0) clock.next_shimmer_s = t0;
  if (shimmer_interval <= 0) clock.next_shimmer_s = std::max(clock.next_shimmer_s, t1);
  while (clock.next_shimmer_s < t1) {
    Rng rng = Rng::for_stream(ctx.seed, clock.drawn++, tables::kStreamEvents);
    const double at = clock.next_shimmer_s - t0;
    clock.next_shimmer_s += draw_gap(shimmer_interval, rng);
    if (!shimmer || at < 0) continue;
    const ChordEvent& chord = chord_at_time(*ctx.chords, at);
    const auto tones = chord_tones(chord);
    const int count = rng.uniform_int(1, tables::kShimmerMaxNotes);
    const double anchor = rng.uniform(tables::kShimmerLowMidi + 3, tables::kShimmerHighMidi - 3);
    const double velocity = rng.uniform(tables::kShimmerVelocityMin, tables::kShimmerVelocityMax);
    for (int k = 0; k < count; ++k) {
      // Root and fifth first (they sit under any melody), then the colour tones.
      const std::size_t pick =
          k == 0 ? 0
                 : (k == 1 && tones.size() > 2 ? tones.size() / 2
                                               : static_cast<std::size_t>(rng.uniform_int(
                                                     0, static_cast<int>(tones.size()) - 1)));
      const int midi = nearest_pitch(tones[pick], anchor + 4.0 * k, tables::kShimmerLowMidi,
                                     tables::kShimmerHighMidi);
      const double onset = at + rng.uniform(0.0, tables::kShimmerStaggerMaxS) * k;
      if (onset >= phrase_s) break;
      const double gate =
          std::max(2.5, std::min(rng.uniform(tables::kShimmerGateMinS, tables::kShimmerGateMaxS),
                                 phrase_s - onset));
      notes.push_back(timed_note(ctx.clock, Layer::ornament, Instrument::shimmer, midi,
                                 velocity * (0.8 + 0.3 * ctx.intensity), onset, gate));
    }
  }
  // Air: a breath of coloured noise.
  const double air_interval = tables::kAirIntervalS[c];
  if (clock.next_air_s < 0) clock.next_air_s = t0 + 0.5 * air_interval;
  while (clock.next_air_s < t1) {
    Rng rng = Rng::for_stream(ctx.seed, clock.drawn++, tables::kStreamEvents);
    const double at = clock.next_air_s - t0;
    clock.next_air_s += draw_gap(air_interval, rng);
    if (!air || at < 0) continue;
    notes.push_back(timed_note(ctx.clock, Layer::texture, Instrument::air, tables::kAirNominalMidi,
                               rng.uniform(tables::kAirVelocityMin, tables::kAirVelocityMax), at,
                               rng.uniform(tables::kAirGateMinS, tables::kAirGateMaxS)));
  }
}

}  // namespace auralis::music
