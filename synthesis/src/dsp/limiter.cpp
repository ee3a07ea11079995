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

AURALIS_DSP_CLONES
void Limiter::process(std::span<float> left, std::span<float> right) {
  const std::size_t frames = std::min(left.size(), right.size());
  const auto window = static_cast<std::uint32_t>(lookahead_);
  const float inv_window = 1.0f / static_cast<float>(lookahead_);
  const float ceiling = ceiling_, release = release_coef_;
  // Scalars in locals so they stay in registers while the rings are written.
  float h1l = h1_[0], h1r = h1_[1], h2l = h2_[0], h2r = h2_[1], h3l = h3_[0], h3r = h3_[1];
  float prev_mid = prev_mid_, envelope = envelope_, gain = last_gain_;
  double env_sum = env_sum_;
  std::uint32_t index = index_, head = dq_head_, tail = dq_tail_;
  std::uint32_t* const dq_index = dq_index_.data();
  float* const dq_gain = dq_gain_.data();
  float* const env_ring = env_ring_.data();
  float* const delay_l = delay_left_.data();
  float* const delay_r = delay_right_.data();
  for (std::size_t i = 0; i < frames; ++i) {
    const float xl = left[i], xr = right[i];
    // Midpoint between x[n-2] and x[n-1] from four neighbours (cubic half-band estimate).
    const float ml = (9.0f * (h2l + h1l) - (h3l + xl)) * (1.0f / 16.0f);
    const float mr = (9.0f * (h2r + h1r) - (h3r + xr)) * (1.0f / 16.0f);
    const float mid = std::max(std::fabs(ml), std::fabs(mr));
    // Peak around sample n-2: itself and the midpoints on both sides.
    const float peak = std::max(std::max(std::fabs(h2l), std::fabs(h2r)), std::max(mid, prev_mid));
    prev_mid = mid;
    // Delay the audio so that sample n-2 leaves after the look-ahead.
    delay_l[index & kMask] = h2l;
    delay_r[index & kMask] = h2r;
    h3l = h2l;
    h3r = h2r;
    h2l = h1l;
    h2r = h1r;
    h1l = xl;
    h1r = xr;

    const float need = peak > ceiling ? ceiling / peak : 1.0f;
    // Sliding minimum of `need` over the last `window` indices (monotonic deque).
    while (tail != head && dq_gain[(tail - 1) & kMask] >= need) --tail;
    dq_index[tail & kMask] = index;
    dq_gain[tail & kMask] = need;
    ++tail;
    if (index - dq_index[head & kMask] >= window) ++head;
    const float held = dq_gain[head & kMask];

    envelope = std::min(held, envelope + release * (1.0f - envelope));
    env_sum += static_cast<double>(envelope) - env_ring[(index - window) & kMask];
    env_ring[index & kMask] = envelope;
    // The running sum drifts by rounding; recompute it exactly now and then.
    if ((index & 4095u) == 0) {
      double sum = 0;
      for (std::uint32_t k = 0; k < window; ++k) sum += env_ring[(index - k) & kMask];
      env_sum = sum;
    }
    gain = std::min(1.0f, static_cast<float>(env_sum) * inv_window);

    const std::uint32_t out = index - window + 1;
    left[i] = delay_l[out & kMask] * gain;
    right[i] = delay_r[out & kMask] * gain;
    ++index;
  }
  h1_ = {h1l, h1r};
  h2_ = {h2l, h2r};
  h3_ = {h3l, h3r};
  prev_mid_ = prev_mid;
  envelope_ = envelope;
  last_gain_ = gain;
  env_sum_ = env_sum;
  index_ = index;
  dq_head_ = head;
  dq_tail_ = tail;
}

}  // namespace auralis::synthesis::dsp
