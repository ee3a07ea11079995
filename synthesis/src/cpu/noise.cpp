// Counter-based white noise: the same integer hash as voice_model.hpp, vectorised over frames.
#include "clones.hpp"
#include "kernels.hpp"

namespace auralis::synthesis::cpu {

AURALIS_CLONES void white_noise(std::uint32_t key, std::int64_t block_frame, Range r,
                                float* __restrict out) {
  const std::uint32_t base = static_cast<std::uint32_t>(block_frame) + key;
  for (int i = r.begin; i < r.end; ++i) {
    const std::uint32_t h = voice::hash32(base + static_cast<std::uint32_t>(i));
    out[i] = static_cast<float>(static_cast<std::int32_t>(h >> 8)) * voice::kNoiseScale - 1.0f;
  }
}

}  // namespace auralis::synthesis::cpu
