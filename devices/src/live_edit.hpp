// A phrase's render job under live sound changes: brightness moves the Mixer's shift and the
// timbre of notes that start after the change; a layer switched off lets go of its notes
// sounding at the change (a 100 ms release) and drops those after it. Frames before the change
// never change, so audio already rendered stays continuous with what follows.
#pragma once

#include <cstdint>
#include <vector>

#include "auralis/music/params.hpp"
#include "auralis/music/score.hpp"
#include "auralis/synthesis/render_job.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::devices {

struct LiveJob {
  synthesis::RenderJob job;
  std::vector<float> base_timbre;      // per voice, as composed; NaN: left as it is
  music::SessionParams composed_with;  // the parameters the phrase was composed with
  music::SessionParams sound;          // the live sound parameters applied from the last edit

  // Places `phrase` (composed with `params`) on `timeline`, with a fresh composition id.
  static LiveJob place(synthesis::Timeline& timeline, const music::Phrase& phrase,
                       const music::SessionParams& params);
  // Applies `params`' brightness and layer switches from `from` on.
  void edit(std::int64_t from, const music::SessionParams& params);
  // After a re-plan: voices starting before `frame` are `old`'s (see synthesis::keep_voices).
  void keep_before(const synthesis::RenderJob& old, std::int64_t frame);
  // The transition at a re-plan's splice: held notes let go there fade within half a bar and
  // the new harmony's sustained notes struck there enter within a quarter bar, so a key change
  // is heard across the bar instead of the pad's slow crossfade of several seconds.
  void transition(std::int64_t splice_frame, double bar_s);
};

// The same edit on a timeline's carried voices (tails the next phrase will hold).
void edit_carried(synthesis::Timeline& timeline, std::int64_t from,
                  const music::SessionParams& params);

// Voices of `job` sounding in [from, from + frames), with its controls.
synthesis::RenderJob slice_job(const synthesis::RenderJob& job, std::int64_t from,
                               std::int64_t frames);

// Brightness and layer switches equal.
bool live_sound_equal(const music::SessionParams& a, const music::SessionParams& b);
// Anything the composer reads differs (brightness and layers too: they shape the harmony and
// which notes are composed).
bool musical_change(const music::SessionParams& a, const music::SessionParams& b);

}  // namespace auralis::devices
