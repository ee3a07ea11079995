// Re-planning a phrase from a bar: a parameter change (key, mode, tempo, energy, ...) is heard
// from the next bar instead of the next phrase. The bars before `bar` stay as they were (their
// notes keep their order, so synthesis keeps their voices), the rest comes from a phrase composed
// with the new parameters, with the tempo gliding from the old to the new one over the first
// re-planned bar.
#pragma once

#include <vector>

#include "auralis/music/params.hpp"
#include "auralis/music/score.hpp"

namespace auralis::music {

// Onset of each bar of `phrase` in seconds from its start, plus its end (bars + 1 values): even
// for a phrase as composed, uneven across a tempo glide.
struct BarTimes {
  std::vector<double> onset_s;
};
BarTimes even_bar_times(const Phrase& phrase);

struct SplicedPhrase {
  Phrase phrase;
  BarTimes bars;
};

// `old` (with its bar times) up to `bar`, then `fresh` (composed from the same point with the new
// parameters) from its bar `bar` on. Notes of `old` still sounding at the splice are let go
// there (their release follows); notes of `fresh` held across the splice are struck again on it
// (pad and bass, so the new harmony sounds at once). An energy change ramps over two bars: the
// new notes' velocities move from the old energy's loudness to their own. 0 <= bar < old.bars.
SplicedPhrase splice_phrase(const Phrase& old, const BarTimes& old_bars, const Phrase& fresh,
                            int bar);

// Which session switch mutes a note of `layer` played on `instrument` (the composer's own
// gating: the shimmer rides on the ornament layer but belongs to the texture).
bool layer_switch_on(Layer layer, Instrument instrument, const LayerSwitches& switches);

}  // namespace auralis::music
