// Renders a session offline as a render worker does (composer -> timeline -> engine windows ->
// Mixer) into a Listener, for the music report and the listening tests: one path, so the report's
// figures and the tests' targets are measured on the same audio.
#pragma once

#include <cstdint>
#include <functional>

#include "auralis/analysis/listener.hpp"
#include "auralis/music/params.hpp"
#include "auralis/music/score.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"

namespace auralis::analysis {

// What the renderer says after each phrase: the phrase, where it starts, the frames listened
// to before and after it, and the session's Mixer as the phrase left it.
struct RenderedPhrase {
  const music::Phrase& phrase;
  std::int64_t start_frame;
  std::int64_t done_before;
  std::int64_t done_after;
  const synthesis::Mixer& mixer;
};

// Renders `total_frames` of the session into `listener` (phrase joins marked). With `solo`, the
// kick and brush stems alone go through a second Mixer held at the full mix's master gain into
// `solo`: the percussion as loud as it is in the mix.
void render_session(const music::SessionParams& params, synthesis::Engine& engine,
                    std::int64_t total_frames, Listener& listener, Listener* solo = nullptr,
                    const std::function<void(const RenderedPhrase&)>& after_phrase = {});

}  // namespace auralis::analysis
