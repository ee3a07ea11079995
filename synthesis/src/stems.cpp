#include "auralis/synthesis/stems.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace auralis::synthesis {

namespace {
std::size_t grains_for(std::int64_t frames) {
  return static_cast<std::size_t>((frames + Stems::kGrain - 1) / Stems::kGrain);
}
}  // namespace

void Stems::resize(std::int64_t frames) {
  frames_ = std::max<std::int64_t>(frames, 0);
  for (auto& p : planes_) p.resize(static_cast<std::size_t>(frames_));
  // New grains hold only new (zeroed) frames; a grain that gains frames keeps its flag, since
  // its frames beyond the old end are new zeros too.
  for (auto& flags : silent_) flags.resize(grains_for(frames_), 1);
}

void Stems::clear() {
  for (auto& p : planes_) std::fill(p.begin(), p.end(), 0.0f);
  for (auto& flags : silent_) std::fill(flags.begin(), flags.end(), 1);
}

std::span<float> Stems::plane(music::Layer layer, int channel) {
  auto& flags = silent_[static_cast<std::size_t>(layer)];
  std::fill(flags.begin(), flags.end(), 0);
  return planes_[static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(channel)];
}

std::span<const float> Stems::plane(music::Layer layer, int channel) const {
  return planes_[static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(channel)];
}

void Stems::store(music::Layer layer, std::int64_t begin, const float* left, const float* right,
                  std::int64_t n) {
  if (n <= 0) return;
  const auto l = static_cast<std::size_t>(layer);
  const auto at = static_cast<std::size_t>(begin);
  const auto bytes = static_cast<std::size_t>(n) * sizeof(float);
  std::memcpy(planes_[2 * l].data() + at, left, bytes);
  std::memcpy(planes_[2 * l + 1].data() + at, right, bytes);
  drop_silence(l, begin, n);
}

void Stems::drop_silence(std::size_t layer, std::int64_t begin, std::int64_t n) {
  auto& flags = silent_[layer];
  std::fill(flags.begin() + begin / kGrain, flags.begin() + (begin + n + kGrain - 1) / kGrain, 0);
}

void Stems::store_silence(music::Layer layer, std::int64_t begin, std::int64_t n) {
  if (n <= 0) return;
  const auto l = static_cast<std::size_t>(layer);
  auto& flags = silent_[l];
  const std::int64_t end = begin + n;
  // Grain by grain: skip the known-silent ones, zero the rest of the range; a grain the range
  // covers whole (or up to the stems' end) is then known silent.
  for (std::int64_t g = begin / kGrain; g * kGrain < end; ++g) {
    const std::int64_t from = std::max(begin, g * kGrain);
    const std::int64_t to = std::min(end, (g + 1) * kGrain);
    const auto gi = static_cast<std::size_t>(g);
    if (flags[gi]) continue;
    const auto count = static_cast<std::size_t>(to - from);
    std::memset(planes_[2 * l].data() + from, 0, count * sizeof(float));
    std::memset(planes_[2 * l + 1].data() + from, 0, count * sizeof(float));
    if (from == g * kGrain && (to == (g + 1) * kGrain || to == frames_)) flags[gi] = 1;
  }
}

std::array<float*, 2> Stems::planes_for_write(music::Layer layer, std::int64_t begin,
                                              std::int64_t n) {
  const auto l = static_cast<std::size_t>(layer);
  if (n > 0) drop_silence(l, begin, n);
  return {planes_[2 * l].data(), planes_[2 * l + 1].data()};
}

bool Stems::silent(music::Layer layer, std::int64_t begin, std::int64_t n) const {
  if (n <= 0) return true;
  const auto& flags = silent_[static_cast<std::size_t>(layer)];
  const auto first = static_cast<std::size_t>(begin / kGrain);
  const auto last = static_cast<std::size_t>((begin + n - 1) / kGrain);
  for (std::size_t g = first; g <= last; ++g)
    if (!flags[g]) return false;
  return true;
}

}  // namespace auralis::synthesis
