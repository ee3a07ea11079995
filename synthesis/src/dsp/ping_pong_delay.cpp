// Ping-pong delay: cross-fed lines with a low-passed loop.
#include "dsp/ping_pong_delay.hpp"

#include <algorithm>

namespace auralis::synthesis::dsp {

PingPongDelay::PingPongDelay(float sample_rate_hz, PingPongParams params)
    : sample_rate_hz_(sample_rate_hz),
      params_(params),
      left_line_(static_cast<int>(params.max_delay_s * sample_rate_hz) + 4),
      right_line_(static_cast<int>(params.max_delay_s * sample_rate_hz) + 4),
      glide_coef_(one_pole_coef_s(0.05f, sample_rate_hz)),
      max_samples_(params.max_delay_s * sample_rate_hz) {
  left_lp_.set_cutoff(params.loop_cutoff_hz, sample_rate_hz);
  right_lp_.set_cutoff(params.loop_cutoff_hz, sample_rate_hz);
}

void PingPongDelay::set_delay_s(float delay_s) {
  target_samples_ = std::clamp(delay_s * sample_rate_hz_, 2.0f, max_samples_);
  if (delay_samples_ < 0) delay_samples_ = target_samples_;
}

void PingPongDelay::reset() {
  left_line_.reset();
  right_line_.reset();
  left_lp_.reset();
  right_lp_.reset();
}

void PingPongDelay::process(std::span<float> left, std::span<float> right) {
  if (delay_samples_ < 0) delay_samples_ = target_samples_;
  const std::size_t frames = std::min(left.size(), right.size());
  const float fb = params_.feedback, wet = params_.wet;
  float d = delay_samples_;
  for (std::size_t i = 0; i < frames; ++i) {
    d += glide_coef_ * (target_samples_ - d);
    const float yl = left_line_.read_frac(d);
    const float yr = right_line_.read_frac(d);
    const float in = 0.5f * (left[i] + right[i]);
    left_line_.push(left_lp_.tick(in + fb * yr));
    right_line_.push(right_lp_.tick(fb * yl));
    left[i] += wet * yl;
    right[i] += wet * yr;
  }
  delay_samples_ = d;
}

}  // namespace auralis::synthesis::dsp
