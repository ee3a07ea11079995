// Pitched oscillators of the CPU engine (pad, lead, sub bass, kick): one vectorised loop each.
#include "clones.hpp"
#include "fast_math.hpp"
#include "kernels.hpp"

namespace auralis::synthesis::cpu {

// Naive saw 2p-1 with the PolyBLEP residual around the wrap folded in as clamped squares:
// a = 1 - p/dt just after the wrap, b = 1 - (1-p)/dt just before it; saw = 2p-1 + a^2 - b^2.
AURALIS_CLONES void pad_saws(const SawParams& p, Range r, float* __restrict out) {
  for (int i = r.begin; i < r.end; ++i) out[i] = 0.0f;
  for (int k = 0; k < 3; ++k) {
    const float phase = p.phase[k], inc = p.inc[k], inv_inc = p.inv_inc[k];
    for (int i = r.begin; i < r.end; ++i) {
      const float ph = wrap01(phase + static_cast<float>(i) * inc);
      const float a = max_f(1.0f - ph * inv_inc, 0.0f);
      const float b = max_f(1.0f - (1.0f - ph) * inv_inc, 0.0f);
      out[i] += (2.0f * ph - 1.0f + a * a - b * b) * (1.0f / 3.0f);
    }
  }
}

AURALIS_CLONES void lead_fm(const FmParams& p, Range r, float* __restrict out) {
  for (int i = r.begin; i < r.end; ++i) {
    const float fi = static_cast<float>(i);
    const float t = p.t0_frames + fi;
    const float fade = clamp01((t - p.vib_delay_frames) * p.vib_inv_fade);
    const float vibrato = p.vib_amp_cycles * fade * sin_cycles(p.vib_inc * t);
    const float carrier = p.phase + fi * p.inc + vibrato;
    const float index = p.index_cycles * (p.index_floor + (1.0f - p.index_floor) *
                                                              exp2_fast(p.index_decay_log2 * t));
    out[i] = sin_cycles(carrier + index * sin_cycles(carrier));
  }
}

AURALIS_CLONES void sub_bass(const SubParams& p, Range r, float* __restrict out) {
  for (int i = r.begin; i < r.end; ++i) {
    const float s = sin_cycles(p.phase + static_cast<float>(i) * p.inc);
    out[i] = tanh_fast(p.drive * s) * p.inv_norm;
  }
}

AURALIS_CLONES void kick_sweep(const KickParams& p, Range r, float* __restrict out) {
  for (int i = r.begin; i < r.end; ++i) {
    const float t = p.t0_frames + static_cast<float>(i);
    const float cycles =
        p.end_inc * t + p.sweep_cycles * (1.0f - exp2_fast(p.sweep_decay_log2 * t));
    out[i] = sin_cycles(cycles);
  }
}

}  // namespace auralis::synthesis::cpu
