// Dattorro plate: delay lengths and taps are the paper's (at 29761 Hz), rescaled to our rate.
#include "dsp/plate_reverb.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr double kPaperRateHz = 29761.0;
int scaled(double paper_samples, double rate_hz) {
  return static_cast<int>(std::lround(paper_samples * rate_hz / kPaperRateHz));
}
}  // namespace

PlateReverb::PlateReverb(float sample_rate_hz, PlateParams params)
    : params_(params), rate_hz_(sample_rate_hz / 2) {
  const double r = rate_hz_;
  send_hp_ = BiquadCoefs::highpass(params.send_highpass_hz, 0.707f, rate_hz_);

  predelay_samples_ = std::max(1, static_cast<int>(params.predelay_s * rate_hz_));
  predelay_ = DelayLine(predelay_samples_);

  const double diffuser_len[4] = {142, 107, 379, 277};
  const float diffuser_gain[4] = {0.75f, 0.75f, 0.625f, 0.625f};
  for (int i = 0; i < 4; ++i) {
    diffusers_[i].length = scaled(diffuser_len[i], r);
    diffusers_[i].line = DelayLine(diffusers_[i].length);
    diffusers_[i].gain = diffuser_gain[i];
  }

  const auto excursion = static_cast<int>(std::ceil(params.excursion_samples)) + 2;
  auto make_tank = [&](Tank& t, double mod_len, double d1, double ap2, double d2) {
    t.mod_length = scaled(mod_len, r);
    t.mod_ap = DelayLine(t.mod_length + excursion);
    t.delay1_length = scaled(d1, r);
    t.delay1 = DelayLine(t.delay1_length);
    t.ap2.length = scaled(ap2, r);
    t.ap2.line = DelayLine(t.ap2.length);
    t.ap2.gain = 0.5f;  // decay diffusion 2
    t.delay2_length = scaled(d2, r);
    t.delay2 = DelayLine(t.delay2_length);
  };
  make_tank(a_, 672, 4453, 1800, 3720);
  make_tank(b_, 908, 4217, 2656, 3163);

  // Left: +B.d1[266] +B.d1[2974] -B.ap2[1913] +B.d2[1996] -A.d1[1990] -A.ap2[187] -A.d2[1066]
  // Right: +A.d1[353] +A.d1[3627] -A.ap2[1228] +A.d2[2673] -B.d1[2111] -B.ap2[335] -B.d2[121]
  const double paper_taps[14] = {266, 2974, 1913, 1996, 1990, 187, 1066,
                                 353, 3627, 1228, 2673, 2111, 335, 121};
  for (int i = 0; i < 14; ++i) taps_[i] = std::max(1, scaled(paper_taps[i], r));

  int shortest = predelay_samples_;
  for (const auto& d : diffusers_) shortest = std::min(shortest, d.length);
  for (const Tank* t : {&a_, &b_})
    shortest = std::min(
        {shortest, t->mod_length - excursion, t->delay1_length, t->ap2.length, t->delay2_length});
  for (int tap : taps_) shortest = std::min(shortest, tap);
  block_ = std::clamp(shortest, 1, kMaxBlock);

  // Send high-pass then band-limiting one-pole, as one block filter in front of the pre-delay
  // (both are linear and time-invariant, so they commute with it).
  StateSpace<1> bandlimit;
  bandlimit.a[0][0] = 1.0 - params.bandwidth;
  bandlimit.b[0] = params.bandwidth;
  bandlimit.c[0] = 1.0 - params.bandwidth;
  bandlimit.d = params.bandwidth;
  input_filter_.set(
      cascade(biquad_state_space(send_hp_.b0, send_hp_.b1, send_hp_.b2, send_hp_.a1, send_hp_.a2),
              bandlimit));
  // Tank damping, d += (1 - damping) (x - d), tanks A and B as two channels.
  StateSpace<1> damp;
  damp.a[0][0] = params.damping;
  damp.b[0] = 1.0 - params.damping;
  damp.c[0] = params.damping;
  damp.d = 1.0 - params.damping;
  damping_.set(damp);

  const double w = kTwoPi * params.mod_rate_hz / rate_hz_;
  for (std::uint32_t k = 0; k <= kLfoGrid; ++k) {
    lfo_step_cos_[k] = static_cast<float>(std::cos(k * w));
    lfo_step_sin_[k] = static_cast<float>(std::sin(k * w));
  }
}

