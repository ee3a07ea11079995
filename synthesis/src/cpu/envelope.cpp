// Closed-form ADSR (voice_model.hpp) applied while mixing a voice into its layer's stereo bus.
// The block is split at the envelope's breakpoints so each piece runs one short formula (a
// power of a linear ramp) instead of evaluating every segment for every sample.
#include <algorithm>
#include <cmath>

#include "clones.hpp"
#include "fast_math.hpp"
#include "kernels.hpp"

namespace auralis::synthesis::cpu {
namespace {

// kCurve 1..3: integer powers by multiplication; 0: any curve through exp2/log2.
template <int kCurve>
AURALIS_ALWAYS_INLINE float shape(float u, float c) {
  if constexpr (kCurve == 1) return u;
  if constexpr (kCurve == 2) return u * u;
  if constexpr (kCurve == 3) return u * u * u;
  return pow01_fast(u, c);
}

// acc += g * y, or acc = g * y for the first voice on the bus (the same bits: the product
// plus an exact zero).
template <bool kAssign>
AURALIS_ALWAYS_INLINE void put(float& acc, float g, float y) {
  if constexpr (kAssign)
    acc = g * y;
  else
    acc += g * y;
}

// env(i) = offset + scale * shape(clamp01(u0 + du * i)) over [begin, end), mixed into the bus.
template <int kCurve, bool kAssign>
AURALIS_ALWAYS_INLINE void ramp_mix(float offset, float scale, float u0, float du, float c,
                                    float gl, float gr, int begin, int end,
                                    const float* __restrict x, float* __restrict acc_l,
                                    float* __restrict acc_r) {
  for (int i = begin; i < end; ++i) {
    const float u = clamp01(u0 + du * static_cast<float>(i));
    const float y = (offset + scale * shape<kCurve>(u, c)) * x[i];
    put<kAssign>(acc_l[i], gl, y);
    put<kAssign>(acc_r[i], gr, y);
  }
}

template <bool kAssign>
AURALIS_ALWAYS_INLINE void level_mix(float level, float gl, float gr, int begin, int end,
                                     const float* __restrict x, float* __restrict acc_l,
                                     float* __restrict acc_r) {
  for (int i = begin; i < end; ++i) {
    const float y = level * x[i];
    put<kAssign>(acc_l[i], gl, y);
    put<kAssign>(acc_r[i], gr, y);
  }
}

// Level reached at note-off (the release starts there, even mid-attack or mid-decay).
double level_at_gate(const voice::EnvelopeFrames& e) {
  return voice::envelope_reference(e, static_cast<double>(e.gate));
}

template <int kCurve, bool kAssign>
AURALIS_ALWAYS_INLINE void envelope_mix_impl(const voice::EnvelopeFrames& e, float t0, float gl,
                                             float gr, Range r, const float* x, float* acc_l,
                                             float* acc_r) {
  // First block offset whose time since note-on reaches `t` (clamped to the range).
  const auto first_at = [&](double t) {
    const double i = std::ceil(t - static_cast<double>(t0));
    return static_cast<int>(
        std::clamp(i, static_cast<double>(r.begin), static_cast<double>(r.end)));
  };
  const double attack = e.attack, decay = e.decay, gate = e.gate;
  const int attack_end = first_at(std::min(attack, gate));
  const int decay_end = std::max(attack_end, first_at(std::min(attack + decay, gate)));
  const int gate_at = std::max(decay_end, first_at(gate));
  const int release_end = std::max(gate_at, first_at(gate + e.release));
  const float c = e.curve, s = e.sustain;
  const float inv_a = 1.0f / e.attack, inv_d = 1.0f / e.decay, inv_r = 1.0f / e.release;
  if (r.begin < attack_end) {
    ramp_mix<kCurve, kAssign>(0.0f, 1.0f, t0 * inv_a, inv_a, c, gl, gr, r.begin, attack_end, x,
                              acc_l, acc_r);
  }
  if (attack_end < decay_end) {
    ramp_mix<kCurve, kAssign>(s, 1.0f - s, 1.0f - (t0 - e.attack) * inv_d, -inv_d, c, gl, gr,
                              attack_end, decay_end, x, acc_l, acc_r);
  }
  if (decay_end < gate_at) level_mix<kAssign>(s, gl, gr, decay_end, gate_at, x, acc_l, acc_r);
  if (gate_at < release_end) {
    const auto held = static_cast<float>(level_at_gate(e));
    ramp_mix<kCurve, kAssign>(0.0f, held, 1.0f - (t0 - e.gate) * inv_r, -inv_r, c, gl, gr, gate_at,
                              release_end, x, acc_l, acc_r);
  }
  if constexpr (kAssign) {
    // Frames of the range past the envelope's end (rounding): silent, but written.
    for (int i = release_end; i < r.end; ++i) acc_l[i] = acc_r[i] = 0.0f;
  }
}

template <bool kAssign>
AURALIS_ALWAYS_INLINE void envelope_mix_curve(const voice::EnvelopeFrames& e, float t0, float gl,
                                              float gr, Range r, const float* x, float* acc_l,
                                              float* acc_r) {
  if (e.curve == 1.0f) {
    envelope_mix_impl<1, kAssign>(e, t0, gl, gr, r, x, acc_l, acc_r);
  } else if (e.curve == 2.0f) {
    envelope_mix_impl<2, kAssign>(e, t0, gl, gr, r, x, acc_l, acc_r);
  } else if (e.curve == 3.0f) {
    envelope_mix_impl<3, kAssign>(e, t0, gl, gr, r, x, acc_l, acc_r);
  } else {
    envelope_mix_impl<0, kAssign>(e, t0, gl, gr, r, x, acc_l, acc_r);
  }
}

}  // namespace

AURALIS_CLONES void envelope_mix(const voice::EnvelopeFrames& e, float t0_frames, float gain_l,
                                 float gain_r, Range r, const float* x, float* acc_l, float* acc_r,
                                 bool assign) {
  if (assign)
    envelope_mix_curve<true>(e, t0_frames, gain_l, gain_r, r, x, acc_l, acc_r);
  else
    envelope_mix_curve<false>(e, t0_frames, gain_l, gain_r, r, x, acc_l, acc_r);
}

}  // namespace auralis::synthesis::cpu
