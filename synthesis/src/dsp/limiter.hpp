// Look-ahead brick-wall limiter, true-peak aware. The detector takes each sample's peak and
// the two neighbouring inter-sample midpoints (4-tap half-band estimate), the required gain is
// held over the look-ahead window (sliding minimum), released exponentially, then smoothed by
// a moving average of the same length. The average of values that are all <= the gain a
// sample needs is itself <= it, so the ceiling holds exactly, with a linear attack ramp and no
// distortion from instant gain steps. Output is delayed by look-ahead + 1 samples.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace auralis::synthesis::dsp {

struct LimiterParams {
  float ceiling_db = -2.0f;     // the true-peak estimate reads ~0.5 dB low on percussion
  int lookahead_samples = 120;  // 2.5 ms at 48 kHz; at most kMaxLookahead
  float release_s = 0.15f;
};

class Limiter {
 public:
  static constexpr int kMaxLookahead = 250;

  explicit Limiter(float sample_rate_hz = 48000, LimiterParams params = {});

  void process(std::span<float> left, std::span<float> right);
  void reset();
  int latency_samples() const { return lookahead_ + 1; }
  float gain() const { return last_gain_; }  // latest applied gain (1 = not limiting)

 private:
  static constexpr std::uint32_t kRing = 256;  // > kMaxLookahead + 3 + a chunk, power of two
  static constexpr std::uint32_t kMask = kRing - 1;
  static constexpr std::uint32_t kChunk = 64;  // frames per quiet-path decision

  // Per-sample reference path for `n` frames (any state).
  void process_exact(float* left, float* right, std::size_t n);
  // The same frames when nothing is being limited; false (nothing done) if the state or the
  // input needs the exact path. Bit-identical to process_exact() whenever it returns true.
  bool process_quiet(float* left, float* right, std::size_t n);

  float ceiling_;
  int lookahead_;
  float release_coef_;

  // Input history for the inter-sample estimate, per channel: x[n-1], x[n-2], x[n-3].
  std::array<float, 2> h1_{}, h2_{}, h3_{};
  float prev_mid_ = 0;  // |midpoint| between x[n-3] and x[n-2], both channels

  // Monotonic deque of (index, required gain) for the sliding minimum.
  std::array<std::uint32_t, kRing> dq_index_{};
  std::array<float, kRing> dq_gain_{};
  std::uint32_t dq_head_ = 0, dq_tail_ = 0;

  float envelope_ = 1;
  std::array<float, kRing> env_ring_{};  // released gains, for the moving average
  double env_sum_ = 0;

  std::array<float, kRing> delay_left_{}, delay_right_{};
  std::uint32_t index_ = 0;       // detector index of the sample being decided
  std::uint32_t steady_ = kRing;  // trailing run of equal values in env_ring_ (saturating)
  float last_gain_ = 1;
};

}  // namespace auralis::synthesis::dsp
