#include "auralis/synthesis/engine.hpp"

#include <stdexcept>

namespace auralis::synthesis {

void Engine::render_batch(std::span<const RenderJob* const> jobs, std::span<Stems* const> outs) {
  if (jobs.size() != outs.size()) {
    throw std::invalid_argument("Engine::render_batch: jobs and outs differ in length");
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) render(*jobs[i], *outs[i]);
}

void Engine::render_windows(const RenderJob& job, Stems& scratch, const WindowConsumer& consume) {
  render(job, scratch);
  consume(0, job.frames, scratch);
}

}  // namespace auralis::synthesis
