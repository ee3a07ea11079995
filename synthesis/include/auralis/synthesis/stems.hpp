// Dry per-layer stereo output of an engine for one window: planes[layer][channel][frame].
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::synthesis {

class Stems {
 public:
  void resize(std::int64_t frames);  // keeps capacity; contents unspecified until clear()
  void clear();                      // zero every plane
  std::int64_t frames() const { return frames_; }

  std::span<float> plane(music::Layer layer, int channel);
  std::span<const float> plane(music::Layer layer, int channel) const;

 private:
  std::int64_t frames_ = 0;
  std::array<std::vector<float>, music::kLayerCount * 2> planes_;
};

}  // namespace auralis::synthesis
