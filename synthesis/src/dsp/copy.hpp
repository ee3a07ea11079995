// Short copies and fills (a block of a delay line: tens to hundreds of floats) as inline vector
// moves. Left to itself GCC emits a memmove call or an inline `rep movs` for these, and either
// costs tens of cycles to start: more than moving 64 floats does.
#pragma once

#include <cstddef>
#include <cstring>

namespace auralis::synthesis::dsp {

namespace copy_detail {
template <std::size_t kBytes>
inline __attribute__((always_inline)) void move(float* dst, const float* src) {
  using V = float __attribute__((vector_size(kBytes)));
  V v;
  std::memcpy(&v, src, sizeof v);
  std::memcpy(dst, &v, sizeof v);
}
}  // namespace copy_detail

// dst[0, n) = src[0, n); the ranges must not overlap. The last vector may overlap the one
// before it (writing the same values twice), so there is no scalar tail.
inline __attribute__((always_inline)) void copy_floats(float* __restrict dst,
                                                       const float* __restrict src,
                                                       std::size_t n) {
  using copy_detail::move;
  if (n >= 16) {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) move<64>(dst + i, src + i);
    if (i < n) move<64>(dst + n - 16, src + n - 16);
  } else if (n >= 8) {
    move<32>(dst, src);
    move<32>(dst + n - 8, src + n - 8);
  } else if (n >= 4) {
    move<16>(dst, src);
    move<16>(dst + n - 4, src + n - 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// dst[0, n) = value.
inline __attribute__((always_inline)) void fill_floats(float* dst, float value, std::size_t n) {
  using V = float __attribute__((vector_size(64)));
  const V v = V{} + value;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) std::memcpy(dst + i, &v, sizeof v);
  for (; i < n; ++i) dst[i] = value;
}

}  // namespace auralis::synthesis::dsp
