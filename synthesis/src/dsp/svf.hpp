// State-variable filters (trapezoidal, Simper/Zavalishin form) in N parallel lanes.
// The topology stays stable and click-free while its cutoff is modulated, which the pad's LFO
// and the texture sweep need; lanes run in lock-step so one loop filters N signals (SIMD).
#pragma once

#include <array>
#include <span>

namespace auralis::synthesis::dsp {

template <int N>
class SvfBank {
 public:
  // Per-lane response. Band-pass is normalised to unity gain at the centre frequency.
  void set_lowpass(int lane, float cutoff_hz, float q, float sample_rate_hz);
  void set_bandpass(int lane, float centre_hz, float q, float sample_rate_hz);
  void set_highpass(int lane, float cutoff_hz, float q, float sample_rate_hz);
  void reset();
  // Same response on another lane (stereo pairs) without redoing the tan().
  void copy_lane(int from, int to) {
    a1_[to] = a1_[from];
    a2_[to] = a2_[from];
    a3_[to] = a3_[from];
    m0_[to] = m0_[from];
    m1_[to] = m1_[from];
    m2_[to] = m2_[from];
  }

  // Filters N interleaved lanes in place: frame f of lane l is data[f * N + l].
  void process(std::span<float> interleaved) {
    const std::size_t frames = interleaved.size() / N;
    float* x = interleaved.data();
    // Locals: the compiler cannot prove `x` does not alias the members, and would otherwise
    // store and reload the state every sample.
    const auto a1 = a1_, a2 = a2_, a3 = a3_, m0 = m0_, m1 = m1_, m2 = m2_;
    auto ic1 = ic1_, ic2 = ic2_;
    for (std::size_t f = 0; f < frames; ++f, x += N) {
      for (int l = 0; l < N; ++l) {
        const float v0 = x[l];
        const float v3 = v0 - ic2[l];
        const float v1 = a1[l] * ic1[l] + a2[l] * v3;
        const float v2 = ic2[l] + a2[l] * ic1[l] + a3[l] * v3;
        ic1[l] = 2 * v1 - ic1[l];
        ic2[l] = 2 * v2 - ic2[l];
        x[l] = m0[l] * v0 + m1[l] * v1 + m2[l] * v2;
      }
    }
    ic1_ = ic1;
    ic2_ = ic2;
  }

 private:
  void set(int lane, float cutoff_hz, float q, float sample_rate_hz, float m0, float m1_per_k,
           float m2);

  alignas(32) std::array<float, N> a1_{}, a2_{}, a3_{}, m0_{}, m1_{}, m2_{};
  alignas(32) std::array<float, N> ic1_{}, ic2_{};
};

// A single stereo/mono convenience is just a bank: SvfBank<1>, SvfBank<2>.

}  // namespace auralis::synthesis::dsp
