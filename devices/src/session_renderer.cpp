#include "auralis/devices/session_renderer.hpp"

#include "auralis/synthesis/render_mix.hpp"

namespace auralis::devices {

SessionRenderer::SessionRenderer(const music::SessionParams& params) : composer_(params) {}

RenderedPhrase SessionRenderer::render_next(synthesis::Engine& engine, synthesis::Stems& scratch) {
  RenderedPhrase out;
  out.score = composer_.next();
  const synthesis::RenderJob job = timeline_.place(out.score);
  out.start_frame = job.start_frame;
  out.engine = std::string(engine.name());

  out.pcm.resize(static_cast<std::size_t>(job.frames) * 2);
  const auto times = synthesis::render_and_mix(engine, job, mixer_, scratch, out.pcm);
  out.render_seconds = times.render_s;
  out.mix_seconds = times.mix_s;
  return out;
}

}  // namespace auralis::devices
