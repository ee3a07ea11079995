// A job all the way to finished audio: engine -> dry stems -> Mixer -> interleaved stereo. The
// Mixer takes each window as soon as the engine has rendered it (Engine::render_windows), so
// with the CPU engine the dry stems go from one to the other through the cache, never memory.
#pragma once

#include <span>

#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"

namespace auralis::synthesis {

struct RenderMixTimes {
  double render_s = 0;  // wall time in the engine
  double mix_s = 0;     // wall time in the Mixer
};

// Renders `job` with `engine` and mixes it with `mixer` (which must be at job.start_frame)
// into `pcm` (2 * job.frames interleaved samples). `scratch` holds one window of stems.
RenderMixTimes render_and_mix(Engine& engine, const RenderJob& job, Mixer& mixer, Stems& scratch,
                              std::span<float> pcm);

}  // namespace auralis::synthesis
