#include "auralis/synthesis/render_mix.hpp"

#include <chrono>
#include <stdexcept>

namespace auralis::synthesis {

RenderMixTimes render_and_mix(Engine& engine, const RenderJob& job, Mixer& mixer, Stems& scratch,
                              std::span<float> pcm, const std::atomic<bool>* cancelled) {
  if (pcm.size() < static_cast<std::size_t>(2 * job.frames))
    throw std::invalid_argument("render_and_mix: pcm holds fewer than 2 * job.frames samples");
  using Clock = std::chrono::steady_clock;
  RenderMixTimes times;
  Clock::duration mixing{};
  const auto t0 = Clock::now();
  // The Mixer reads only a window's place and controls, not its voices.
  RenderJob window;
  window.controls = job.controls;
  engine.render_windows(job, scratch,
                        [&](std::int64_t offset, std::int64_t frames, const Stems& stems) {
                          if (cancelled && cancelled->load(std::memory_order_relaxed))
                            throw RenderCancelled();
                          const auto m0 = Clock::now();
                          window.start_frame = job.start_frame + offset;
                          window.frames = frames;
                          mixer.process(window, stems,
                                        pcm.subspan(static_cast<std::size_t>(2 * offset),
                                                    static_cast<std::size_t>(2 * frames)));
                          mixing += Clock::now() - m0;
                        });
  times.mix_s = std::chrono::duration<double>(mixing).count();
  times.render_s = std::chrono::duration<double>(Clock::now() - t0).count() - times.mix_s;
  return times;
}

}  // namespace auralis::synthesis
