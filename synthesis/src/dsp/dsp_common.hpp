// Shared helpers for the effects modules: dB conversions and the denormal guard.
// Modules keep their hot loops inline in headers so the mixer's block loop can inline them.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

// Function multiversioning for the hot block loops: an AVX-512 build, an AVX2+FMA build and a
// baseline x86-64 build of each, picked at load time, so one binary runs anywhere and fast
// where it can (stereo block filters use 16-wide registers in the AVX-512 build).
// Not under TSan: its runtime is not up yet when the loader runs the ifunc resolvers.
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define AURALIS_HAVE_DSP_CLONES 1
#define AURALIS_DSP_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AURALIS_HAVE_DSP_CLONES 0
#define AURALIS_DSP_CLONES
#endif

namespace auralis::synthesis::dsp {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kTwoPi = 2 * kPi;

inline float db_to_gain(float db) {
  return std::pow(10.0f, db * 0.05f);
}
inline float gain_to_db(float gain) {
  return 20.0f * std::log10(gain);
}

// Reverb and filter tails decay into denormals, which cost ~100x per operation on x86.
// Flush-to-zero for the scope of a mixer call, restoring the caller's mode afterwards.
class DenormalGuard {
 public:
  DenormalGuard() {
#if defined(__SSE__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);  // FTZ | DAZ
#endif
  }
  ~DenormalGuard() {
#if defined(__SSE__)
    _mm_setcsr(saved_);
#endif
  }
  DenormalGuard(const DenormalGuard&) = delete;
  DenormalGuard& operator=(const DenormalGuard&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace auralis::synthesis::dsp
