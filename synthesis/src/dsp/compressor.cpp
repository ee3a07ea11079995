// Feed-forward soft-knee compressor with control-rate gain.
#include "dsp/compressor.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr unsigned kStep = Compressor::kStep;
constexpr unsigned kQuads = kStep / 4;

// The detector over one whole step of peaks. Per sample it is env = pick(ka env + a p,
// kr env + r p) (pick: max when the attack is the faster, else min), a chain of multiply-add
// then compare that is as long as the step. Affine maps with positive slopes compose under
// max (and min): four samples make one map with the five slopes ka^i kr^(4-i), whose offsets
// are computed for all quads at once, so the serial chain is one multiply-add and three
// compares per four samples instead of per sample.
template <bool kMax>
inline __attribute__((always_inline)) float pick(float a, float b) {
  return kMax ? std::max(a, b) : std::min(a, b);
}

template <bool kMax>
inline __attribute__((always_inline)) float detect_step(const float* peak, float env, float attack,
                                                        float release) {
  const float ka = 1.0f - attack, kr = 1.0f - release;
  const float s4 = ka * ka * ka * ka, s3 = ka * ka * ka * kr, s2 = ka * ka * kr * kr,
              s1 = ka * kr * kr * kr, s0 = kr * kr * kr * kr;
  const float aa = ka * ka, ar = ka * kr, rr = kr * kr;
  alignas(32) float c4[kQuads], c3[kQuads], c2[kQuads], c1[kQuads], c0[kQuads];
  for (unsigned q = 0; q < kQuads; ++q) {
    const float* p = peak + 4 * q;
    const float a0 = attack * p[0], a1 = attack * p[1], a2 = attack * p[2], a3 = attack * p[3];
    const float r0 = release * p[0], r1 = release * p[1], r2 = release * p[2], r3 = release * p[3];
    // Samples 0-1 and 2-3 as maps with slopes ka^2, ka kr, kr^2.
    const float p0 = ka * a0 + a1, p1 = pick<kMax>(ka * r0 + a1, kr * a0 + r1), p2 = kr * r0 + r1;
    const float q0 = ka * a2 + a3, q1 = pick<kMax>(ka * r2 + a3, kr * a2 + r3), q2 = kr * r2 + r3;
    // The second pair after the first.
    c4[q] = aa * p0 + q0;
    c3[q] = pick<kMax>(aa * p1 + q0, ar * p0 + q1);
    c2[q] = pick<kMax>(pick<kMax>(aa * p2 + q0, ar * p1 + q1), rr * p0 + q2);
    c1[q] = pick<kMax>(ar * p2 + q1, rr * p1 + q2);
    c0[q] = rr * p2 + q2;
  }
  for (unsigned q = 0; q < kQuads; ++q) {
    env = pick<kMax>(pick<kMax>(s4 * env + c4[q], s3 * env + c3[q]),
                     pick<kMax>(s2 * env + c2[q], pick<kMax>(s1 * env + c1[q], s0 * env + c0[q])));
  }
  return env;
}
}  // namespace

Compressor::Compressor(float sample_rate_hz, CompressorParams params)
    : params_(params),
      attack_coef_(one_pole_coef_s(params.attack_s, sample_rate_hz)),
      release_coef_(one_pole_coef_s(params.release_s, sample_rate_hz)) {
  gain_from_ = gain_to_ = db_to_gain(params.makeup_db);
}

void Compressor::reset() {
  envelope_ = 0;
  gain_from_ = gain_to_ = db_to_gain(params_.makeup_db);
  gain_db_ = 0;
  position_ = 0;
  peaks_.fill(0);
}

float Compressor::gain_db_for(float level_db) const {
  const float over = level_db - params_.threshold_db;
  const float slope = 1.0f / params_.ratio - 1.0f;
  const float half_knee = 0.5f * params_.knee_db;
  float g = 0;
  if (over >= half_knee) {
    g = slope * over;
  } else if (over > -half_knee) {
    const float t = over + half_knee;
    g = slope * t * t / (2.0f * params_.knee_db);
  }
  return g + params_.makeup_db;
}

AURALIS_DSP_CLONES
void Compressor::process(std::span<float> left, std::span<float> right) {
  const std::size_t frames = std::min(left.size(), right.size());
  // The envelope is only read at step starts, so the detector runs once a step is complete,
  // on that step's stored peaks: the same arithmetic however the calls split the steps.
  std::size_t i = 0;
  while (i < frames) {
    if (position_ == kStep) {
      envelope_ = attack_coef_ >= release_coef_
                      ? detect_step<true>(peaks_.data(), envelope_, attack_coef_, release_coef_)
                      : detect_step<false>(peaks_.data(), envelope_, attack_coef_, release_coef_);
      position_ = 0;
    }
    if (position_ == 0) {
      gain_from_ = gain_to_;
      gain_db_ = gain_db_for(gain_to_db(std::max(envelope_, 1e-6f)));
      gain_to_ = db_to_gain(gain_db_);
    }
    const std::size_t n = std::min<std::size_t>(frames - i, kStep - position_);
    float* const l = left.data() + i;
    float* const r = right.data() + i;
    float* const peak = peaks_.data() + position_;
    for (std::size_t k = 0; k < n; ++k) peak[k] = std::max(std::fabs(l[k]), std::fabs(r[k]));
    const float step = (gain_to_ - gain_from_) / static_cast<float>(kStep);
    const float from = gain_from_;
    const auto pos0 = static_cast<float>(position_ + 1);
    const int count = static_cast<int>(n);  // int: the conversion vectorises
    for (int k = 0; k < count; ++k) {
      const float g = from + step * (pos0 + static_cast<float>(k));
      l[k] *= g;
      r[k] *= g;
    }
    position_ += static_cast<unsigned>(n);
    i += n;
  }
}

}  // namespace auralis::synthesis::dsp