void PlateReverb::reset() {
  input_filter_.reset();
  damping_.reset();
  tick_ = 0;
  predelay_.reset();
  for (auto& d : diffusers_) d.line.reset();
  for (Tank* t : {&a_, &b_}) {
    t->mod_ap.reset();
    t->delay1.reset();
    t->ap2.line.reset();
    t->delay2.reset();
  }
  a_feedback_ = b_feedback_ = 0;
  lfo_cos_ = 1;
  lfo_sin_ = 0;
  lfo_ticks_ = 0;
  have_half_ = false;
  pending_ = last_left_ = last_right_ = 0;
}

void PlateReverb::align(std::int64_t frame) {
  const std::int64_t pair = frame >= 0 ? frame / 2 : (frame - 1) / 2;  // floor
  have_half_ = frame != 2 * pair;
  pending_ = 0;
  input_filter_.align(pair);
  damping_.align(pair);
}

namespace {
// A delay line seen from the hot loops: buffer and mask; the write position is shared.
struct Line {
  float* buf;
  std::uint32_t mask;
  float at(std::uint32_t n, std::uint32_t back) const { return buf[(n - back) & mask]; }
  // `count` samples from index `from` (masked): in place when they do not wrap, else copied
  // into `scratch`.
  const float* view(std::uint32_t from, int count, float* scratch) const {
    const std::uint32_t start = from & mask;
    if (start + static_cast<std::uint32_t>(count) <= mask + 1) return buf + start;
    read(from, count, scratch);
    return scratch;
  }
  // Copies `count` samples starting at index `from` (masked) into dst, split at the wrap.
  void read(std::uint32_t from, int count, float* dst) const {
    const std::uint32_t start = from & mask;
    const auto first = std::min<std::uint32_t>(static_cast<std::uint32_t>(count), mask + 1 - start);
    std::copy_n(buf + start, first, dst);
    std::copy_n(buf, static_cast<std::uint32_t>(count) - first, dst + first);
  }
  void write(std::uint32_t from, int count, const float* src) const {
    const std::uint32_t start = from & mask;
    const auto first = std::min<std::uint32_t>(static_cast<std::uint32_t>(count), mask + 1 - start);
    std::copy_n(src, first, buf + start);
    std::copy_n(src + first, static_cast<std::uint32_t>(count) - first, buf);
  }
};
Line line_of(DelayLine& d) {
  return Line{d.data(), d.mask()};
}
}  // namespace

