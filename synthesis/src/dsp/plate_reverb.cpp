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
  send_hp_.set_all(BiquadCoefs::highpass(params.send_highpass_hz, 0.707f, rate_hz_));

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
  send_hp_.reset();
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

void PlateReverb::tick(float x, float& out_left, float& out_right) {
  {
    std::span<float> one(&x, 1);
    send_hp_.process(one);
  }
  // Pre-delay and input band-limiting.
  const float delayed = predelay_.read(predelay_samples_);
  predelay_.push(x);
  bandwidth_state_ += params_.bandwidth * (delayed - bandwidth_state_);
  float v = bandwidth_state_;
  // Input diffusers.
  for (auto& ap : diffusers_) {
    const float d = ap.line.read(ap.length);
    const float w = v - ap.gain * d;
    ap.line.push(w);
    v = d + ap.gain * w;
  }

  // Quadrature LFO; renormalise now and then so rounding never grows or shrinks it.
  const float c = lfo_cos_ * rot_cos_ - lfo_sin_ * rot_sin_;
  const float s = lfo_sin_ * rot_cos_ + lfo_cos_ * rot_sin_;
  lfo_cos_ = c;
  lfo_sin_ = s;
  if ((++lfo_ticks_ & 1023u) == 0) {
    const float norm = 1.0f / std::sqrt(c * c + s * s);
    lfo_cos_ *= norm;
    lfo_sin_ *= norm;
  }

  const float decay = params_.decay, damping = params_.damping;
  auto run_tank = [&](Tank& t, float in, float lfo) {
    // Modulated all-pass, decay diffusion 1 (sign inverted as in the paper).
    const float g1 = -0.7f;
    const float d =
        t.mod_ap.read_frac(static_cast<float>(t.mod_length) + params_.excursion_samples * lfo);
    const float w = in - g1 * d;
    t.mod_ap.push(w);
    const float ap_out = d + g1 * w;
    const float d1 = t.delay1.read(t.delay1_length);
    t.delay1.push(ap_out);
    t.damp_state += (1 - damping) * (d1 - t.damp_state);
    const float damped = t.damp_state * decay;
    const float d_ap = t.ap2.line.read(t.ap2.length);
    const float w2 = damped - t.ap2.gain * d_ap;
    t.ap2.line.push(w2);
    const float ap2_out = d_ap + t.ap2.gain * w2;
    const float d2 = t.delay2.read(t.delay2_length);
    t.delay2.push(ap2_out);
    return d2 * decay;
  };
  const float a_in = v + b_feedback_;
  const float b_in = v + a_feedback_;
  a_feedback_ = run_tank(a_, a_in, lfo_sin_);
  b_feedback_ = run_tank(b_, b_in, lfo_cos_);

  // Taps read after the pushes: +1 keeps them at the paper's distance from each line's input.
  const auto& t = taps_;
  const float left = b_.delay1.read(t[0] + 1) + b_.delay1.read(t[1] + 1) -
                     b_.ap2.line.read(t[2] + 1) + b_.delay2.read(t[3] + 1) -
                     a_.delay1.read(t[4] + 1) - a_.ap2.line.read(t[5] + 1) -
                     a_.delay2.read(t[6] + 1);
  const float right = a_.delay1.read(t[7] + 1) + a_.delay1.read(t[8] + 1) -
                      a_.ap2.line.read(t[9] + 1) + a_.delay2.read(t[10] + 1) -
                      b_.delay1.read(t[11] + 1) - b_.ap2.line.read(t[12] + 1) -
                      b_.delay2.read(t[13] + 1);
  out_left = 0.6f * left;
  out_right = 0.6f * right;
}

void PlateReverb::process(std::span<const float> send, std::span<float> out_left,
                          std::span<float> out_right) {
  const std::size_t frames = std::min({send.size(), out_left.size(), out_right.size()});
  // Pairs of full-rate samples become one internal tick. The even sample of a pair outputs the
  // last tick; the odd one the midpoint between the last two (linear up-sampling), so a call
  // boundary inside a pair changes nothing.
  for (std::size_t i = 0; i < frames; ++i) {
    if (!have_half_) {
      pending_ = send[i];
      have_half_ = true;
      out_left[i] = last_left_;
      out_right[i] = last_right_;
    } else {
      float l, r;
      tick(0.5f * (pending_ + send[i]), l, r);
      have_half_ = false;
      out_left[i] = 0.5f * (last_left_ + l);
      out_right[i] = 0.5f * (last_right_ + r);
      last_left_ = l;
      last_right_ = r;
    }
  }
}

}  // namespace auralis::synthesis::dsp
