// One-pole low-pass / smoother: the damping and loop filters inside the delay and reverb, and
// parameter smoothing. y += coef * (x - y), coef from a cutoff or a time constant.
#pragma once

#include <cmath>
#include <span>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

// Coefficient giving a -3 dB point near cutoff_hz (exact impulse-invariant pole).
inline float one_pole_coef_hz(float cutoff_hz, float sample_rate_hz) {
  return 1.0f - std::exp(static_cast<float>(-kTwoPi) * cutoff_hz / sample_rate_hz);
}
// Coefficient reaching 1 - 1/e of a step after time_s.
inline float one_pole_coef_s(float time_s, float sample_rate_hz) {
  return 1.0f - std::exp(-1.0f / (time_s * sample_rate_hz));
}

class OnePoleLowpass {
 public:
  void set_cutoff(float cutoff_hz, float sample_rate_hz) {
    coef_ = one_pole_coef_hz(cutoff_hz, sample_rate_hz);
  }
  void set_coef(float coef) { coef_ = coef; }
  void reset(float value = 0) { y_ = value; }
  float tick(float x) {
    y_ += coef_ * (x - y_);
    return y_;
  }
  void process(std::span<float> x) {
    for (float& v : x) v = tick(v);
  }
  float value() const { return y_; }

 private:
  float coef_ = 1;
  float y_ = 0;
};

}  // namespace auralis::synthesis::dsp