// The tick of the original per-sample loop, reordered stage by stage over the block: the
// recursions that read only delayed signals from earlier blocks (send filter, tank damping)
// run as block filters, the LFO comes from its value on a 64-tick grid, and everything else
// is an element-wise loop over the block. Lines are read in place unless a read wraps.
AURALIS_DSP_CLONES
void PlateReverb::run_ticks(const float* in, float* out_l, float* out_r, int count) {
  const std::uint32_t n0 = tick_;
  const Line pre = line_of(predelay_);
  const Line ma = line_of(a_.mod_ap), mb = line_of(b_.mod_ap);
  const Line d1a = line_of(a_.delay1), d1b = line_of(b_.delay1);
  const Line apa = line_of(a_.ap2.line), apb = line_of(b_.ap2.line);
  const Line d2a = line_of(a_.delay2), d2b = line_of(b_.delay2);
  const float decay = params_.decay, excursion = params_.excursion_samples;
  const auto u = [](int v) { return static_cast<std::uint32_t>(v); };
  const auto uc = static_cast<std::size_t>(count);

  alignas(32) float filtered[kMaxBlock], v[kMaxBlock];
  alignas(32) float lfo_s[kMaxBlock], lfo_c[kMaxBlock];
  alignas(32) float damp_a[kMaxBlock], damp_b[kMaxBlock];
  alignas(32) float fb_a[kMaxBlock], fb_b[kMaxBlock];  // each tank's output one tick earlier
  alignas(32) float t0[kMaxBlock], t1[kMaxBlock], scratch[kMaxBlock];

  // Send: high-pass and band-limit, then the pre-delay.
  {
    const float* x[1] = {in};
    float* y[1] = {filtered};
    input_filter_.process(x, y, uc);
  }
  std::copy_n(pre.view(n0 - u(predelay_samples_), count, scratch), count, v);
  pre.write(n0, count, filtered);

  // Reads of lines written at least a block ago.
  {
    const float* x[2] = {d1a.view(n0 - u(a_.delay1_length), count, t0),
                         d1b.view(n0 - u(b_.delay1_length), count, t1)};
    float* y[2] = {damp_a, damp_b};
    damping_.process(x, y, uc);
  }
  fb_a[0] = a_feedback_;
  fb_b[0] = b_feedback_;
  if (count > 1) {
    const float* ra = d2a.view(n0 - u(a_.delay2_length), count - 1, t0);
    const float* rb = d2b.view(n0 - u(b_.delay2_length), count - 1, t1);
    for (int k = 1; k < count; ++k) {
      fb_a[k] = ra[k - 1] * decay;
      fb_b[k] = rb[k - 1] * decay;
    }
  }

  // Quadrature LFO: tick T (counting rotations) is the grid value at T0 = the last multiple of
  // kLfoGrid before it, turned by T - T0 steps; the grid value is renormalised every 1024
  // ticks so that rounding never drifts it. Any block split gives the same values.
  {
    std::uint32_t t = lfo_ticks_;
    float ac = lfo_cos_, as = lfo_sin_;
    int k = 0;
    while (k < count) {
      const std::uint32_t into = t % kLfoGrid;  // steps since the grid value
      const int n = std::min(count - k, static_cast<int>(kLfoGrid - into));
      for (int j = 0; j < n; ++j) {
        const float c = lfo_step_cos_[into + 1 + static_cast<std::uint32_t>(j)];
        const float sn = lfo_step_sin_[into + 1 + static_cast<std::uint32_t>(j)];
        lfo_c[k + j] = ac * c - as * sn;
        lfo_s[k + j] = as * c + ac * sn;
      }
      k += n;
      t += static_cast<std::uint32_t>(n);
      if (t % kLfoGrid == 0) {
        ac = lfo_c[k - 1];
        as = lfo_s[k - 1];
        if (t % 1024u == 0) {
          const float norm = 1.0f / std::sqrt(ac * ac + as * as);
          ac *= norm;
          as *= norm;
          lfo_c[k - 1] = ac;
          lfo_s[k - 1] = as;
        }
      }
    }
    lfo_ticks_ = t;
    lfo_cos_ = ac;
    lfo_sin_ = as;
  }

  // Input diffusers (all-passes).
  for (auto& dif : diffusers_) {
    const Line l = line_of(dif.line);
    const float* dd = l.view(n0 - u(dif.length), count, scratch);
    const float g = dif.gain;
    for (int k = 0; k < count; ++k) {
      const float d = dd[k];
      const float w = v[k] - g * d;
      t1[k] = w;
      v[k] = d + g * w;
    }
    l.write(n0, count, t1);
  }

  // One tank half: modulated all-pass, delay 1 (its damped output is already in `damp`),
  // all-pass 2, delay 2.
  auto tank = [&](Tank & t, const Line& mod, const Line& d1, const Line& ap, const Line& d2,
                  const float* fb_other, const float* lfo, const float* damp)
      __attribute__((always_inline)) {
    const float g1 = -0.7f;
    const auto mod_len = static_cast<float>(t.mod_length);
    // The modulated delay moves by well under a sample per block, so the block's reads lie in
    // one contiguous span of the line: tick k reads span[k + 2 - sel], span[k + 1 - sel], sel
    // its whole delay minus the block's shortest. Plain loads and a blend instead of two
    // masked gathers per tick; the same samples, weights and arithmetic as a gather.
    alignas(32) int whole[kMaxBlock];
    alignas(32) float pos[kMaxBlock];
    int lo = INT32_MAX, hi = 0;
    for (int k = 0; k < count; ++k) {
      pos[k] = mod_len + excursion * lfo[k];
      whole[k] = static_cast<int>(pos[k]);
      lo = std::min(lo, whole[k]);
      hi = std::max(hi, whole[k]);
    }
    // The two taps of each tick (t0: at its whole delay, t1: one further), then the all-pass.
    if (hi - lo <= 1) {
      alignas(32) float span_scratch[kMaxBlock + 2];
      const float* span = mod.view(n0 - u(lo) - 2, count + 2, span_scratch);
      for (int k = 0; k < count; ++k) {
        const bool later = whole[k] != lo;
        t0[k] = later ? span[k + 1] : span[k + 2];
        t1[k] = later ? span[k] : span[k + 1];
      }
    } else {
      for (int k = 0; k < count; ++k) {
        t0[k] = mod.at(n0 + u(k), u(whole[k]));
        t1[k] = mod.at(n0 + u(k), u(whole[k]) + 1);
      }
    }
    for (int k = 0; k < count; ++k) {
      const float m0 = t0[k], m1 = t1[k];
      const float frac = pos[k] - static_cast<float>(whole[k]);
      const float d = m0 + frac * (m1 - m0);
      const float w = (v[k] + fb_other[k]) - g1 * d;
      t0[k] = w;
      t1[k] = d + g1 * w;
    }
    mod.write(n0, count, t0);
    d1.write(n0, count, t1);
    const float g2 = t.ap2.gain;
    const float* dap = ap.view(n0 - u(t.ap2.length), count, scratch);
    for (int k = 0; k < count; ++k) {
      const float d_ap = dap[k];
      const float w2 = damp[k] * decay - g2 * d_ap;
      t1[k] = w2;
      t0[k] = d_ap + g2 * w2;
    }
    ap.write(n0, count, t1);
    d2.write(n0, count, t0);
  };
  // The tank outputs of this block's last tick, for the next block's first.
  const float last_a = d2a.at(n0 + u(count - 1), u(a_.delay2_length)) * decay;
  const float last_b = d2b.at(n0 + u(count - 1), u(b_.delay2_length)) * decay;
  tank(a_, ma, d1a, apa, d2a, fb_b, lfo_s, damp_a);
  tank(b_, mb, d1b, apb, d2b, fb_a, lfo_c, damp_b);
  a_feedback_ = last_a;
  b_feedback_ = last_b;

  // Output taps (Dattorro's table, distances from each line's input), all older than a block.
  // Left: +B.d1 +B.d1 -B.ap2 +B.d2 -A.d1 -A.ap2 -A.d2; right: the same with A and B swapped.
  auto taps = [&](float* out, const Line& p1, const Line& p2, const Line& p3, const Line& q1,
                  const Line& q2, const Line& q3, const std::uint32_t* tp)
      __attribute__((always_inline)) {
    alignas(32) float r[7][kMaxBlock];
    const float* r0 = p1.view(n0 - tp[0], count, r[0]);
    const float* r1 = p1.view(n0 - tp[1], count, r[1]);
    const float* r2 = p2.view(n0 - tp[2], count, r[2]);
    const float* r3 = p3.view(n0 - tp[3], count, r[3]);
    const float* r4 = q1.view(n0 - tp[4], count, r[4]);
    const float* r5 = q2.view(n0 - tp[5], count, r[5]);
    const float* r6 = q3.view(n0 - tp[6], count, r[6]);
    for (int k = 0; k < count; ++k)
      out[k] = 0.6f * (r0[k] + r1[k] - r2[k] + r3[k] - r4[k] - r5[k] - r6[k]);
  };
  std::uint32_t tp[14];
  for (int i = 0; i < 14; ++i) tp[i] = u(taps_[i]);
  taps(out_l, d1b, apb, d2b, d1a, apa, d2a, tp);
  taps(out_r, d1a, apa, d2a, d1b, apb, d2b, tp + 7);
  tick_ = n0 + u(count);
}

