// BS.1770 K-weighting, block energies and the gated integration.
#include "dsp/loudness_meter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

namespace {
// ITU-R BS.1770-4, 48 kHz: pre-filter (high shelf, +4 dB) and RLB high-pass.
constexpr BiquadCoefs kShelf{1.53512485958697f, -2.69169618940638f, 1.19839281085285f,
                             -1.69065929318241f, 0.73248077421585f};
constexpr BiquadCoefs kRlb{1.0f, -2.0f, 1.0f, -1.99004745483398f, 0.99007225036621f};
constexpr double kAbsoluteGateLufs = -70.0;
}  // namespace

LoudnessMeter::LoudnessMeter() : shelf_coefs_(kShelf), highpass_coefs_(kRlb) {}

void LoudnessMeter::reset() {
  state_.fill(0);
  accumulator_ = 0;
  accumulated_frames_ = 0;
  sub_energy_.fill(0);
  blocks_ = 0;
  hist_count_.fill(0);
  hist_energy_.fill(0);
}

double LoudnessMeter::energy_to_lufs(double energy) {
  if (energy <= 0) return -std::numeric_limits<double>::infinity();
  return -0.691 + 10.0 * std::log10(energy);
}

AURALIS_DSP_CLONES
void LoudnessMeter::process(std::span<const float> left, std::span<const float> right) {
  const std::size_t frames = std::min(left.size(), right.size());
  // Both K-weighting stages in one loop (the CPU overlaps their recursions), coefficients and
  // state in locals; the block's energy is summed in float per chunk, then in double.
  const BiquadCoefs s = shelf_coefs_, h = highpass_coefs_;
  auto st = state_;
  std::size_t i = 0;
  while (i < frames) {
    // Chunks stop at sub-block ends so every block's energy is exactly its own samples.
    const std::size_t n = std::min<std::size_t>(
        {frames - i, 256, static_cast<std::size_t>(kSubBlockFrames - accumulated_frames_)});
    float sum = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const float in[2] = {left[i + k], right[i + k]};
      for (int c = 0; c < 2; ++c) {
        float* z = &st[4 * c];
        const float y1 = s.b0 * in[c] + z[0];
        z[0] = s.b1 * in[c] - s.a1 * y1 + z[1];
        z[1] = s.b2 * in[c] - s.a2 * y1;
        const float y2 = h.b0 * y1 + z[2];
        z[2] = h.b1 * y1 - h.a1 * y2 + z[3];
        z[3] = h.b2 * y1 - h.a2 * y2;
        sum += y2 * y2;
      }
    }
    accumulator_ += sum;
    accumulated_frames_ += static_cast<int>(n);
    if (accumulated_frames_ == kSubBlockFrames) finish_sub_block();
    i += n;
  }
  state_ = st;
}

void LoudnessMeter::finish_sub_block() {
  sub_energy_[blocks_ % kHistory] = accumulator_ / kSubBlockFrames;
  accumulator_ = 0;
  accumulated_frames_ = 0;
  ++blocks_;
  if (blocks_ >= 4) {
    // A new 400 ms gating block (75% overlap) enters the histogram.
    const double e = mean_of_last(4);
    const double lufs = energy_to_lufs(e);
    if (lufs > kAbsoluteGateLufs) {
      const int bin = std::clamp(static_cast<int>((lufs - kAbsoluteGateLufs) * 10.0), 0, kBins - 1);
      ++hist_count_[bin];
      hist_energy_[bin] += e;
    }
  }
}

double LoudnessMeter::mean_of_last(int count) const {
  const auto available = static_cast<int>(std::min<std::uint64_t>(blocks_, count));
  if (available == 0) return 0;
  double s = 0;
  for (int k = 1; k <= available; ++k) s += sub_energy_[(blocks_ - k) % kHistory];
  return s / count;
}

double LoudnessMeter::momentary_energy() const {
  return mean_of_last(4);
}
double LoudnessMeter::momentary_lufs() const {
  return energy_to_lufs(mean_of_last(4));
}
double LoudnessMeter::short_term_lufs() const {
  return energy_to_lufs(mean_of_last(kHistory));
}

double LoudnessMeter::integrated_lufs() const {
  double energy = 0;
  std::uint64_t count = 0;
  for (int b = 0; b < kBins; ++b) {
    energy += hist_energy_[b];
    count += hist_count_[b];
  }
  if (count == 0) return -std::numeric_limits<double>::infinity();
  const double relative_gate = energy_to_lufs(energy / static_cast<double>(count)) - 10.0;
  const int first =
      std::clamp(static_cast<int>(std::ceil((relative_gate - kAbsoluteGateLufs) * 10.0)), 0, kBins);
  energy = 0;
  count = 0;
  for (int b = first; b < kBins; ++b) {
    energy += hist_energy_[b];
    count += hist_count_[b];
  }
  if (count == 0) return -std::numeric_limits<double>::infinity();
  return energy_to_lufs(energy / static_cast<double>(count));
}

}  // namespace auralis::synthesis::dsp
