#include "auralis/music/replan.hpp"

#include <algorithm>
#include <cmath>

namespace auralis::music {
namespace {

// Seconds from the start of a glide bar to `beats` into it while the tempo moves linearly (in
// beats) from t0 to t1 BPM: the integral of 60 / tempo.
double glide_seconds(double beats, double beats_per_bar, double t0, double t1) {
  if (std::fabs(t1 - t0) < 1e-9) return beats * 60.0 / t0;
  const double slope = (t1 - t0) / beats_per_bar;
  return 60.0 / slope * std::log((t0 + slope * beats) / t0);
}

// Maps a time of `fresh` (seconds from its start) onto the spliced phrase.
struct TimeMap {
  double splice_s;     // where bar `bar` starts in the spliced phrase (old timing)
  double fresh_bar_s;  // where it starts in `fresh`
  double spb;          // fresh's seconds per beat
  double bpb;          // beats per bar
  double t0, t1;       // tempo before and after
  double glide_s;      // duration of the glide bar

  double operator()(double fresh_s) const {
    const double beats = std::max(0.0, (fresh_s - fresh_bar_s) / spb);
    if (beats <= bpb) return splice_s + glide_seconds(beats, bpb, t0, t1);
    return splice_s + glide_s + (beats - bpb) * spb;
  }
};

bool sustained(Layer layer) {
  return layer == Layer::pad || layer == Layer::bass;
}

// An energy change ramps over the first two re-planned bars: the new notes start at the loudness
// of the old energy and reach their own by the end of the ramp (every layer's velocity moves
// about 0.2 per unit of energy, tables::k*VelocityPerEnergy).
constexpr int kEnergyRampBars = 2;
constexpr double kVelocityPerEnergy = 0.2;

void ramp_energy(std::vector<Note>& notes, std::size_t from, double ramp_start_s, double ramp_end_s,
                 double old_energy, double new_energy) {
  const double step = kVelocityPerEnergy * (old_energy - new_energy);
  if (std::fabs(step) < 1e-9 || ramp_end_s <= ramp_start_s) return;
  for (std::size_t i = from; i < notes.size(); ++i) {
    Note& n = notes[i];
    if (n.onset_s >= ramp_end_s) continue;
    const double t = std::clamp((n.onset_s - ramp_start_s) / (ramp_end_s - ramp_start_s), 0.0, 1.0);
    n.velocity = static_cast<float>(std::clamp(n.velocity + step * (1.0 - t), 0.02, 1.0));
  }
}

}  // namespace

BarTimes even_bar_times(const Phrase& phrase) {
  BarTimes t;
  const double bar_s = phrase.duration_s / std::max(1, phrase.bars);
  for (int b = 0; b <= phrase.bars; ++b) t.onset_s.push_back(b * bar_s);
  return t;
}

SplicedPhrase splice_phrase(const Phrase& old, const BarTimes& old_bars, const Phrase& fresh,
                            int bar) {
  bar = std::clamp(bar, 0, old.bars - 1);
  const double splice_s = old_bars.onset_s[static_cast<std::size_t>(bar)];
  const double bpb = fresh.beats_per_bar;
  // The tempo the old phrase plays just before the splice (its own, for a splice at bar 0).
  double t0 = old.tempo_bpm;
  if (bar > 0) {
    const double last_bar_s = splice_s - old_bars.onset_s[static_cast<std::size_t>(bar - 1)];
    if (last_bar_s > 0) t0 = 60.0 * bpb / last_bar_s;
  }
  const double t1 = fresh.tempo_bpm;
  const double spb = 60.0 / t1;
  const TimeMap map{splice_s, bar * bpb * spb, spb, bpb, t0, t1, glide_seconds(bpb, bpb, t0, t1)};

  SplicedPhrase out;
  Phrase& p = out.phrase;
  p = fresh;  // key, mode, tempo, shape and form of the new plan
  p.index = old.index;
  p.notes.clear();
  p.chords.clear();
  // The old bars: notes are sorted by onset, so those before the splice are a prefix and keep
  // their indices (synthesis derives each voice's phases from its note's index).
  for (const auto& n : old.notes) {
    if (n.onset_s >= splice_s) break;
    Note kept = n;
    kept.duration_s = std::min(kept.duration_s, splice_s - kept.onset_s);
    p.notes.push_back(kept);
  }
  const std::size_t kept = p.notes.size();
  const double fresh_splice_beats = bar * bpb;
  for (const auto& n : fresh.notes) {
    const double end_s = n.onset_s + n.duration_s;
    const bool before = n.onset_beats < fresh_splice_beats - 1e-9;
    if (before && !(sustained(n.layer) && end_s > map.fresh_bar_s + 1e-6)) continue;
    if (before) {
      // The same pitch already sounds across the splice: hold it on instead of striking it again.
      bool held = false;
      for (std::size_t i = 0; i < kept && !held; ++i) {
        const Note& o = old.notes[i];
        if (o.layer != n.layer || o.midi != n.midi || o.onset_s + o.duration_s < splice_s - 1e-6)
          continue;
        if (p.notes[i].duration_s < splice_s - o.onset_s - 1e-6) continue;  // already extended
        p.notes[i].duration_s = std::max(map(end_s) - o.onset_s, 1e-3);
        held = true;
      }
      if (held) continue;
    }
    Note moved = n;
    moved.tied = false;
    const double onset = before ? map.splice_s : map(n.onset_s);
    moved.onset_s = std::max(onset, splice_s);
    moved.duration_s = std::max(map(end_s) - moved.onset_s, 1e-3);
    if (before) {
      moved.onset_beats = fresh_splice_beats;
      moved.duration_beats = n.onset_beats + n.duration_beats - fresh_splice_beats;
    }
    p.notes.push_back(moved);
  }
  std::stable_sort(p.notes.begin() + static_cast<std::ptrdiff_t>(kept), p.notes.end(),
                   [](const Note& a, const Note& b) { return a.onset_s < b.onset_s; });

  for (const auto& c : old.chords)
    if (c.bar < bar) p.chords.push_back(c);
  for (std::size_t i = 0; i < fresh.chords.size(); ++i) {
    const auto& c = fresh.chords[i];
    const bool last_before =
        c.bar <= bar && (i + 1 == fresh.chords.size() || fresh.chords[i + 1].bar > bar);
    if (c.bar < bar && !last_before) continue;
    ChordEvent moved = c;
    if (c.bar < bar) {  // the new harmony sounding at the splice
      moved.bar = bar;
      moved.onset_beats = fresh_splice_beats;
    }
    moved.onset_s = map(moved.onset_beats * spb);
    p.chords.push_back(moved);
  }

  out.bars.onset_s.assign(old_bars.onset_s.begin(),
                          old_bars.onset_s.begin() + static_cast<std::ptrdiff_t>(bar) + 1);
  for (int b = bar + 1; b <= p.bars; ++b) out.bars.onset_s.push_back(map(b * bpb * spb));
  p.duration_s = out.bars.onset_s.back();
  const int ramp_end_bar = std::min(bar + kEnergyRampBars, p.bars);
  ramp_energy(p.notes, kept, splice_s, out.bars.onset_s[static_cast<std::size_t>(ramp_end_bar)],
              old.energy, fresh.energy);
  return out;
}

bool layer_switch_on(Layer layer, Instrument instrument, const LayerSwitches& switches) {
  switch (layer) {
    case Layer::pad:
      return switches.pad;
    case Layer::lead:
      return switches.lead;
    case Layer::bass:
      return switches.bass;
    case Layer::texture:
      return switches.texture;
    case Layer::kick:
    case Layer::brush:
      return switches.percussion;
    case Layer::ornament:
      return instrument == Instrument::shimmer ? switches.texture : switches.lead;
  }
  return true;
}

}  // namespace auralis::music
