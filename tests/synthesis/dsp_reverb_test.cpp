// The plate: decay time in the ambient range, a dense (non-metallic) tail, continuity across
// calls, and its other delay-based neighbours (ping-pong echo, chorus).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "audio_analysis.hpp"
#include "dsp/chorus.hpp"
#include "dsp/dsp_common.hpp"
#include "dsp/ping_pong_delay.hpp"
#include "dsp/plate_reverb.hpp"

namespace {

using namespace auralis::synthesis::dsp;

std::vector<float> impulse_response(int frames, std::vector<float>* right = nullptr) {
  PlateReverb rev(48000, {});
  std::vector<float> in(frames, 0.0f), l(frames), r(frames);
  // A short burst of broadband noise well above the 200 Hz send high-pass.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int i = 0; i < 96; ++i) in[i] = u(rng);
  rev.process(in, l, r);
  if (right) *right = r;
  return l;
}

TEST(DspPlateReverb, DecayTimeIsAmbientLong) {
  const auto ir = impulse_response(30 * 48000);
  // Schroeder backward integration; T60 from the -5 .. -25 dB slope.
  std::vector<double> edc(ir.size());
  double acc = 0;
  for (std::size_t i = ir.size(); i-- > 0;) {
    acc += static_cast<double>(ir[i]) * ir[i];
    edc[i] = acc;
  }
  auto time_at = [&](double db_down) {
    for (std::size_t i = 0; i < edc.size(); ++i)
      if (10 * std::log10(edc[i] / edc[0]) <= -db_down) return static_cast<double>(i) / 48000;
    return 1e9;
  };
  const double t60 = (time_at(25) - time_at(5)) * 3.0;
  EXPECT_GT(t60, 4.0);
  EXPECT_LT(t60, 16.0);
}

TEST(DspPlateReverb, TailIsDenseNotMetallic) {
  // Normalised echo density (Abel & Huang): share of samples beyond one standard deviation in a
  // 20 ms window, over the Gaussian share (0.3173). A dense, diffuse tail reads ~1; sparse
  // echoes (the flutter and ringing of a metallic tail) read well below.
  const auto ir = impulse_response(3 * 48000);
  const int win = 960;
  double sum = 0;
  int count = 0;
  for (int start = 48000 / 4; start + win <= 2 * 48000; start += win) {
    double s2 = 0;
    for (int i = 0; i < win; ++i) s2 += static_cast<double>(ir[start + i]) * ir[start + i];
    const double sd = std::sqrt(s2 / win);
    int beyond = 0;
    for (int i = 0; i < win; ++i) beyond += std::fabs(ir[start + i]) > sd;
    sum += (static_cast<double>(beyond) / win) / 0.3173;
    ++count;
  }
  EXPECT_GT(sum / count, 0.85);
}

TEST(DspPlateReverb, StereoOutputsAreDecorrelated) {
  std::vector<float> r;
  const auto l = impulse_response(4 * 48000, &r);
  double lr = 0, ll = 0, rr = 0;
  for (std::size_t i = 4800; i < l.size(); ++i) {
    lr += static_cast<double>(l[i]) * r[i];
    ll += static_cast<double>(l[i]) * l[i];
    rr += static_cast<double>(r[i]) * r[i];
  }
  EXPECT_LT(std::fabs(lr / std::sqrt(ll * rr)), 0.3);
}

TEST(DspPlateReverb, ChunkedEqualsWhole) {
  const int frames = 2 * 48000;
  std::vector<float> in(frames);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  for (auto& v : in) v = u(rng);
  PlateReverb whole(48000, {}), chunked(48000, {});
  std::vector<float> wl(frames), wr(frames), cl(frames), cr(frames);
  whole.process(in, wl, wr);
  for (int i = 0; i < frames;) {
    const int n = std::min<int>(1 + static_cast<int>(rng() % 333), frames - i);
    chunked.process(std::span<const float>(in).subspan(i, n), std::span<float>(cl).subspan(i, n),
                    std::span<float>(cr).subspan(i, n));
    i += n;
  }
  EXPECT_EQ(wl, cl);
  EXPECT_EQ(wr, cr);
}

TEST(DspPingPongDelay, EchoesAlternateSidesAtTheSetTime) {
  PingPongDelay delay(48000, {});
  delay.set_delay_s(0.25f);
  std::vector<float> l(48000, 0.0f), r(48000, 0.0f);
  l[0] = r[0] = 1;  // centred click
  delay.process(l, r);
  auto energy = [](const std::vector<float>& x, int from, int to) {
    double s = 0;
    for (int i = from; i < to; ++i) s += static_cast<double>(x[i]) * x[i];
    return s;
  };
  // First echo (12000) on the left only, second (24000) on the right, quieter (feedback .4).
  EXPECT_GT(energy(l, 11900, 12200), 1e-4);
  EXPECT_LT(energy(r, 11900, 12200), 1e-9);
  EXPECT_GT(energy(r, 23900, 24200), 1e-5);
  EXPECT_LT(energy(r, 23900, 24200), energy(l, 11900, 12200));
}

// Blocks are cut at call ends and limited by the delay, settled or gliding (a tempo change):
// any split of the signal must give the same bits.
TEST(DspPingPongDelay, ChunkedEqualsWholeWhileSettledAndGliding) {
  const int frames = 3 * 48000;
  std::vector<float> l(frames), r(frames);
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0, 0.2f);
  for (int i = 0; i < frames; ++i) {
    l[i] = noise(rng);
    r[i] = noise(rng);
  }
  auto wl = l, wr = r;
  PingPongDelay whole(48000, {}), chunked(48000, {});
  // The target moves every 4800 frames (the first glide starts at 1 s), the same in both runs.
  auto target_s = [](int frame) { return frame < 48000 ? 0.3f : 0.3f + 0.02f * (frame / 4800); };
  for (int i = 0; i < frames; i += 4800) {
    whole.set_delay_s(target_s(i));
    whole.process(std::span<float>(wl).subspan(i, 4800), std::span<float>(wr).subspan(i, 4800));
  }
  for (int i = 0; i < frames;) {
    const int block_end = (i / 4800 + 1) * 4800;
    const int n = std::min<int>(1 + static_cast<int>(rng() % 500), block_end - i);
    if (i % 4800 == 0) chunked.set_delay_s(target_s(i));
    chunked.process(std::span<float>(l).subspan(i, n), std::span<float>(r).subspan(i, n));
    i += n;
  }
  EXPECT_EQ(wl, l);
  EXPECT_EQ(wr, r);
}

