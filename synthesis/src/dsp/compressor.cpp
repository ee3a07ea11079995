// Feed-forward soft-knee compressor with control-rate gain.
#include "dsp/compressor.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr unsigned kStep = 64;
}

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
  // The detector, env += coef * (peak - env) with the attack coefficient when peak > env, is
  // the larger of the attack and release steps (the smaller if attack were the slower), each
  // written as one multiply-add on the envelope so that the serial chain is short.
  const float attack = attack_coef_, release = release_coef_;
  const float keep_attack = 1.0f - attack, keep_release = 1.0f - release;
  const bool attack_faster = attack >= release;
  alignas(32) float by_attack[kStep], by_release[kStep];
  std::size_t i = 0;
  while (i < frames) {
    if (position_ == kStep) position_ = 0;
    if (position_ == 0) {
      gain_from_ = gain_to_;
      gain_db_ = gain_db_for(gain_to_db(std::max(envelope_, 1e-6f)));
      gain_to_ = db_to_gain(gain_db_);
    }
    const std::size_t n = std::min<std::size_t>(frames - i, kStep - position_);
    float* const l = left.data() + i;
    float* const r = right.data() + i;
    for (std::size_t k = 0; k < n; ++k) {
      const float peak = std::max(std::fabs(l[k]), std::fabs(r[k]));
      by_attack[k] = attack * peak;
      by_release[k] = release * peak;
    }
    float env = envelope_;
    if (attack_faster) {
      for (std::size_t k = 0; k < n; ++k)
        env = std::max(keep_attack * env + by_attack[k], keep_release * env + by_release[k]);
    } else {
      for (std::size_t k = 0; k < n; ++k)
        env = std::min(keep_attack * env + by_attack[k], keep_release * env + by_release[k]);
    }
    envelope_ = env;
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
