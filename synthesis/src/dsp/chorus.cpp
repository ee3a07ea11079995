// Stereo chorus: grid-evaluated LFO, fractional reads from power-of-two lines.
#include "dsp/chorus.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr std::int64_t kGrid = 64;
}  // namespace

StereoChorus::StereoChorus(float sample_rate_hz, ChorusParams params)
    : sample_rate_hz_(sample_rate_hz),
      params_(params),
      left_line_(static_cast<int>((params.base_delay_s + params.depth_s) * sample_rate_hz) + 4 +
                 kGrid),
      right_line_(static_cast<int>((params.base_delay_s + params.depth_s) * sample_rate_hz) + 4 +
                  kGrid),
      // A segment's inputs may go into the line before its taps are read when every delay is
      // longer than a segment (the line has room for the segment on top of the longest delay).
      segment_writes_first_((params.base_delay_s - params.depth_s) * sample_rate_hz > kGrid + 2) {
  for (int k = 0; k < kAnchorEvery; ++k) {
    const double angle =
        kTwoPi * std::fmod(static_cast<double>(k * kGrid) * params.rate_hz / sample_rate_hz, 1.0);
    step_cos_[k] = std::cos(angle);
    step_sin_[k] = std::sin(angle);
  }
}

void StereoChorus::reset() {
  left_line_.reset();
  right_line_.reset();
}

StereoChorus::Delays StereoChorus::delays_at(std::int64_t grid_frame) {
  // The LFO phase exactly (sin/cos) every kAnchorEvery grid points, turned by a tabled angle
  // in between: a pure function of the frame at a fraction of the cost.
  const std::int64_t point = grid_frame / kGrid;
  const std::int64_t anchor = point - ((point % kAnchorEvery) + kAnchorEvery) % kAnchorEvery;
  if (anchor != anchor_point_) {
    // Cycles since frame 0, reduced in double so the phase stays exact for weeks of audio.
    const double cycles =
        std::fmod(static_cast<double>(anchor * kGrid) * params_.rate_hz / sample_rate_hz_, 1.0);
    anchor_point_ = anchor;
    anchor_cos_ = std::cos(kTwoPi * cycles);
    anchor_sin_ = std::sin(kTwoPi * cycles);
  }
  const auto k = static_cast<std::size_t>(point - anchor);
  const double s = anchor_sin_ * step_cos_[k] + anchor_cos_ * step_sin_[k];
  const double c = anchor_cos_ * step_cos_[k] - anchor_sin_ * step_sin_[k];
  // Left follows sin, right a quarter cycle later (cos).
  const double base = params_.base_delay_s, depth = params_.depth_s;
  return {static_cast<float>((base + depth * s) * sample_rate_hz_),
          static_cast<float>((base + depth * c) * sample_rate_hz_)};
}

