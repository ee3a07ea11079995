// One-pole coefficients (y += coef * (x - y)) from a cutoff or a time constant: the delay's loop
// filter and glide, the compressor's and limiter's detectors.
#pragma once

#include <cmath>

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

}  // namespace auralis::synthesis::dsp
