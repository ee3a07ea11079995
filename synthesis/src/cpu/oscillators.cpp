// Pitched oscillators of the CPU engine (saws, FM, modal partials, sub bass, kick): one
// vectorised loop each.
#include <cmath>

#include "clones.hpp"
#include "fast_math.hpp"
#include "kernels.hpp"

namespace auralis::synthesis::cpu {

// PolyBLEP saws: saw = 2p - 1 + a^2 - b^2 with a = (1 - p/dt)+ just after the wrap and
// b = (1 - (1-p)/dt)+ just before it. The residual a^2 - b^2 is non-zero only on the sample
// before and the sample after each wrap (a 200 Hz saw wraps every 240 samples), so the three
// naive saws run as one vectorised loop and the residuals are added wrap by wrap, each from the
// phase that loop used for its sample.
namespace {
// Adds residual / 3 of one saw on the two samples around each of its wraps in r.
AURALIS_ALWAYS_INLINE void add_blep_residuals(float phase, float inc, float inv_inc, Range r,
                                              float* __restrict out) {
  const auto at_phase = [&](int i) AURALIS_ALWAYS_INLINE_LAMBDA {
    return wrap01(phase + static_cast<float>(i) * inc);
  };
  const auto residual = [&](float p) AURALIS_ALWAYS_INLINE_LAMBDA {
    const float q = p * inv_inc;
    const float a = max_f(1.0f - q, 0.0f);
    const float b = max_f(q + (1.0f - inv_inc), 0.0f);
    return (a - b) * (a + b) * (1.0f / 3.0f);
  };
  if (!(inc > 0.0f && inc < 0.25f)) {  // wraps closer than 4 samples: every sample may need one
    for (int i = r.begin; i < r.end; ++i) out[i] += residual(at_phase(i));
    return;
  }
  // Wrap m falls between samples `at` and at + 1, at = floor((m - phase) / inc) in exact
  // arithmetic; the float phase the loop used may put it one sample either side, which the
  // phases of those two samples tell. Further from the wrap the residual is zero (p >= dt
  // after it, 1 - p >= dt before it).
  const double first = std::floor(phase + static_cast<double>(r.begin - 1) * inc) + 1;
  for (double m = first;; m += 1) {
    int at = static_cast<int>(std::floor((m - phase) / inc));
    if (at >= r.end) break;
    float before = at_phase(at), after = at_phase(at + 1);
    if (before < after) {  // no wrap between them in float: it is just before or just after
      if (before < 0.5f) {
        --at;
        after = before;
        before = at_phase(at);
      } else {
        ++at;
        before = after;
        after = at_phase(at + 1);
      }
    }
    if (at >= r.begin && at < r.end) out[at] += residual(before);
    if (at + 1 >= r.begin && at + 1 < r.end) out[at + 1] += residual(after);
  }
}
}  // namespace

AURALIS_CLONES void pad_saws(const SawParams& p, Range r, float* __restrict out) {
  const float ph0 = p.phase[0], ph1 = p.phase[1], ph2 = p.phase[2];
  const float inc0 = p.inc[0], inc1 = p.inc[1], inc2 = p.inc[2];
  for (int i = r.begin; i < r.end; ++i) {
    const float fi = static_cast<float>(i);
    const float p0 = wrap01(ph0 + fi * inc0);
    const float p1 = wrap01(ph1 + fi * inc1);
    const float p2 = wrap01(ph2 + fi * inc2);
    out[i] = (2.0f * (p0 + p1 + p2) - 3.0f) * (1.0f / 3.0f);
  }
  for (int k = 0; k < 3; ++k) add_blep_residuals(p.phase[k], p.inc[k], p.inv_inc[k], r, out);
}

// The vibrato (5 Hz) and the index decay (0.35-1.1 s) are evaluated exactly every kLeadNode frames
// on the block grid and linear in between: the error is ~1e-5 of the vibrato depth and ~1e-7 of the
// index, far below hearing, and the per-sample work drops from four polynomials to two. The nodes
// are spread into per-sample arrays first (one 16-wide line per node), so the oscillator itself is
// one loop over the range.
namespace {
constexpr int kLeadNode = 16;
}

namespace {
// The FM loop with or without vibrato (the struck instruments have none: no vibrato arrays).
template <bool kVibrato>
AURALIS_ALWAYS_INLINE void fm_impl(const FmParams& p, Range r, float* __restrict out) {
  constexpr int kMaxNodes = kBlockFrames / kLeadNode + 1;
  alignas(64) float vib[kMaxNodes], index[kMaxNodes];
  alignas(64) float vib_at[kVibrato ? kBlockFrames : 1], index_at[kBlockFrames];
  const int first = r.begin / kLeadNode;
  const int last = (r.end + kLeadNode - 1) / kLeadNode;  // node at or after the range's end
  for (int k = first; k <= last; ++k) {
    const float t = p.t0_frames + static_cast<float>(k * kLeadNode);
    if constexpr (kVibrato) {
      const float fade = clamp01((t - p.vib_delay_frames) * p.vib_inv_fade);
      vib[k - first] = p.vib_amp_cycles * fade * sin_cycles(p.vib_inc * t);
    }
    index[k - first] = p.index_cycles *
                       (p.index_floor + (1.0f - p.index_floor) * exp2_fast(p.index_decay_log2 * t));
  }
  constexpr float kStep = 1.0f / kLeadNode;
  for (int k = first; k < last; ++k) {
    const float x0 = index[k - first], dx = (index[k - first + 1] - x0) * kStep;
    float* const x = index_at + k * kLeadNode;
    for (int j = 0; j < kLeadNode; ++j) x[j] = x0 + dx * static_cast<float>(j);
    if constexpr (kVibrato) {
      const float v0 = vib[k - first], dv = (vib[k - first + 1] - v0) * kStep;
      float* const v = vib_at + k * kLeadNode;
      for (int j = 0; j < kLeadNode; ++j) v[j] = v0 + dv * static_cast<float>(j);
    }
  }
  for (int i = r.begin; i < r.end; ++i) {
    const float fi = static_cast<float>(i);
    float carrier = p.phase + fi * p.inc;
    float modulator = p.mod_phase + fi * p.mod_inc;
    if constexpr (kVibrato) {
      carrier += vib_at[i];
      modulator += p.ratio * vib_at[i];
    }
    out[i] = sin_cycles(carrier + index_at[i] * sin_cycles(modulator));
  }
}
}  // namespace

AURALIS_CLONES void fm_voice(const FmParams& p, Range r, float* __restrict out) {
  if (p.vib_amp_cycles != 0.0f) {
    fm_impl<true>(p, r, out);
  } else {
    fm_impl<false>(p, r, out);
  }
}

// Partial by partial (a runtime count of at most four). A decaying partial's amplitude is exact
// every kLeadNode frames on the block grid and linear in between (its time constants are 0.1 s
// and more: the error is ~1e-7 of it), and a partial more than 100 dB down at the block's start
// is left out: the block's frames depend only on the grid, never on the window.
AURALIS_CLONES void modal(const ModalParams& p, Range r, float* __restrict out) {
  constexpr int kMaxNodes = kBlockFrames / kLeadNode + 1;
  alignas(64) float node_amp[kMaxNodes];
  alignas(64) float amp_at[kBlockFrames];
  for (int i = r.begin; i < r.end; ++i) out[i] = 0.0f;
  const int first = r.begin / kLeadNode;
  const int last = (r.end + kLeadNode - 1) / kLeadNode;
  for (int k = 0; k < p.count; ++k) {
    const float phase = p.phase[k], inc = p.inc[k], amp = p.amp[k], decay = p.decay_log2[k];
    if (decay == 0.0f) {
      for (int i = r.begin; i < r.end; ++i)
        out[i] += amp * sin_cycles(phase + static_cast<float>(i) * inc);
      continue;
    }
    if (decay * p.t0_frames < -33.0f) continue;  // below 2^-33 (-100 dB): inaudible
    for (int n = first; n <= last; ++n) {
      node_amp[n - first] =
          amp * exp2_fast(decay * (p.t0_frames + static_cast<float>(n * kLeadNode)));
    }
    constexpr float kStep = 1.0f / kLeadNode;
    for (int n = first; n < last; ++n) {
      const float a0 = node_amp[n - first], da = (node_amp[n - first + 1] - a0) * kStep;
      float* const a = amp_at + n * kLeadNode;
      for (int j = 0; j < kLeadNode; ++j) a[j] = a0 + da * static_cast<float>(j);
    }
    for (int i = r.begin; i < r.end; ++i)
      out[i] += amp_at[i] * sin_cycles(phase + static_cast<float>(i) * inc);
  }
}

// tanh(drive s) / tanh(drive) = s P(s^2), P the Chebyshev interpolant on s^2 in [0, 1] written
// as a polynomial (|error| < 2e-7 at drive 1.5; drives run 1-2): eleven multiply-adds, no exp
// or divide.
AURALIS_CLONES void sub_bass(const SubParams& p, Range r, float* __restrict out) {
  const auto& c = p.shape;
  for (int i = r.begin; i < r.end; ++i) {
    const float s = sin_cycles(p.phase + static_cast<float>(i) * p.inc);
    const float u = s * s;
    float poly = c[kShapeTerms - 1];
    for (int k = kShapeTerms - 2; k >= 0; --k) poly = poly * u + c[k];
    out[i] = s * poly;
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
