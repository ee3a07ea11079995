// Coefficient design for the SVF bank (tan pre-warping keeps the cutoff exact at any rate).
#include "dsp/svf.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

template <int N>
void SvfBank<N>::set(int lane, float cutoff_hz, float q, float sample_rate_hz, float m0,
                     float m1_per_k, float m2) {
  // Keep the pre-warped frequency below Nyquist, where tan() diverges.
  const float fc = std::clamp(cutoff_hz, 1.0f, 0.49f * sample_rate_hz);
  const float g = std::tan(static_cast<float>(kPi) * fc / sample_rate_hz);
  const float k = 1.0f / std::max(q, 0.05f);
  const float a1 = 1.0f / (1.0f + g * (g + k));
  a1_[lane] = a1;
  a2_[lane] = g * a1;
  a3_[lane] = g * g * a1;
  m0_[lane] = m0;
  m1_[lane] = m1_per_k * k;
  m2_[lane] = m2;
}

template <int N>
void SvfBank<N>::set_lowpass(int lane, float cutoff_hz, float q, float sample_rate_hz) {
  set(lane, cutoff_hz, q, sample_rate_hz, 0, 0, 1);
}

template <int N>
void SvfBank<N>::set_bandpass(int lane, float centre_hz, float q, float sample_rate_hz) {
  set(lane, centre_hz, q, sample_rate_hz, 0, 1, 0);  // k * v1: unity peak
}

template <int N>
void SvfBank<N>::set_highpass(int lane, float cutoff_hz, float q, float sample_rate_hz) {
  // hp = v0 - k v1 - v2
  set(lane, cutoff_hz, q, sample_rate_hz, 1, -1, -1);
}

template <int N>
void SvfBank<N>::reset() {
  ic1_.fill(0);
  ic2_.fill(0);
}

template class SvfBank<1>;
template class SvfBank<2>;
template class SvfBank<4>;
template class SvfBank<8>;

}  // namespace auralis::synthesis::dsp
