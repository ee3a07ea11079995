// Look-ahead limiter: detector, sliding minimum, release, moving average, delayed audio.
// Most of the time nothing is limited: the sliding minimum holds one entry of 1, the released
// gain sits at its fixed point and the moving average is constant. Chunks in that state (and
// whose input needs no gain) take a vectorised path that produces the same bits.
#include "dsp/limiter.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr std::uint32_t kSteadyCap = 1u << 20;
constexpr std::uint32_t kResumEvery = 4096;  // exact re-sum of the moving average (power of two)
// The quiet path's screen: samples under this fraction of the ceiling cannot make a peak over
// it (1 / 1.25, less a margin for the midpoint's rounding).
constexpr float kScreen = 0.79f;

// The release step, shared by both paths so that they round alike.
inline float released(float held, float envelope, float release) {
  return std::min(held, envelope + release * (1.0f - envelope));
}
// |midpoint| between x[n-2] and x[n-1] from four neighbours (cubic half-band estimate).
inline float midpoint(float h3, float h2, float h1, float x) {
  return (9.0f * (h2 + h1) - (h3 + x)) * (1.0f / 16.0f);
}
}  // namespace

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
  steady_ = kSteadyCap;
  delay_left_.fill(0);
  delay_right_.fill(0);
  index_ = 0;
  last_gain_ = 1;
}

inline __attribute__((always_inline)) bool Limiter::process_quiet(float* left, float* right,
                                                                  std::size_t n) {
  const auto window = static_cast<std::uint32_t>(lookahead_);
  const float envelope = envelope_;
  if (n < 4 || dq_tail_ - dq_head_ != 1 || dq_gain_[dq_head_ & kMask] != 1.0f || steady_ < window ||
      released(1.0f, envelope, release_coef_) != envelope)
    return false;
  const std::uint32_t index = index_;
  // Ring positions [at, at + length) as at most two contiguous runs.
  auto runs = [](std::uint32_t at, std::size_t length, auto&& fn) {
    const std::uint32_t start = at & kMask;
    const std::size_t first = std::min<std::size_t>(length, kRing - start);
    fn(start, 0, first);
    if (first < length) fn(0, first, length - first);
  };
  // The delay ring holds input x[j] at detector index j + 2 (process_exact writes x[n-2] at
  // n): this chunk's inputs go in now, two of them ahead of the detector, where the exact path
  // would write the same values. In the same pass, the largest |x| (as bits, which order like
  // the values: an integer max reduction, which vectorises).
  // The two inputs before the chunk go in too, should the chunk before have been exact.
  const auto bits = [](float x) { return std::bit_cast<std::uint32_t>(x) & 0x7fffffffu; };
  for (std::uint32_t k = 0; k < 2; ++k) {
    delay_left_[(index + k) & kMask] = k == 0 ? h2_[0] : h1_[0];
    delay_right_[(index + k) & kMask] = k == 0 ? h2_[1] : h1_[1];
  }
  std::uint32_t largest = 0;
  for (int c = 0; c < 2; ++c)
    largest = std::max({largest, bits(h1_[c]), bits(h2_[c]), bits(h3_[c])});
  runs(index + 2, n, [&](std::uint32_t at, std::size_t from, std::size_t count) {
    float* const dl = delay_left_.data() + at;
    float* const dr = delay_right_.data() + at;
    const float* const xl = left + from;
    const float* const xr = right + from;
    std::uint32_t m = 0;
    for (std::size_t k = 0; k < count; ++k) {
      dl[k] = xl[k];
      dr[k] = xr[k];
      m = std::max(m, std::max(bits(xl[k]), bits(xr[k])));
    }
    largest = std::max(largest, m);
  });
  float last_mid;  // the chunk's last midpoint, for the next chunk
  if (std::bit_cast<float>(largest) <= kScreen * ceiling_ && prev_mid_ <= ceiling_) {
    // A midpoint is at most (9 + 9 + 1 + 1) / 16 = 1.25 times the largest of its four
    // neighbours: with every sample in reach under ceiling / 1.25 (kScreen leaves room for
    // rounding) no frame needs gain, and only the last midpoint is kept for the next chunk.
    const float* l = left + n - 4;
    const float* r = right + n - 4;
    last_mid = std::max(std::fabs(midpoint(l[0], l[1], l[2], l[3])),
                        std::fabs(midpoint(r[0], r[1], r[2], r[3])));
  } else {
    // Inputs with three frames of history in front: e[3 + k] = x[k].
    alignas(32) float el[kChunk + 3], er[kChunk + 3];
    el[0] = h3_[0], el[1] = h2_[0], el[2] = h1_[0];
    er[0] = h3_[1], er[1] = h2_[1], er[2] = h1_[1];
    std::copy_n(left, n, el + 3);
    std::copy_n(right, n, er + 3);
    alignas(32) float mid[kChunk + 1];
    // mid[k + 1]: |midpoint| after frame k - 2; mid[0] the one before.
    mid[0] = prev_mid_;
    for (std::size_t k = 0; k < n; ++k) {
      const float ml = midpoint(el[k], el[k + 1], el[k + 2], el[k + 3]);
      const float mr = midpoint(er[k], er[k + 1], er[k + 2], er[k + 3]);
      mid[k + 1] = std::max(std::fabs(ml), std::fabs(mr));
    }
    // Any frame that needs gain sends the chunk to the exact path (a NaN peak compares above
    // the ceiling, and the exact path deals with it).
    std::uint32_t worst = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const float sample = std::max(std::fabs(el[k + 1]), std::fabs(er[k + 1]));
      const float around = std::max(mid[k + 1], mid[k]);
      worst = std::max(worst, std::bit_cast<std::uint32_t>(std::max(sample, around)));
    }
    if (worst > std::bit_cast<std::uint32_t>(ceiling_)) return false;
    last_mid = mid[n];
  }

  // Every frame needs gain 1: the deque keeps one entry of 1 (the newest index), the released
  // gain stays at its fixed point, and the moving average adds exact zeros.
  runs(index, n, [&](std::uint32_t at, std::size_t, std::size_t count) {
    float* const ring = env_ring_.data() + at;
    for (std::size_t k = 0; k < count; ++k) ring[k] = envelope;
  });
  if ((index & (kResumEvery - 1)) == 0) {
    double sum = 0;
    for (std::uint32_t k = 0; k < window; ++k) sum += env_ring_[(index - k) & kMask];
    env_sum_ = sum;
  }
  const float gain =
      std::min(1.0f, static_cast<float>(env_sum_) * (1.0f / static_cast<float>(lookahead_)));
  h1_ = {left[n - 1], right[n - 1]};
  h2_ = {left[n - 2], right[n - 2]};
  h3_ = {left[n - 3], right[n - 3]};
  runs(index - window + 1, n, [&](std::uint32_t at, std::size_t from, std::size_t count) {
    const float* dl = delay_left_.data() + at;
    const float* dr = delay_right_.data() + at;
    for (std::size_t k = 0; k < count; ++k) {
      left[from + k] = dl[k] * gain;
      right[from + k] = dr[k] * gain;
    }
  });
  const auto count = static_cast<std::uint32_t>(n);
  dq_index_[dq_head_ & kMask] = index + count - 1;
  prev_mid_ = last_mid;
  steady_ = std::min(kSteadyCap, steady_ + count);
  last_gain_ = gain;
  index_ = index + count;
  return true;
}

