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
// A delay line seen from the hot loop: buffer and mask; the write position is shared.
struct Line {
  float* buf;
  std::uint32_t mask;
  float at(std::uint32_t n, std::uint32_t back) const { return buf[(n - back) & mask]; }
  void put(std::uint32_t n, float v) const { buf[n & mask] = v; }
};
}  // namespace

AURALIS_DSP_CLONES
void PlateReverb::process(std::span<const float> send, std::span<float> out_left,
                          std::span<float> out_right) {
  const std::size_t frames = std::min({send.size(), out_left.size(), out_right.size()});
  // All state in locals for the loop (the lines are float buffers the compiler would otherwise
  // assume alias every float member), written back at the end.
  auto line = [](DelayLine& d) { return Line{d.data(), d.mask()}; };
  const Line pre = line(predelay_);
  const Line dif[4] = {line(diffusers_[0].line), line(diffusers_[1].line), line(diffusers_[2].line),
                       line(diffusers_[3].line)};
  const std::uint32_t dif_len[4] = {static_cast<std::uint32_t>(diffusers_[0].length),
                                    static_cast<std::uint32_t>(diffusers_[1].length),
                                    static_cast<std::uint32_t>(diffusers_[2].length),
                                    static_cast<std::uint32_t>(diffusers_[3].length)};
  const float dif_g[4] = {diffusers_[0].gain, diffusers_[1].gain, diffusers_[2].gain,
                          diffusers_[3].gain};
  struct TankView {
    Line mod, d1, ap2, d2;
    float mod_len;
    std::uint32_t d1_len, ap2_len, d2_len;
    float ap2_gain;
  };
  auto view = [&](Tank& t) {
    return TankView{line(t.mod_ap),
                    line(t.delay1),
                    line(t.ap2.line),
                    line(t.delay2),
                    static_cast<float>(t.mod_length),
                    static_cast<std::uint32_t>(t.delay1_length),
                    static_cast<std::uint32_t>(t.ap2.length),
                    static_cast<std::uint32_t>(t.delay2_length),
                    t.ap2.gain};
  };
  const TankView ta = view(a_), tb = view(b_);
  const auto pre_len = static_cast<std::uint32_t>(predelay_samples_);
  std::array<std::uint32_t, 14> tap;
  for (int i = 0; i < 14; ++i) tap[i] = static_cast<std::uint32_t>(taps_[i]);
  const BiquadCoefs hp = send_hp_;
  const float bandwidth = params_.bandwidth, decay = params_.decay, damping = params_.damping,
              excursion = params_.excursion_samples;
  const float rc = rot_cos_, rs = rot_sin_;

  float hp1 = send_hp_s1_, hp2 = send_hp_s2_, bw_state = bandwidth_state_;
  float damp_a = a_.damp_state, damp_b = b_.damp_state;
  float fb_a = a_feedback_, fb_b = b_feedback_;
  float lc = lfo_cos_, ls = lfo_sin_;
  std::uint32_t n = tick_;
  unsigned lfo_ticks = lfo_ticks_;
  bool have_half = have_half_;
  float pending = pending_, last_l = last_left_, last_r = last_right_;

  auto run_tank = [&](const TankView& t, float in, float lfo, float& damp)
      __attribute__((always_inline)) {
    // Modulated all-pass, decay diffusion 1 (sign inverted as in the paper); fractional read.
    const float g1 = -0.7f;
    const float pos = t.mod_len + excursion * lfo;
    const auto whole = static_cast<std::uint32_t>(pos);
    const float frac = pos - static_cast<float>(whole);
    const float m0 = t.mod.at(n, whole), m1 = t.mod.at(n, whole + 1);
    const float d = m0 + frac * (m1 - m0);
    const float w = in - g1 * d;
    t.mod.put(n, w);
    const float ap_out = d + g1 * w;
    const float d1 = t.d1.at(n, t.d1_len);
    t.d1.put(n, ap_out);
    damp += (1 - damping) * (d1 - damp);
    const float d_ap = t.ap2.at(n, t.ap2_len);
    const float w2 = damp * decay - t.ap2_gain * d_ap;
    t.ap2.put(n, w2);
    const float ap2_out = d_ap + t.ap2_gain * w2;
    const float d2 = t.d2.at(n, t.d2_len);
    t.d2.put(n, ap2_out);
    return d2 * decay;
  };

  auto tick = [&](float x, float& out_l, float& out_r) __attribute__((always_inline)) {
    // Send high-pass (TDF-II biquad).
    const float y = hp.b0 * x + hp1;
    hp1 = hp.b1 * x - hp.a1 * y + hp2;
    hp2 = hp.b2 * x - hp.a2 * y;
    // Pre-delay and input band-limiting.
    const float delayed = pre.at(n, pre_len);
    pre.put(n, y);
    bw_state += bandwidth * (delayed - bw_state);
    float v = bw_state;
    for (int k = 0; k < 4; ++k) {
      const float d = dif[k].at(n, dif_len[k]);
      const float w = v - dif_g[k] * d;
      dif[k].put(n, w);
      v = d + dif_g[k] * w;
    }
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
    const float a_in = v + fb_b;
    const float b_in = v + fb_a;
    fb_a = run_tank(ta, a_in, ls, damp_a);
    fb_b = run_tank(tb, b_in, lc, damp_b);
    // Output taps, Dattorro's table (distances from each line's input).
    const float left = tb.d1.at(n, tap[0]) + tb.d1.at(n, tap[1]) - tb.ap2.at(n, tap[2]) +
                       tb.d2.at(n, tap[3]) - ta.d1.at(n, tap[4]) - ta.ap2.at(n, tap[5]) -
                       ta.d2.at(n, tap[6]);
    const float right = ta.d1.at(n, tap[7]) + ta.d1.at(n, tap[8]) - ta.ap2.at(n, tap[9]) +
                        ta.d2.at(n, tap[10]) - tb.d1.at(n, tap[11]) - tb.ap2.at(n, tap[12]) -
                        tb.d2.at(n, tap[13]);
    ++n;
    out_l = 0.6f * left;
    out_r = 0.6f * right;
  };

  // Pairs of full-rate samples become one internal tick. The even sample of a pair outputs the
  // last tick; the odd one the midpoint between the last two (linear up-sampling), so a call
  // boundary inside a pair changes nothing.
  std::size_t i = 0;
  if (have_half && i < frames) {
    float l, r;
    tick(0.5f * (pending + send[i]), l, r);
    out_left[i] = 0.5f * (last_l + l);
    out_right[i] = 0.5f * (last_r + r);
    last_l = l;
    last_r = r;
    have_half = false;
    ++i;
  }
  for (; i + 1 < frames; i += 2) {
    float l, r;
    tick(0.5f * (send[i] + send[i + 1]), l, r);
    out_left[i] = last_l;
    out_right[i] = last_r;
    out_left[i + 1] = 0.5f * (last_l + l);
    out_right[i + 1] = 0.5f * (last_r + r);
    last_l = l;
    last_r = r;
  }
  if (i < frames) {
    pending = send[i];
    have_half = true;
    out_left[i] = last_l;
    out_right[i] = last_r;
  }

  send_hp_s1_ = hp1;
  send_hp_s2_ = hp2;
  bandwidth_state_ = bw_state;
  a_.damp_state = damp_a;
  b_.damp_state = damp_b;
  a_feedback_ = fb_a;
  b_feedback_ = fb_b;
  lfo_cos_ = lc;
  lfo_sin_ = ls;
  lfo_ticks_ = lfo_ticks;
  tick_ = n;
  have_half_ = have_half;
  pending_ = pending;
  last_left_ = last_l;
  last_right_ = last_r;
}

}  // namespace auralis::synthesis::dsp