TEST(DspChorus, ChunkedEqualsWholeAndKeepsLevel) {
  const int frames = 48000;
  std::vector<float> l(frames), r(frames);
  for (int i = 0; i < frames; ++i)
    l[i] = r[i] = 0.3f * static_cast<float>(std::sin(kTwoPi * 220 * i / 48000.0));
  auto wl = l, wr = r;
  StereoChorus whole(48000, {}), chunked(48000, {});
  whole.process(wl, wr, 123457);
  std::mt19937 rng(3);
  for (int i = 0; i < frames;) {
    const int n = std::min<int>(1 + static_cast<int>(rng() % 200), frames - i);
    chunked.process(std::span<float>(l).subspan(i, n), std::span<float>(r).subspan(i, n),
                    123457 + i);
    i += n;
  }
  EXPECT_EQ(wl, l);
  EXPECT_EQ(wr, r);
  const double g =
      auralis::test_audio::rms(std::span<const float>(wl).subspan(4800)) / (0.3 / std::sqrt(2.0));
  EXPECT_GT(g, 0.5);
  EXPECT_LT(g, 1.4);
}

// Each output is dry * x + wet * x(t - d(t)), linearly interpolated, d following the LFO (sine
// on the left, cosine on the right): at the sheet's slow rate (the taps' whole delays change
// by at most one sample a segment) and at a fast one (they step several times a segment).
TEST(DspChorus, TapsFollowTheLfoDelay) {
  for (const float rate : {0.13f, 5.0f}) {
    const ChorusParams p{.base_delay_s = 0.018f, .depth_s = 0.004f, .rate_hz = rate};
    const int frames = 48000;
    const std::int64_t start = 48000 * 7 + 11;  // the LFO is a function of the absolute frame
    const auto x = [](std::int64_t i) {
      return i < 0 ? 0.0 : 0.5 * std::sin(kTwoPi * 200 * static_cast<double>(i) / 48000.0);
    };
    std::vector<float> l(frames), r(frames);
    for (int i = 0; i < frames; ++i) l[i] = r[i] = static_cast<float>(x(i));
    StereoChorus chorus(48000, p);
    chorus.process(l, r, start);
    double worst = 0;
    for (int i = 2400; i < frames; ++i) {
      const double cycles = static_cast<double>(start + i) * rate / 48000.0;
      for (int ch = 0; ch < 2; ++ch) {
        const double lfo = ch == 0 ? std::sin(kTwoPi * cycles) : std::cos(kTwoPi * cycles);
        const double d = (p.base_delay_s + p.depth_s * lfo) * 48000.0;
        const double at = i - d;
        const auto whole = static_cast<std::int64_t>(std::floor(at));
        const double tap = x(whole) + (at - static_cast<double>(whole)) * (x(whole + 1) - x(whole));
        const double want = p.dry * x(i) + p.wet * tap;
        worst = std::max(worst, std::abs((ch == 0 ? l[i] : r[i]) - want));
      }
    }
    // The delay is linear between 64-frame grid points: at 5 Hz that is ~0.04 samples off,
    // times the signal's slope (0.013 a sample).
    EXPECT_LT(worst, rate < 1 ? 1e-4 : 1e-3) << "rate " << rate;
  }
}

}  // namespace
