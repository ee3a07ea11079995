// A job all the way to finished audio: engine -> dry stems -> Mixer -> interleaved stereo. The
// Mixer takes each window as soon as the engine has rendered it (Engine::render_windows), so
// with the CPU engine the dry stems go from one to the other through the cache, never memory.
#pragma once

#include <atomic>
#include <span>
#include <stdexcept>

#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"

namespace auralis::synthesis {

struct RenderMixTimes {
  double render_s = 0;  // wall time in the engine
  double mix_s = 0;     // wall time in the Mixer
};

// Renders `job` with `engine` and mixes it with `mixer` (which must be at job.start_frame)
// into `pcm` (2 * job.frames interleaved samples). `scratch` holds one window of stems. Once
// `cancelled` (if given) is set, it stops after the window in hand and throws RenderCancelled
// (the Mixer is then part-way through the job: use a copy of it, or drop it).
struct RenderCancelled : std::runtime_error {
  RenderCancelled() : std::runtime_error("cancelled") {}
};
RenderMixTimes render_and_mix(Engine& engine, const RenderJob& job, Mixer& mixer, Stems& scratch,
                              std::span<float> pcm, const std::atomic<bool>* cancelled = nullptr);

}  // namespace auralis::synthesis
