// Branch-free float approximations written so GCC vectorises the loops that inline them
// (no libm calls, no data-dependent branches). Accuracy is stated per function.
#pragma once

#include <bit>
#include <cstdint>

#define AURALIS_ALWAYS_INLINE inline __attribute__((always_inline))
#define AURALIS_ALWAYS_INLINE_LAMBDA __attribute__((always_inline))

namespace auralis::synthesis::cpu {

// Selects are written as min/max and bit operations: GCC's if-conversion gives up on some
// ternaries in the AVX2 clone ("control flow in loop"), min/max and integer ops never do.
AURALIS_ALWAYS_INLINE float min_f(float a, float b) {
  return b < a ? b : a;
}
AURALIS_ALWAYS_INLINE float max_f(float a, float b) {
  return a < b ? b : a;
}
AURALIS_ALWAYS_INLINE int min_i(int a, int b) {
  return b < a ? b : a;
}
AURALIS_ALWAYS_INLINE int max_i(int a, int b) {
  return a < b ? b : a;
}
AURALIS_ALWAYS_INLINE float clamp01(float x) {
  return min_f(max_f(x, 0.0f), 1.0f);
}

AURALIS_ALWAYS_INLINE float abs_f(float x) {
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(x) & 0x7fffffffu);
}

// `magnitude` with the sign bit of `sign`.
AURALIS_ALWAYS_INLINE float copy_sign_f(float magnitude, float sign) {
  return std::bit_cast<float>((std::bit_cast<std::uint32_t>(magnitude) & 0x7fffffffu) |
                              (std::bit_cast<std::uint32_t>(sign) & 0x80000000u));
}

// floor(): one rounding instruction in the clones for x86-64-v2 and later (SSE4.1 roundps,
// AVX-512 vrndscaleps); plain SSE2 has none, so the baseline clone computes it per sample.
AURALIS_ALWAYS_INLINE float floor_fast(float x) {
  return __builtin_floorf(x);
}

AURALIS_ALWAYS_INLINE float wrap01(float cycles) {
  return cycles - floor_fast(cycles);
}

// sin(2 pi x) for x in cycles: x is folded to a quarter wave and cos(pi w), |w| <= 1/2, is a
// degree-10 polynomial (Chebyshev interpolant in w^2; |error| ~1e-7 in float, its rounding).
AURALIS_ALWAYS_INLINE float sin_cycles(float x) {
  const float r = x - floor_fast(x + 0.5f);  // [-1/2, 1/2)
  const float twice = r + r;
  const float w = abs_f(twice) - 0.5f;  // sin(2 pi r) = +-cos(pi w)
  const float z = w * w;
  float c = -0.024395932094193995f;
  c = c * z + 0.23493706858729033f;
  c = c * z - 1.3352119493868031f;
  c = c * z + 4.0587091547624583f;
  c = c * z - 4.9348021369288988f;
  c = c * z + 0.99999999977915333f;
  return copy_sign_f(c, r);
}

// 2^x, relative error ~2e-7 for x in [-126, 126] (clamped outside).
AURALIS_ALWAYS_INLINE float exp2_fast(float x) {
  x = min_f(max_f(x, -126.0f), 126.0f);
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
  const float fold = static_cast<float>(m > 1.4142135623730951f);    // 0 or 1
  m *= 1.0f - 0.5f * fold;
  e += fold;
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
  // Below 1e-30 the result underflows to exp2_fast's floor (2^-126): zero for audio purposes.
  return exp2_fast(c * log2_fast(max_f(x, 1e-30f)));
}

// tanh(x) for |x| <= ~40 from exp2 (absolute error ~2e-7).
AURALIS_ALWAYS_INLINE float tanh_fast(float x) {
  const float e = exp2_fast(2.0f * 1.4426950408889634f * x);
  return 1.0f - 2.0f / (e + 1.0f);
}

}  // namespace auralis::synthesis::cpu
