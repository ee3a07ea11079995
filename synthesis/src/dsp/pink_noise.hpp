// Pinking filter: turns the texture stem's white noise (x envelope) into -3 dB/octave noise.
// Paul Kellet's "economy" three-pole approximation (published coefficients), +-0.5 dB from
// ~100 Hz up, which covers the texture band-pass (300 Hz - 4 kHz). N parallel lanes.
#pragma once

#include <array>
#include <span>

namespace auralis::synthesis::dsp {

template <int N>
class PinkFilter {
 public:
  void reset() {
    b0_.fill(0);
    b1_.fill(0);
    b2_.fill(0);
  }

  // In place over N interleaved lanes (frame f of lane l is data[f * N + l]).
  void process(std::span<float> interleaved) {
    const std::size_t frames = interleaved.size() / N;
    float* x = interleaved.data();
    auto b0 = b0_, b1 = b1_, b2 = b2_;  // locals: registers, not memory, across samples
    for (std::size_t f = 0; f < frames; ++f, x += N) {
      for (int l = 0; l < N; ++l) {
        const float w = x[l];
        b0[l] = 0.99765f * b0[l] + w * 0.0990460f;
        b1[l] = 0.96300f * b1[l] + w * 0.2965164f;
        b2[l] = 0.57000f * b2[l] + w * 1.0526913f;
        x[l] = kGain * (b0[l] + b1[l] + b2[l] + w * 0.1848f);
      }
    }
    b0_ = b0;
    b1_ = b1;
    b2_ = b2;
  }

  // The filter's raw broadband gain on white noise is ~4.5 (+13 dB); bring it back near unity.
  static constexpr float kGain = 0.22f;

 private:
  alignas(32) std::array<float, N> b0_{}, b1_{}, b2_{};
};

}  // namespace auralis::synthesis::dsp
