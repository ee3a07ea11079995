#include "auralis/synthesis/stems.hpp"

#include <algorithm>
#include <cstddef>

namespace auralis::synthesis {

void Stems::resize(std::int64_t frames) {
  frames_ = std::max<std::int64_t>(frames, 0);
  for (auto& p : planes_) p.resize(static_cast<std::size_t>(frames_));
}

void Stems::clear() {
  for (auto& p : planes_) std::fill(p.begin(), p.end(), 0.0f);
}

std::span<float> Stems::plane(music::Layer layer, int channel) {
  return planes_[static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(channel)];
}

std::span<const float> Stems::plane(music::Layer layer, int channel) const {
  return planes_[static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(channel)];
}

}  // namespace auralis::synthesis
