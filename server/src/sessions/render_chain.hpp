// The render engine pools every session shares, in order of preference (LibTorch where it
// wins, then the C++ CPU engine), with the operator's fault drill ([faults]) applied.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auralis/config/config.hpp"
#include "auralis/devices/clock.hpp"
#include "auralis/devices/render_metrics.hpp"
#include "auralis/devices/render_pool.hpp"

namespace auralis::server {

struct EngineSummary {
  std::string name;    // "torch", "cpu"
  std::string device;  // "cpu", "cuda:0"
  int workers = 0;
};

class RenderChain {
 public:
  RenderChain(const config::Config& config, devices::Clock& clock);

  std::vector<devices::RenderPool*> pools() const;
  const std::vector<EngineSummary>& engines() const { return engines_; }
  const std::shared_ptr<devices::RenderMetrics>& metrics() const { return metrics_; }

 private:
  std::shared_ptr<devices::RenderMetrics> metrics_ = std::make_shared<devices::RenderMetrics>();
  std::vector<std::unique_ptr<devices::RenderPool>> pools_;  // in chain order
  std::vector<EngineSummary> engines_;
};

}  // namespace auralis::server
