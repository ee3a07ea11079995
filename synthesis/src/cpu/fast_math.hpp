// Branch-free float approximations written so GCC vectorises the loops that inline them
// (no libm calls, no data-dependent branches). Accuracy is stated per function.
#pragma once

#include <bit>
#include <cstdint>

#define AURALIS_ALWAYS_INLINE inline __attribute__((always_inline))

namespace auralis::synthesis::cpu {

// floor() for |x| < 2^31 through a truncating conversion (vectorises even on plain SSE2).
AURALIS_ALWAYS_INLINE float floor_fast(float x) {
  const float t = static_cast<float>(static_cast<std::int32_t>(x));
  return t > x ? t - 1.0f : t;
}

AURALIS_ALWAYS_INLINE float wrap01(float cycles) {
  return cycles - floor_fast(cycles);
}

// sin(2 pi x) for x in cycles: x is folded to a quarter wave and cos(pi w), |w| <= 1/2, is a
// degree-12 Taylor polynomial (error < 1e-8, below float rounding: ~-140 dB).
AURALIS_ALWAYS_INLINE float sin_cycles(float x) {
  const float r = x - floor_fast(x + 0.5f);  // [-1/2, 1/2)
  const float twice = r + r;
  const float w = (twice < 0.0f ? -twice : twice) - 0.5f;  // sin(2 pi r) = +-cos(pi w)
  const float z = w * w;
  float c = 0.001929574309403922f;
  c = c * z - 0.02580689139001405f;
  c = c * z + 0.23533063035889312f;
  c = c * z - 1.3352627688545893f;
  c = c * z + 4.058712126416768f;
  c = c * z - 4.934802200544679f;
  c = c * z + 1.0f;
  return r < 0.0f ? -c : c;
}

// 2^x, relative error ~2e-7 for x in [-126, 126] (clamped outside).
AURALIS_ALWAYS_INLINE float exp2_fast(float x) {
  x = x < -126.0f ? -126.0f : (x > 126.0f ? 126.0f : x);
  const float xi = floor_fast(x);
  const float g = x - xi - 0.5f;  // 2^x = sqrt(2) * 2^g * 2^xi, |g| <= 1/2
  float p = 0.00015403530393381606f;
  p = p * g + 0.0013333558146428441f;
  p = p * g + 0.009618129107628477f;
  p = p * g + 0.055504108664821576f;
  p = p * g + 0.2402265069591007f;
  p = p * g + 0.6931471805599453f;
  p = p * g + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(xi) + 127) << 23;
  return p * 1.4142135623730951f * std::bit_cast<float>(bits);
}

// log2(x) for normal x > 0, absolute error ~1e-7: exponent plus an odd series in
// s = (m-1)/(m+1) with the mantissa m folded into [sqrt(1/2), sqrt(2)).
AURALIS_ALWAYS_INLINE float log2_fast(float x) {
  const std::int32_t bits = std::bit_cast<std::int32_t>(x);
  float e = static_cast<float>((bits >> 23) - 127);
  float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f800000);  // [1, 2)
  const bool fold = m > 1.4142135623730951f;
  m = fold ? m * 0.5f : m;
  e = fold ? e + 1.0f : e;
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return e + 2.8853900817779268f * s * p;  // 2/ln 2
}

// x^c for x in [0, 1] (envelope curvature); exact 0 at x = 0.
AURALIS_ALWAYS_INLINE float pow01_fast(float x, float c) {
  const float safe = x > 1e-30f ? x : 1e-30f;
  const float y = exp2_fast(c * log2_fast(safe));
  return x > 1e-30f ? y : 0.0f;
}

// tanh(x) for |x| <= ~40 from exp2 (absolute error ~2e-7).
AURALIS_ALWAYS_INLINE float tanh_fast(float x) {
  const float e = exp2_fast(2.0f * 1.4426950408889634f * x);
  return 1.0f - 2.0f / (e + 1.0f);
}

}  // namespace auralis::synthesis::cpu
