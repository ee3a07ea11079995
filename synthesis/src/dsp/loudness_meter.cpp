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

LoudnessMeter::LoudnessMeter() {
  auto section = [](const BiquadCoefs& c) {
    return biquad_state_space(c.b0, c.b1, c.b2, c.a1, c.a2);
  };
  k_weighting_.set(cascade(section(kShelf), section(kRlb)));
}

void LoudnessMeter::reset() {
  k_weighting_.reset();
  k_weighting_.align(0);
  accumulator_.fill(0);
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
  alignas(32) float kl[256], kr[256];
  std::size_t i = 0;
  while (i < frames) {
    // Chunks stop at sub-block ends so every block's energy is exactly its own samples.
    const std::size_t n = std::min<std::size_t>(
        {frames - i, 256, static_cast<std::size_t>(kSubBlockFrames - accumulated_frames_)});
    const float* in[2] = {left.data() + i, right.data() + i};
    float* out[2] = {kl, kr};
    k_weighting_.process(in, out, n);
    // Lane of each frame: its position in the sub-block mod kLanes (sub-blocks are whole
    // lanes).
    std::size_t k = 0;
    auto acc = accumulator_;
    const auto lane0 = static_cast<std::size_t>(accumulated_frames_);
    constexpr std::size_t mask = kLanes - 1;
    for (; k < n && ((lane0 + k) & mask) != 0; ++k)
      acc[(lane0 + k) & mask] += kl[k] * kl[k] + kr[k] * kr[k];
    for (; k + kLanes <= n; k += kLanes)
      for (std::size_t l = 0; l < kLanes; ++l)
        acc[l] += kl[k + l] * kl[k + l] + kr[k + l] * kr[k + l];
    for (; k < n; ++k) acc[(lane0 + k) & mask] += kl[k] * kl[k] + kr[k] * kr[k];
    accumulator_ = acc;
    accumulated_frames_ += static_cast<int>(n);
    if (accumulated_frames_ == kSubBlockFrames) finish_sub_block();
    i += n;
  }
}

void LoudnessMeter::finish_sub_block() {
  double sum = 0;
  for (float lane : accumulator_) sum += lane;
  sub_energy_[blocks_ % kHistory] = sum / kSubBlockFrames;
  accumulator_.fill(0);
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
