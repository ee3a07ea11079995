#include "sessions/render_chain.hpp"

#include "auralis/config/log.hpp"
#include "auralis/devices/engine_choice.hpp"

namespace auralis::server {

RenderChain::RenderChain(const config::Config& config, devices::Clock& clock) {
  auto log = log::get("devices");
  const auto chain =
      devices::choose_engine_chain({config.engine, config.device, config.render_workers});
  for (const auto& spec : chain) {
    pools_.push_back(std::make_unique<devices::RenderPool>(
        spec.workers, [spec] { return devices::make_engine(spec); }, spec.max_batch, clock));
    engines_.push_back({spec.engine, pools_.back()->device(), spec.workers});
    log->info("render chain #{}: engine {} on {} x{} worker(s), batch up to {} ({})", pools_.size(),
              spec.engine, pools_.back()->device(), spec.workers, spec.max_batch, spec.reason);
  }
  // Operator drill ([faults]): make an engine slow or failing on purpose.
  for (auto& pool : pools_) {
    const auto& f = pool->engine_name() == "torch" ? config.faults_torch : config.faults_cpu;
    if (f.delay_ms > 0 || f.failure_probability > 0) {
      pool->faults().set({std::chrono::milliseconds(f.delay_ms), f.failure_probability});
      log->warn("fault injection on engine {}: +{} ms per render, failure probability {}",
                pool->engine_name(), f.delay_ms, f.failure_probability);
    }
  }
}

std::vector<devices::RenderPool*> RenderChain::pools() const {
  std::vector<devices::RenderPool*> out;
  for (const auto& p : pools_) out.push_back(p.get());
  return out;
}

}  // namespace auralis::server
