// Fixed-coefficient biquads (transposed direct form II) in N parallel lanes, for filters given
// as published z-domain coefficients (the BS.1770 K-weighting) or static designs (master HP).
#pragma once

#include <array>
#include <span>

namespace auralis::synthesis::dsp {

struct BiquadCoefs {
  float b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;  // a0 normalised to 1

  // RBJ cookbook designs (bilinear transform, pre-warped).
  static BiquadCoefs highpass(float cutoff_hz, float q, float sample_rate_hz);
  static BiquadCoefs lowpass(float cutoff_hz, float q, float sample_rate_hz);
};

template <int N>
class BiquadBank {
 public:
  void set(int lane, const BiquadCoefs& c) {
    b0_[lane] = c.b0;
    b1_[lane] = c.b1;
    b2_[lane] = c.b2;
    a1_[lane] = c.a1;
    a2_[lane] = c.a2;
  }
  void set_all(const BiquadCoefs& c) {
    for (int l = 0; l < N; ++l) set(l, c);
  }
  void reset() {
    s1_.fill(0);
    s2_.fill(0);
  }

  // Filters N interleaved lanes in place: frame f of lane l is data[f * N + l].
  void process(std::span<float> interleaved) {
    const std::size_t frames = interleaved.size() / N;
    float* x = interleaved.data();
    // Locals so the state lives in registers (see SvfBank::process).
    const auto b0 = b0_, b1 = b1_, b2 = b2_, a1 = a1_, a2 = a2_;
    auto s1 = s1_, s2 = s2_;
    for (std::size_t f = 0; f < frames; ++f, x += N) {
      for (int l = 0; l < N; ++l) {
        const float in = x[l];
        const float y = b0[l] * in + s1[l];
        s1[l] = b1[l] * in - a1[l] * y + s2[l];
        s2[l] = b2[l] * in - a2[l] * y;
        x[l] = y;
      }
    }
    s1_ = s1;
    s2_ = s2;
  }

 private:
  alignas(32) std::array<float, N> b0_{}, b1_{}, b2_{}, a1_{}, a2_{};
  alignas(32) std::array<float, N> s1_{}, s2_{};
};

}  // namespace auralis::synthesis::dsp
