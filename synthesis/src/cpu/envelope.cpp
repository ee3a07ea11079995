// Closed-form ADSR (voice_model.hpp) applied while mixing a voice into its layer's stereo bus.
#include "clones.hpp"
#include "fast_math.hpp"
#include "kernels.hpp"

namespace auralis::synthesis::cpu {
namespace {

// kCurve 1..3: integer powers by multiplication; 0: any curve through exp2/log2.
template <int kCurve>
AURALIS_ALWAYS_INLINE float shape(float x, float c) {
  if constexpr (kCurve == 1) return x;
  if constexpr (kCurve == 2) return x * x;
  if constexpr (kCurve == 3) return x * x * x;
  return pow01_fast(x, c);
}

template <int kCurve>
AURALIS_ALWAYS_INLINE void envelope_mix_impl(const voice::EnvelopeFrames& e, float t0, float gl,
                                             float gr, Range r, const float* __restrict x,
                                             float* __restrict acc_l, float* __restrict acc_r) {
  const float inv_a = 1.0f / e.attack, inv_d = 1.0f / e.decay, inv_r = 1.0f / e.release;
  const float s = e.sustain, c = e.curve;
  for (int i = r.begin; i < r.end; ++i) {
    const float t = t0 + static_cast<float>(i);
    const float held = min_f(t, e.gate);
    const float a = min_f(held * inv_a, 1.0f);
    const float d = clamp01((held - e.attack) * inv_d);
    const float rel = clamp01((t - e.gate) * inv_r);
    const float env = shape<kCurve>(a, c) * (s + (1.0f - s) * shape<kCurve>(1.0f - d, c)) *
                      shape<kCurve>(1.0f - rel, c);
    const float y = env * x[i];
    acc_l[i] += gl * y;
    acc_r[i] += gr * y;
  }
}

}  // namespace

AURALIS_CLONES void envelope_mix(const voice::EnvelopeFrames& e, float t0_frames, float gain_l,
                                 float gain_r, Range r, const float* x, float* acc_l,
                                 float* acc_r) {
  if (e.curve == 1.0f) {
    envelope_mix_impl<1>(e, t0_frames, gain_l, gain_r, r, x, acc_l, acc_r);
  } else if (e.curve == 2.0f) {
    envelope_mix_impl<2>(e, t0_frames, gain_l, gain_r, r, x, acc_l, acc_r);
  } else if (e.curve == 3.0f) {
    envelope_mix_impl<3>(e, t0_frames, gain_l, gain_r, r, x, acc_l, acc_r);
  } else {
    envelope_mix_impl<0>(e, t0_frames, gain_l, gain_r, r, x, acc_l, acc_r);
  }
}

AURALIS_CLONES void constant_mix(float level, float gain_l, float gain_r, Range r,
                                 const float* __restrict x, float* __restrict acc_l,
                                 float* __restrict acc_r) {
  for (int i = r.begin; i < r.end; ++i) {
    const float y = level * x[i];
    acc_l[i] += gain_l * y;
    acc_r[i] += gain_r * y;
  }
}

}  // namespace auralis::synthesis::cpu