namespace {
// `count` samples of the line from index `from`: in place, or copied into `scratch` where they
// wrap.
inline const float* contiguous(const float* line, std::uint32_t mask, std::uint32_t from,
                               std::size_t count, float* scratch) {
  if (from + count <= mask + 1) return line + from;
  const std::size_t first = mask + 1 - from;
  std::copy_n(line + from, first, scratch);
  std::copy_n(line, count - first, scratch + first);
  return scratch;
}

// One channel of a grid segment: the inputs are already in the line (written at w, w+1, ...),
// and every delay is longer than the segment, so the taps only read older samples, in place
// (or from a local copy where they wrap), interpolated in a vectorisable loop.
inline __attribute__((always_inline)) void mix_taps(const float* line, std::uint32_t mask,
                                                    std::uint32_t w, float d0, float step,
                                                    float offset, float dry, float wet, float* io,
                                                    std::size_t n) {
  constexpr std::size_t kMax = 64;
  alignas(32) float d[kMax];
  alignas(32) int whole[kMax];
  alignas(32) float t[kMax + 2];
  const int count_i = static_cast<int>(n);  // int: the conversions vectorise
  int lo = INT_MAX, hi = INT_MIN;
  for (int k = 0; k < count_i; ++k) {
    d[k] = d0 + step * (offset + static_cast<float>(k));
    whole[k] = static_cast<int>(d[k]);
    lo = std::min(lo, whole[k]);
    hi = std::max(hi, whole[k]);
  }
  // The delay moves by well under a sample per segment, so the whole delays take at most two
  // values, hi and hi - 1, and every tap lies in one contiguous span of the line:
  // span[j] = line[w - hi - 1 + j]. Tap m reads span[m + 1] and span[m] where its whole delay
  // is hi, span[m + 2] and span[m + 1] where it is hi - 1: a blend, no gathers.
  if (hi - lo <= 1) {
    const float* span =
        contiguous(line, mask, (w - static_cast<std::uint32_t>(hi) - 1) & mask, n + 2, t);
    for (int m = 0; m < count_i; ++m) {
      const bool later = whole[m] != hi;
      const float a = later ? span[m + 2] : span[m + 1];
      const float b = later ? span[m + 1] : span[m];
      const float frac = d[m] - static_cast<float>(whole[m]);
      const float tap = a + frac * (b - a);
      io[m] = dry * io[m] + wet * tap;
    }
    return;
  }
  // Faster moving delays (other parameters): runs of equal whole delays, each contiguous.
  std::size_t k = 0;
  while (k < n) {
    const int back = whole[k];
    std::size_t end = k + 1;
    while (end < n && whole[end] == back) ++end;
    // t[m] = line[w + k + m - back - 1], m = 0 .. end - k.
    const float* src = contiguous(
        line, mask,
        (w + static_cast<std::uint32_t>(k - 1) - static_cast<std::uint32_t>(back)) & mask,
        end - k + 1, t);
    const float wb = static_cast<float>(back);
    for (std::size_t m = k; m < end; ++m) {
      const float frac = d[m] - wb;
      const float a = src[m - k + 1];
      const float tap = a + frac * (src[m - k] - a);
      io[m] = dry * io[m] + wet * tap;
    }
    k = end;
  }
}

// Copies n samples into the line at w (masked), split at the wrap.
inline void write_line(float* line, std::uint32_t mask, std::uint32_t w, const float* src,
                       std::size_t n) {
  const std::uint32_t at = w & mask;
  const std::size_t first = std::min<std::size_t>(n, mask + 1 - at);
  std::copy_n(src, first, line + at);
  std::copy_n(src + first, n - first, line);
}
}  // namespace

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
  std::int64_t next_grid = -1;  // a segment's end delays are the next one's start delays
  Delays next{};
  while (i < frames) {
    const std::int64_t frame = start_frame + static_cast<std::int64_t>(i);
    const std::int64_t grid = frame - ((frame % kGrid) + kGrid) % kGrid;
    const std::size_t n =
        std::min<std::size_t>(frames - i, static_cast<std::size_t>(grid + kGrid - frame));
    const Delays start = grid == next_grid ? next : delays_at(grid);
    const Delays end = delays_at(grid + kGrid);
    const float dl0 = start.left, dl1 = end.left, dr0 = start.right, dr1 = end.right;
    next_grid = grid + kGrid;
    next = end;
    const float step_l = (dl1 - dl0) / kGrid, step_r = (dr1 - dr0) / kGrid;
    const auto offset = static_cast<float>(frame - grid);
    if (segment_writes_first_) {
      write_line(bl, mask, w, left.data() + i, n);
      write_line(br, mask, w, right.data() + i, n);
      mix_taps(bl, mask, w, dl0, step_l, offset, dry, wet, left.data() + i, n);
      mix_taps(br, mask, w, dr0, step_r, offset, dry, wet, right.data() + i, n);
      w += static_cast<std::uint32_t>(n);
    } else {
      // Delays shorter than a segment: the per-sample reference.
      for (std::size_t k = 0; k < n; ++k) {
        const float pos = offset + static_cast<float>(k);
        const float xl = left[i + k], xr = right[i + k];
        bl[w & mask] = xl;
        br[w & mask] = xr;
        // Delay d behind the sample just written, linear interpolation.
        auto tap = [&](const float* b, float d) {
          const auto whole = static_cast<int>(d);
          const float frac = d - static_cast<float>(whole);
          const float a = b[(w - static_cast<std::uint32_t>(whole)) & mask];
          return a + frac * (b[(w - static_cast<std::uint32_t>(whole) - 1) & mask] - a);
        };
        const float wl = tap(bl, dl0 + step_l * pos);
        const float wr = tap(br, dr0 + step_r * pos);
        ++w;
        left[i + k] = dry * xl + wet * wl;
        right[i + k] = dry * xr + wet * wr;
      }
    }
    i += n;
  }
  left_line_.set_write_index(w);
  right_line_.set_write_index(w);
}

}  // namespace auralis::synthesis::dsp
