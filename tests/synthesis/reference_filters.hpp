// Direct-form reference filters for the DSP tests: the textbook recursions the mixer's block
// state-space filters (synthesis/src/dsp/block_lti.hpp) are checked against, one sample at a
// time, in one lane. Test code only: the mixer runs the block forms.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>

#include "dsp/biquad.hpp"

namespace auralis::synthesis::testing {

// Trapezoidal state-variable filter (Simper/Zavalishin form), y = m0 x + m1 v1 + m2 v2.
class ReferenceSvf {
 public:
  void set_lowpass(float cutoff_hz, float q, float rate_hz) { set(cutoff_hz, q, rate_hz, 0, 0, 1); }
  // Unity gain at the centre.
  void set_bandpass(float centre_hz, float q, float rate_hz) {
    set(centre_hz, q, rate_hz, 0, 1, 0);
  }
  void set_highpass(float cutoff_hz, float q, float rate_hz) {
    set(cutoff_hz, q, rate_hz, 1, -1, -1);
  }
  void reset() { ic1_ = ic2_ = 0; }
  void process(std::span<float> x) {
    for (float& v : x) {
      const float v0 = v;
      const float v3 = v0 - ic2_;
      const float v1 = a1_ * ic1_ + a2_ * v3;
      const float v2 = ic2_ + a2_ * ic1_ + a3_ * v3;
      ic1_ = 2 * v1 - ic1_;
      ic2_ = 2 * v2 - ic2_;
      v = m0_ * v0 + m1_ * v1 + m2_ * v2;
    }
  }

 private:
  void set(float cutoff_hz, float q, float rate_hz, float m0, float m1_per_k, float m2) {
    const float fc = std::clamp(cutoff_hz, 1.0f, 0.49f * rate_hz);
    const float g = std::tan(std::numbers::pi_v<float> * fc / rate_hz);
    const float k = 1.0f / std::max(q, 0.05f);
    a1_ = 1.0f / (1.0f + g * (g + k));
    a2_ = g * a1_;
    a3_ = g * g * a1_;
    m0_ = m0;
    m1_ = m1_per_k * k;
    m2_ = m2;
  }
  float a1_ = 0, a2_ = 0, a3_ = 0, m0_ = 0, m1_ = 0, m2_ = 0, ic1_ = 0, ic2_ = 0;
};

// Biquad in transposed direct form II.
class ReferenceBiquad {
 public:
  explicit ReferenceBiquad(const dsp::BiquadCoefs& c) : c_(c) {}
  void reset() { s1_ = s2_ = 0; }
  void process(std::span<float> x) {
    for (float& v : x) {
      const float in = v;
      const float y = c_.b0 * in + s1_;
      s1_ = c_.b1 * in - c_.a1 * y + s2_;
      s2_ = c_.b2 * in - c_.a2 * y;
      v = y;
    }
  }

 private:
  dsp::BiquadCoefs c_;
  float s1_ = 0, s2_ = 0;
};

// Paul Kellet's economy pinking filter (three leaky integrators), scaled near unity gain.
class ReferencePink {
 public:
  static constexpr float kGain = 0.22f;
  void reset() { b0_ = b1_ = b2_ = 0; }
  void process(std::span<float> x) {
    for (float& v : x) {
      const float w = v;
      b0_ = 0.99765f * b0_ + w * 0.0990460f;
      b1_ = 0.96300f * b1_ + w * 0.2965164f;
      b2_ = 0.57000f * b2_ + w * 1.0526913f;
      v = kGain * (b0_ + b1_ + b2_ + w * 0.1848f);
    }
  }

 private:
  float b0_ = 0, b1_ = 0, b2_ = 0;
};

}  // namespace auralis::synthesis::testing
