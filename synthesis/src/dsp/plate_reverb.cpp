// Dattorro plate: delay lengths and taps are the paper's (at 29761 Hz), rescaled to our rate.
#include "dsp/plate_reverb.hpp"

#include <algorithm>
#include <cmath>

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

  const double w = kTwoPi * params.mod_rate_hz / rate_hz_;
  rot_cos_ = static_cast<float>(std::cos(w));
  rot_sin_ = static_cast<float>(std::sin(w));
}

void PlateReverb::reset() {
  send_hp_s1_ = send_hp_s2_ = 0;
  tick_ = 0;
  predelay_.reset();
  for (auto& d : diffusers_) d.line.reset();
  for (Tank* t : {&a_, &b_}) {
    t->mod_ap.reset();
    t->delay1.reset();
    t->ap2.line.reset();
    t->delay2.reset();
    t->damp_state = 0;
  }
  bandwidth_state_ = a_feedback_ = b_feedback_ = 0;
  lfo_cos_ = 1;
  lfo_sin_ = 0;
  lfo_ticks_ = 0;
  have_half_ = false;
  pending_ = last_left_ = last_right_ = 0;
}

namespace {
// A delay line seen from the hot loops: buffer and mask; the write position is shared.
struct Line {
  float* buf;
  std::uint32_t mask;
  float at(std::uint32_t n, std::uint32_t back) const { return buf[(n - back) & mask]; }
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

// The tick of the original per-sample loop, reordered stage by stage over the block. Per tick
// the arithmetic is the same: the one-pole/biquad recursions (send high-pass, band-limit,
// LFO, both tanks' damping) read only delayed signals from earlier blocks, so they share one
// scalar loop; everything else is an element-wise loop over the block.
AURALIS_DSP_CLONES
void PlateReverb::run_ticks(const float* in, float* out_l, float* out_r, int count) {
  const std::uint32_t n0 = tick_;
  const Line pre = line_of(predelay_);
  const Line ma = line_of(a_.mod_ap), mb = line_of(b_.mod_ap);
  const Line d1a = line_of(a_.delay1), d1b = line_of(b_.delay1);
  const Line apa = line_of(a_.ap2.line), apb = line_of(b_.ap2.line);
  const Line d2a = line_of(a_.delay2), d2b = line_of(b_.delay2);
  const float decay = params_.decay, damping = params_.damping, bandwidth = params_.bandwidth,
              excursion = params_.excursion_samples;
  const auto u = [](int v) { return static_cast<std::uint32_t>(v); };

  alignas(32) float delayed[kMaxBlock], hp_out[kMaxBlock], v[kMaxBlock];
  alignas(32) float lfo_s[kMaxBlock], lfo_c[kMaxBlock];
  alignas(32) float tap_a[kMaxBlock], tap_b[kMaxBlock], damp_a[kMaxBlock], damp_b[kMaxBlock];
  alignas(32) float fb_a[kMaxBlock], fb_b[kMaxBlock];  // each tank's output one tick earlier
  alignas(32) float t0[kMaxBlock], t1[kMaxBlock];

  // Reads of lines written at least a block ago.
  pre.read(n0 - u(predelay_samples_), count, delayed);
  d1a.read(n0 - u(a_.delay1_length), count, tap_a);
  d1b.read(n0 - u(b_.delay1_length), count, tap_b);
  fb_a[0] = a_feedback_;
  fb_b[0] = b_feedback_;
  if (count > 1) {
    d2a.read(n0 - u(a_.delay2_length), count - 1, fb_a + 1);
    d2b.read(n0 - u(b_.delay2_length), count - 1, fb_b + 1);
    for (int k = 1; k < count; ++k) {
      fb_a[k] *= decay;
      fb_b[k] *= decay;
    }
  }

  // The recursions, together so that their latencies overlap.
  {
    const BiquadCoefs hp = send_hp_;
    float hp1 = send_hp_s1_, hp2 = send_hp_s2_, bw = bandwidth_state_;
    float da = a_.damp_state, db = b_.damp_state;
    float lc = lfo_cos_, ls = lfo_sin_;
    const float rc = rot_cos_, rs = rot_sin_;
    unsigned lfo_ticks = lfo_ticks_;
    for (int k = 0; k < count; ++k) {
      const float x = in[k];
      const float y = hp.b0 * x + hp1;
      hp1 = hp.b1 * x - hp.a1 * y + hp2;
      hp2 = hp.b2 * x - hp.a2 * y;
      hp_out[k] = y;
      bw += bandwidth * (delayed[k] - bw);
      v[k] = bw;
      // Quadrature LFO by rotation; renormalised now and then so rounding never drifts it.
      const float c = lc * rc - ls * rs;
      const float s = ls * rc + lc * rs;
      lc = c;
      ls = s;
      if ((++lfo_ticks & 1023u) == 0) {
        const float norm = 1.0f / std::sqrt(c * c + s * s);
        lc *= norm;
        ls *= norm;
      }
      lfo_s[k] = ls;
      lfo_c[k] = lc;
      da += (1 - damping) * (tap_a[k] - da);
      db += (1 - damping) * (tap_b[k] - db);
      damp_a[k] = da;
      damp_b[k] = db;
    }
    send_hp_s1_ = hp1;
    send_hp_s2_ = hp2;
    bandwidth_state_ = bw;
    a_.damp_state = da;
    b_.damp_state = db;
    lfo_cos_ = lc;
    lfo_sin_ = ls;
    lfo_ticks_ = lfo_ticks;
  }
  pre.write(n0, count, hp_out);

  // Input diffusers (all-passes).
  for (auto& dif : diffusers_) {
    const Line l = line_of(dif.line);
    l.read(n0 - u(dif.length), count, t0);
    const float g = dif.gain;
    for (int k = 0; k < count; ++k) {
      const float d = t0[k];
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
    for (int k = 0; k < count; ++k) {
      const std::uint32_t n = n0 + u(k);
      const float x = v[k] + fb_other[k];
      const float pos = mod_len + excursion * lfo[k];
      const auto whole = static_cast<std::uint32_t>(pos);
      const float frac = pos - static_cast<float>(whole);
      const float m0 = mod.at(n, whole), m1 = mod.at(n, whole + 1);
      const float d = m0 + frac * (m1 - m0);
      const float w = x - g1 * d;
      t0[k] = w;
      t1[k] = d + g1 * w;
    }
    mod.write(n0, count, t0);
    d1.write(n0, count, t1);
    const float g2 = t.ap2.gain;
    ap.read(n0 - u(t.ap2.length), count, t0);
    for (int k = 0; k < count; ++k) {
      const float d_ap = t0[k];
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
    p1.read(n0 - tp[0], count, r[0]);
    p1.read(n0 - tp[1], count, r[1]);
    p2.read(n0 - tp[2], count, r[2]);
    p3.read(n0 - tp[3], count, r[3]);
    q1.read(n0 - tp[4], count, r[4]);
    q2.read(n0 - tp[5], count, r[5]);
    q3.read(n0 - tp[6], count, r[6]);
    for (int k = 0; k < count; ++k)
      out[k] = 0.6f * (r[0][k] + r[1][k] - r[2][k] + r[3][k] - r[4][k] - r[5][k] - r[6][k]);
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
