// Look-ahead limiter: detector, sliding minimum, release, moving average, delayed audio.
// Most of the time nothing is limited: the sliding minimum holds one entry of 1, the released
// gain sits at its fixed point and the moving average is constant. Chunks in that state (and
// whose input needs no gain) take a vectorised path that produces the same bits.
#include "dsp/limiter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr std::uint32_t kSteadyCap = 1u << 20;
constexpr std::uint32_t kResumEvery = 4096;  // exact re-sum of the moving average (power of two)

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
  if (dq_tail_ - dq_head_ != 1 || dq_gain_[dq_head_ & kMask] != 1.0f || steady_ < window ||
      released(1.0f, envelope, release_coef_) != envelope)
    return false;
  // Inputs with three frames of history in front: e[3 + k] = x[k].
  alignas(32) float el[kChunk + 3], er[kChunk + 3], mid[kChunk + 1];
  el[0] = h3_[0], el[1] = h2_[0], el[2] = h1_[0];
  er[0] = h3_[1], er[1] = h2_[1], er[2] = h1_[1];
  std::copy_n(left, n, el + 3);
  std::copy_n(right, n, er + 3);
  // mid[k + 1]: |midpoint| after frame k - 2; mid[0] the one before.
  mid[0] = prev_mid_;
  for (std::size_t k = 0; k < n; ++k) {
    const float ml = midpoint(el[k], el[k + 1], el[k + 2], el[k + 3]);
    const float mr = midpoint(er[k], er[k + 1], er[k + 2], er[k + 3]);
    mid[k + 1] = std::max(std::fabs(ml), std::fabs(mr));
  }
  // Any frame that needs gain sends the chunk to the exact path. Peaks are >= 0, so their bit
  // patterns order like their values: an integer max reduction, which vectorises (a NaN peak
  // compares above the ceiling, and the exact path deals with it).
  alignas(32) float peak[kChunk];
  const int frames = static_cast<int>(n);
  for (int k = 0; k < frames; ++k) {
    const float sample = std::max(std::fabs(el[k + 1]), std::fabs(er[k + 1]));
    const float around = std::max(mid[k + 1], mid[k]);
    peak[k] = std::max(sample, around);
  }
  std::uint32_t worst = 0;
  for (int k = 0; k < frames; ++k) {
    std::uint32_t bits;
    std::memcpy(&bits, &peak[k], sizeof bits);
    worst = std::max(worst, bits);
  }
  std::uint32_t ceiling_bits;
  std::memcpy(&ceiling_bits, &ceiling_, sizeof ceiling_bits);
  const bool over = worst > ceiling_bits;
  if (over) return false;

  // Every frame needs gain 1: the deque keeps one entry of 1 (the newest index), the released
  // gain stays at its fixed point, and the moving average adds exact zeros.
  const std::uint32_t index = index_;
  // Ring positions [at, at + n) as at most two contiguous runs.
  auto runs = [](std::uint32_t at, std::size_t length, auto&& fn) {
    const std::uint32_t start = at & kMask;
    const std::size_t first = std::min<std::size_t>(length, kRing - start);
    fn(start, 0, first);
    if (first < length) fn(0, first, length - first);
  };
  runs(index, n, [&](std::uint32_t at, std::size_t from, std::size_t count) {
    std::copy_n(el + 1 + from, count, delay_left_.data() + at);
    std::copy_n(er + 1 + from, count, delay_right_.data() + at);
    std::fill_n(env_ring_.data() + at, count, envelope);
  });
  if ((index & (kResumEvery - 1)) == 0) {
    double sum = 0;
    for (std::uint32_t k = 0; k < window; ++k) sum += env_ring_[(index - k) & kMask];
    env_sum_ = sum;
  }
  const float gain =
      std::min(1.0f, static_cast<float>(env_sum_) * (1.0f / static_cast<float>(lookahead_)));
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
  h1_ = {el[n + 2], er[n + 2]};
  h2_ = {el[n + 1], er[n + 1]};
  h3_ = {el[n], er[n]};
  prev_mid_ = mid[n];
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
  const std::size_t max_chunk = std::min<std::size_t>(kChunk, kRing - lookahead_);
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
