// Stereo chorus: grid-evaluated LFO, fractional reads from power-of-two lines.
#include "dsp/chorus.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr std::int64_t kGrid = 64;
}

StereoChorus::StereoChorus(float sample_rate_hz, ChorusParams params)
    : sample_rate_hz_(sample_rate_hz),
      params_(params),
      left_line_(static_cast<int>((params.base_delay_s + params.depth_s) * sample_rate_hz) + 4),
      right_line_(static_cast<int>((params.base_delay_s + params.depth_s) * sample_rate_hz) + 4) {}

void StereoChorus::reset() {
  left_line_.reset();
  right_line_.reset();
}

float StereoChorus::delay_at(std::int64_t frame, int channel) const {
  // Cycles since frame 0, reduced in double so the phase stays exact for weeks of audio.
  const double cycles =
      std::fmod(static_cast<double>(frame) * params_.rate_hz / sample_rate_hz_, 1.0) +
      (channel == 0 ? 0.0 : 0.25);
  const double s = std::sin(kTwoPi * cycles);
  return static_cast<float>((params_.base_delay_s + params_.depth_s * s) * sample_rate_hz_);
}

AURALIS_DSP_CLONES
void StereoChorus::process(std::span<float> left, std::span<float> right,
                           std::int64_t start_frame) {
  const std::size_t frames = std::min(left.size(), right.size());
  float* const bl = left_line_.data();
  float* const br = right_line_.data();
  const std::uint32_t mask = left_line_.mask();
  std::uint32_t w = left_line_.write_index();
  const float dry = params_.dry, wet = params_.wet;
  std::size_t i = 0;
  while (i < frames) {
    const std::int64_t frame = start_frame + static_cast<std::int64_t>(i);
    const std::int64_t grid = frame - ((frame % kGrid) + kGrid) % kGrid;
    const std::size_t n =
        std::min<std::size_t>(frames - i, static_cast<std::size_t>(grid + kGrid - frame));
    const float dl0 = delay_at(grid, 0), dl1 = delay_at(grid + kGrid, 0);
    const float dr0 = delay_at(grid, 1), dr1 = delay_at(grid + kGrid, 1);
    const float step_l = (dl1 - dl0) / kGrid, step_r = (dr1 - dr0) / kGrid;
    const auto offset = static_cast<float>(frame - grid);
    for (std::size_t k = 0; k < n; ++k) {
      const float pos = offset + static_cast<float>(k);
      const float xl = left[i + k], xr = right[i + k];
      bl[w & mask] = xl;
      br[w & mask] = xr;
      // Delay d behind the sample just written, linear interpolation.
      auto tap = [&](const float* b, float d) {
        const auto whole = static_cast<std::uint32_t>(d);
        const float frac = d - static_cast<float>(whole);
        const float a = b[(w - whole) & mask];
        return a + frac * (b[(w - whole - 1) & mask] - a);
      };
      const float wl = tap(bl, dl0 + step_l * pos);
      const float wr = tap(br, dr0 + step_r * pos);
      ++w;
      left[i + k] = dry * xl + wet * wl;
      right[i + k] = dry * xr + wet * wr;
    }
    i += n;
  }
  left_line_.set_write_index(w);
  right_line_.set_write_index(w);
}

}  // namespace auralis::synthesis::dsp