void PlateReverb::process(std::span<const float> send, std::span<float> out_left,
                          std::span<float> out_right) {
  const std::size_t frames = std::min({send.size(), out_left.size(), out_right.size()});
  // Pairs of full-rate samples become one internal tick. The even sample of a pair outputs the
  // last tick; the odd one the midpoint between the last two (linear up-sampling), so a call
  // boundary inside a pair changes nothing.
  alignas(32) float in[kMaxBlock], tl[kMaxBlock], tr[kMaxBlock];
  std::size_t i = 0;
  while (i < frames) {
    // The ticks this chunk completes: one for a pending half, then one per whole pair.
    const std::size_t start = i;
    int count = 0;
    std::size_t j = i;
    if (have_half_) {
      in[count++] = 0.5f * (pending_ + send[j]);
      ++j;
    }
    for (; count < block_ && j + 1 < frames; j += 2) in[count++] = 0.5f * (send[j] + send[j + 1]);
    if (count > 0) run_ticks(in, tl, tr, count);
    // Emit in the same order as the ticks were formed.
    int k = 0;
    std::size_t o = start;
    float last_l = last_left_, last_r = last_right_;
    if (have_half_) {
      out_left[o] = 0.5f * (last_l + tl[0]);
      out_right[o] = 0.5f * (last_r + tr[0]);
      last_l = tl[0];
      last_r = tr[0];
      have_half_ = false;
      ++o;
      ++k;
    }
    for (; k < count; ++k, o += 2) {
      out_left[o] = last_l;
      out_right[o] = last_r;
      out_left[o + 1] = 0.5f * (last_l + tl[k]);
      out_right[o + 1] = 0.5f * (last_r + tr[k]);
      last_l = tl[k];
      last_r = tr[k];
    }
    last_left_ = last_l;
    last_right_ = last_r;
    i = j;
    if (count < block_ && i + 1 == frames) {
      // A lone sample at the end: it waits for its pair.
      pending_ = send[i];
      have_half_ = true;
      out_left[i] = last_l;
      out_right[i] = last_r;
      ++i;
    }
  }
}

}  // namespace auralis::synthesis::dsp
