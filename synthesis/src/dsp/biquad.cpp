// Biquad designs from the RBJ audio-EQ cookbook formulas.
#include "dsp/biquad.hpp"

#include <cmath>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

namespace {
struct Proto {
  double cw, alpha;
};
Proto proto(float f_hz, float q, float fs_hz) {
  const double w = kTwoPi * f_hz / fs_hz;
  return {std::cos(w), std::sin(w) / (2.0 * q)};
}
BiquadCoefs normalise(double b0, double b1, double b2, double a0, double a1, double a2) {
  return {static_cast<float>(b0 / a0), static_cast<float>(b1 / a0), static_cast<float>(b2 / a0),
          static_cast<float>(a1 / a0), static_cast<float>(a2 / a0)};
}
}  // namespace

BiquadCoefs BiquadCoefs::highpass(float cutoff_hz, float q, float sample_rate_hz) {
  const auto [cw, alpha] = proto(cutoff_hz, q, sample_rate_hz);
  return normalise((1 + cw) / 2, -(1 + cw), (1 + cw) / 2, 1 + alpha, -2 * cw, 1 - alpha);
}

}  // namespace auralis::synthesis::dsp
