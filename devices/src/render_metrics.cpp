#include "auralis/devices/render_metrics.hpp"

namespace auralis::devices {

void Histogram::observe(double seconds) {
  std::lock_guard lock(mutex_);
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++data_.counts[i];
  ++data_.count;
  data_.sum += seconds;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  return data_;
}

void RenderMetrics::count_phrase(const std::string& engine) {
  std::lock_guard lock(mutex_);
  ++phrases_[engine];
}

std::map<std::string, std::uint64_t> RenderMetrics::phrases_by_engine() const {
  std::lock_guard lock(mutex_);
  return phrases_;
}

}  // namespace auralis::devices
