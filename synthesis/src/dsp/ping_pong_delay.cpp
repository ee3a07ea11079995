// Ping-pong delay: cross-fed lines with a low-passed loop.
#include "dsp/ping_pong_delay.hpp"

#include <algorithm>

#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr std::size_t kChunk = 64;  // frames per block (all shorter than the shortest delay)

// The delay's glide toward its target, one sample.
inline float glided(float d, float target, float glide) {
  return d + glide * (target - d);
}
}  // namespace

PingPongDelay::PingPongDelay(float sample_rate_hz, PingPongParams params)
    : sample_rate_hz_(sample_rate_hz),
      params_(params),
      // Room for a block written ahead of the longest read.
      left_line_(static_cast<int>(params.max_delay_s * sample_rate_hz) + 4 + kChunk),
      right_line_(static_cast<int>(params.max_delay_s * sample_rate_hz) + 4 + kChunk),
      glide_coef_(one_pole_coef_s(0.05f, sample_rate_hz)),
      max_samples_(params.max_delay_s * sample_rate_hz) {
  const double coef = one_pole_coef_hz(params.loop_cutoff_hz, sample_rate_hz);
  StateSpace<1> lowpass;  // s' = (1 - coef) s + coef x, y = s'
  lowpass.a[0][0] = 1.0 - coef;
  lowpass.b[0] = coef;
  lowpass.c[0] = 1.0 - coef;
  lowpass.d = coef;
  loop_lowpass_.set(lowpass);
}

void PingPongDelay::set_delay_s(float delay_s) {
  target_samples_ = std::clamp(delay_s * sample_rate_hz_, 2.0f, max_samples_);
  if (delay_samples_ < 0) delay_samples_ = target_samples_;
}

void PingPongDelay::reset() {
  left_line_.reset();
  right_line_.reset();
  loop_lowpass_.reset();
}

// Blocks no longer than the shortest delay inside them: every read sees only earlier blocks'
// writes, so the reads, the loop filter and the writes are each a loop over the block.
AURALIS_DSP_CLONES
void PingPongDelay::process(std::span<const float> in_left, std::span<const float> in_right,
                            std::span<float> out_left, std::span<float> out_right) {
  if (delay_samples_ < 0) delay_samples_ = target_samples_;
  const std::size_t frames =
      std::min({in_left.size(), in_right.size(), out_left.size(), out_right.size()});
  const float fb = params_.feedback, wet = params_.wet, glide = glide_coef_,
              target = target_samples_;
  float* const bl = left_line_.data();
  float* const br = right_line_.data();
  const std::uint32_t mask = left_line_.mask();
  std::uint32_t w = left_line_.write_index();
  float d = delay_samples_;
  alignas(32) float yl[kChunk], yr[kChunk], xl[kChunk], xr[kChunk], tl[kChunk + 1], tr[kChunk + 1];
  std::size_t i = 0;
  while (i < frames) {
    // The delay only moves toward the target: its whole part stays >= that of the smaller.
    const auto shortest = static_cast<std::size_t>(std::min(d, target));
    const std::size_t n = std::min({frames - i, kChunk, std::max<std::size_t>(shortest, 1)});
    const float* const l = in_left.data() + i;
    const float* const r = in_right.data() + i;
    float* const ol = out_left.data() + i;
    float* const orr = out_right.data() + i;
    if (glided(d, target, glide) == d) {
      // Settled: a fixed read distance, so both taps are contiguous runs.
      const auto whole = static_cast<std::uint32_t>(d);
      const float frac = d - static_cast<float>(whole);
      // t[k] = line[w + k - whole - 1], in place unless the run wraps.
      const std::uint32_t from = (w - whole - 1) & mask;
      const float* sl = bl + from;
      const float* sr = br + from;
      if (from + n + 1 > mask + 1) {
        const std::size_t first = mask + 1 - from;
        std::copy_n(bl + from, first, tl);
        std::copy_n(bl, n + 1 - first, tl + first);
        std::copy_n(br + from, first, tr);
        std::copy_n(br, n + 1 - first, tr + first);
        sl = tl;
        sr = tr;
      }
      for (std::size_t k = 0; k < n; ++k) {
        yl[k] = sl[k + 1] + frac * (sl[k] - sl[k + 1]);
        yr[k] = sr[k + 1] + frac * (sr[k] - sr[k + 1]);
      }
    } else {
      for (std::size_t k = 0; k < n; ++k) {
        d = glided(d, target, glide);
        const auto whole = static_cast<std::uint32_t>(d);
        const float frac = d - static_cast<float>(whole);
        const std::uint32_t at = w + static_cast<std::uint32_t>(k);
        const std::uint32_t r0 = (at - whole) & mask, r1 = (at - whole - 1) & mask;
        yl[k] = bl[r0] + frac * (bl[r1] - bl[r0]);
        yr[k] = br[r0] + frac * (br[r1] - br[r0]);
      }
    }
    // The mono input enters the left line, each repeat crosses to the other side through the
    // loop low-pass (a block filter: no per-sample chain).
    for (std::size_t k = 0; k < n; ++k) {
      xl[k] = 0.5f * (l[k] + r[k]) + fb * yr[k];
      xr[k] = fb * yl[k];
    }
    // The loop low-pass writes straight into the lines unless the write wraps.
    const std::uint32_t at = w & mask;
    const std::size_t first = std::min<std::size_t>(n, mask + 1 - at);
    {
      const float* in2[2] = {xl, xr};
      if (first == n) {
        float* out2[2] = {bl + at, br + at};
        loop_lowpass_.process(in2, out2, n);
      } else {
        float* io[2] = {xl, xr};
        loop_lowpass_.process(in2, io, n);
        std::copy_n(xl, first, bl + at);
        std::copy_n(xl + first, n - first, bl);
        std::copy_n(xr, first, br + at);
        std::copy_n(xr + first, n - first, br);
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      ol[k] = l[k] + wet * yl[k];
      orr[k] = r[k] + wet * yr[k];
    }
    w += static_cast<std::uint32_t>(n);
    i += n;
  }
  left_line_.set_write_index(w);
  right_line_.set_write_index(w);
  delay_samples_ = d;
}

}  // namespace auralis::synthesis::dsp