inline __attribute__((always_inline)) void Limiter::process_exact(float* left, float* right,
                                                                  std::size_t frames) {
  const auto window = static_cast<std::uint32_t>(lookahead_);
  const float inv_window = 1.0f / static_cast<float>(lookahead_);
  const float ceiling = ceiling_, release = release_coef_;
  // Scalars in locals so they stay in registers while the rings are written.
  float h1l = h1_[0], h1r = h1_[1], h2l = h2_[0], h2r = h2_[1], h3l = h3_[0], h3r = h3_[1];
  float prev_mid = prev_mid_, envelope = envelope_, gain = last_gain_;
  double env_sum = env_sum_;
  std::uint32_t index = index_, head = dq_head_, tail = dq_tail_, steady = steady_;
  std::uint32_t* const dq_index = dq_index_.data();
  float* const dq_gain = dq_gain_.data();
  float* const env_ring = env_ring_.data();
  float* const delay_l = delay_left_.data();
  float* const delay_r = delay_right_.data();
  for (std::size_t i = 0; i < frames; ++i) {
    const float xl = left[i], xr = right[i];
    const float mid =
        std::max(std::fabs(midpoint(h3l, h2l, h1l, xl)), std::fabs(midpoint(h3r, h2r, h1r, xr)));
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

    envelope = released(held, envelope, release);
    env_sum += static_cast<double>(envelope) - env_ring[(index - window) & kMask];
    steady = envelope == env_ring[(index - 1) & kMask] ? std::min(kSteadyCap, steady + 1) : 1;
    env_ring[index & kMask] = envelope;
    // The running sum drifts by rounding; recompute it exactly now and then.
    if ((index & (kResumEvery - 1)) == 0) {
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
  steady_ = steady;
}

AURALIS_DSP_CLONES
void Limiter::process(std::span<float> left, std::span<float> right) {
  const std::size_t frames = std::min(left.size(), right.size());
  // The quiet path writes the delay ring two frames ahead of the detector before it reads the
  // chunk's output: both spans must fit in the ring together.
  const std::size_t max_chunk = std::min<std::size_t>(kChunk, kRing - 1 - lookahead_);
  std::size_t i = 0;
  while (i < frames) {
    // A re-sum index only ever starts a chunk, so the quiet path sees at most one, first.
    const std::uint32_t to_resum = kResumEvery - (index_ & (kResumEvery - 1));
    const std::size_t n = std::min<std::size_t>({frames - i, max_chunk, to_resum});
    if (!process_quiet(left.data() + i, right.data() + i, n))
      process_exact(left.data() + i, right.data() + i, n);
    i += n;
  }
}

}  // namespace auralis::synthesis::dsp
