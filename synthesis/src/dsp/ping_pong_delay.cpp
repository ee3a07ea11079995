// Ping-pong delay: cross-fed lines with a low-passed loop.
#include "dsp/ping_pong_delay.hpp"

#include <algorithm>

#include "dsp/dsp_common.hpp"

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

AURALIS_DSP_CLONES
void PingPongDelay::process(std::span<float> left, std::span<float> right) {
  if (delay_samples_ < 0) delay_samples_ = target_samples_;
  const std::size_t frames = std::min(left.size(), right.size());
  // Everything the loop touches in locals: the line buffers are floats, so the compiler would
  // otherwise assume each write may change the members and reload them every sample.
  const float fb = params_.feedback, wet = params_.wet, glide = glide_coef_,
              target = target_samples_;
  float* const bl = left_line_.data();
  float* const br = right_line_.data();
  const std::uint32_t mask = left_line_.mask();
  std::uint32_t w = left_line_.write_index();
  float d = delay_samples_;
  OnePoleLowpass lp_l = left_lp_, lp_r = right_lp_;
  for (std::size_t i = 0; i < frames; ++i) {
    d += glide * (target - d);
    const auto whole = static_cast<std::uint32_t>(d);
    const float frac = d - static_cast<float>(whole);
    // Read `d` samples back (before this sample's write), linear interpolation.
    const std::uint32_t r0 = (w - whole) & mask, r1 = (w - whole - 1) & mask;
    const float yl = bl[r0] + frac * (bl[r1] - bl[r0]);
    const float yr = br[r0] + frac * (br[r1] - br[r0]);
    const float in = 0.5f * (left[i] + right[i]);
    bl[w & mask] = lp_l.tick(in + fb * yr);
    br[w & mask] = lp_r.tick(fb * yl);
    ++w;
    left[i] += wet * yl;
    right[i] += wet * yr;
  }
  left_line_.set_write_index(w);
  right_line_.set_write_index(w);
  left_lp_ = lp_l;
  right_lp_ = lp_r;
  delay_samples_ = d;
}

}  // namespace auralis::synthesis::dsp
