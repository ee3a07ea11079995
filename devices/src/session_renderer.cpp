#include "auralis/devices/session_renderer.hpp"

#include <chrono>

namespace auralis::devices {
namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

SessionRenderer::SessionRenderer(const music::SessionParams& params) : composer_(params) {}

RenderedPhrase SessionRenderer::render_next(synthesis::Engine& engine, synthesis::Stems& scratch) {
  RenderedPhrase out;
  out.score = composer_.next();
  const synthesis::RenderJob job = timeline_.place(out.score);
  out.start_frame = job.start_frame;
  out.engine = std::string(engine.name());

  auto t0 = std::chrono::steady_clock::now();
  engine.render(job, scratch);
  out.render_seconds = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  out.pcm.resize(static_cast<std::size_t>(job.frames) * 2);
  mixer_.process(job, scratch, out.pcm);
  out.mix_seconds = seconds_since(t0);
  return out;
}

}  // namespace auralis::devices
