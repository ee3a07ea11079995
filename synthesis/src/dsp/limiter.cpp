// Look-ahead limiter: detector, sliding minimum, release, moving average, delayed audio.
#include "dsp/limiter.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

Limiter::Limiter(float sample_rate_hz, LimiterParams params)
    : ceiling_(db_to_gain(params.ceiling_db)),
      lookahead_(std::clamp(params.lookahead_samples, 1, kMaxLookahead)),
      release_coef_(one_pole_coef_s(params.release_s, sample_rate_hz)) {
  reset();
}

void Limiter::reset() {
  h1_.fill(0);
  h2_.fill(0);
  h3_.fill(0);
  prev_mid_ = 0;
  dq_head_ = dq_tail_ = 0;
  envelope_ = 1;
  env_ring_.fill(1.0f);
  env_sum_ = lookahead_;
  delay_left_.fill(0);
  delay_right_.fill(0);
  index_ = 0;
  last_gain_ = 1;
}

void Limiter::process(std::span<float> left, std::span<float> right) {
  const std::size_t frames = std::min(left.size(), right.size());
  const auto window = static_cast<std::uint32_t>(lookahead_);
  const float inv_window = 1.0f / static_cast<float>(lookahead_);
  for (std::size_t i = 0; i < frames; ++i) {
    const float xl = left[i], xr = right[i];
    // Midpoint between x[n-2] and x[n-1] from four neighbours (cubic half-band estimate).
    const float ml = (9.0f * (h2_[0] + h1_[0]) - (h3_[0] + xl)) * (1.0f / 16.0f);
    const float mr = (9.0f * (h2_[1] + h1_[1]) - (h3_[1] + xr)) * (1.0f / 16.0f);
    const float mid = std::max(std::fabs(ml), std::fabs(mr));
    // Peak around sample n-2: itself and the midpoints on both sides.
    const float peak = std::max({std::fabs(h2_[0]), std::fabs(h2_[1]), mid, prev_mid_});
    prev_mid_ = mid;
    // Delay the audio so that sample n-2 leaves after the look-ahead.
    delay_left_[index_ & kMask] = h2_[0];
    delay_right_[index_ & kMask] = h2_[1];
    h3_ = h2_;
    h2_ = h1_;
    h1_ = {xl, xr};

    const float need = peak > ceiling_ ? ceiling_ / peak : 1.0f;
    // Sliding minimum of `need` over the last `window` indices.
    while (dq_tail_ != dq_head_ && dq_gain_[(dq_tail_ - 1) & kMask] >= need) --dq_tail_;
    dq_index_[dq_tail_ & kMask] = index_;
    dq_gain_[dq_tail_ & kMask] = need;
    ++dq_tail_;
    if (index_ - dq_index_[dq_head_ & kMask] >= window) ++dq_head_;
    const float held = dq_gain_[dq_head_ & kMask];

    envelope_ = std::min(held, envelope_ + release_coef_ * (1.0f - envelope_));
    env_sum_ += static_cast<double>(envelope_) - env_ring_[(index_ - window) & kMask];
    env_ring_[index_ & kMask] = envelope_;
    // The running sum drifts by rounding; recompute it exactly now and then.
    if ((index_ & 4095u) == 0) {
      double s = 0;
      for (std::uint32_t k = 0; k < window; ++k) s += env_ring_[(index_ - k) & kMask];
      env_sum_ = s;
    }
    const float gain = std::min(1.0f, static_cast<float>(env_sum_) * inv_window);

    const std::uint32_t out = index_ - window + 1;
    left[i] = delay_left_[out & kMask] * gain;
    right[i] = delay_right_[out & kMask] * gain;
    last_gain_ = gain;
    ++index_;
  }
}

}  // namespace auralis::synthesis::dsp
