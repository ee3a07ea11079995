// Frequency responses of the bus filters: SVF low/band/high-pass, RBJ biquads, pinking.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "audio_analysis.hpp"
#include "dsp/biquad.hpp"
#include "dsp/dsp_common.hpp"
#include "dsp/pink_noise.hpp"
#include "dsp/svf.hpp"

namespace {

using namespace auralis::synthesis::dsp;
using auralis::test_audio::db;
using auralis::test_audio::rms;

constexpr float kFs = 48000;

std::vector<float> sine(float hz, int frames, float amp = 0.5f) {
  std::vector<float> x(static_cast<std::size_t>(frames));
  for (int i = 0; i < frames; ++i) x[i] = amp * static_cast<float>(std::sin(kTwoPi * hz * i / kFs));
  return x;
}

// Steady-state gain in dB of a one-lane filter run on a sine (first half discarded).
template <typename Filter>
double gain_db(Filter& f, float hz) {
  auto x = sine(hz, 48000);
  const double in = rms(std::span<const float>(x).subspan(24000));
  f.process(std::span<float>(x));
  return db(rms(std::span<const float>(x).subspan(24000)) / in);
}

TEST(DspSvf, LowpassPassesBelowAndRolls24dBPerOctaveForTwoStagesAbove) {
  SvfBank<1> lp;
  lp.set_lowpass(0, 1000, 0.7071f, kFs);
  EXPECT_NEAR(gain_db(lp, 100), 0.0, 0.1);
  lp.reset();
  EXPECT_NEAR(gain_db(lp, 1000), -3.0, 0.2);
  lp.reset();
  EXPECT_NEAR(gain_db(lp, 4000), -24.1, 1.0);  // 12 dB/oct for one stage
}

TEST(DspSvf, BandpassIsUnityAtCentre) {
  SvfBank<1> bp;
  bp.set_bandpass(0, 2000, 1.4f, kFs);
  EXPECT_NEAR(gain_db(bp, 2000), 0.0, 0.1);
  bp.reset();
  EXPECT_LT(gain_db(bp, 300), -15.0);
  bp.reset();
  EXPECT_LT(gain_db(bp, 12000), -12.0);
}

TEST(DspSvf, HighpassBlocksLows) {
  SvfBank<1> hp;
  hp.set_highpass(0, 200, 0.7071f, kFs);
  EXPECT_NEAR(gain_db(hp, 2000), 0.0, 0.1);
  hp.reset();
  EXPECT_NEAR(gain_db(hp, 50), -24.1, 1.0);
}

TEST(DspSvf, LanesAreIndependent) {
  SvfBank<2> bank;
  bank.set_lowpass(0, 500, 0.7071f, kFs);
  bank.set_highpass(1, 500, 0.7071f, kFs);
  const auto x = sine(4000, 4800);
  std::vector<float> inter(2 * x.size());
  for (std::size_t i = 0; i < x.size(); ++i) inter[2 * i] = inter[2 * i + 1] = x[i];
  bank.process(std::span<float>(inter));
  SvfBank<1> lp, hp;
  lp.set_lowpass(0, 500, 0.7071f, kFs);
  hp.set_highpass(0, 500, 0.7071f, kFs);
  auto a = x, b = x;
  lp.process(std::span<float>(a));
  hp.process(std::span<float>(b));
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_FLOAT_EQ(inter[2 * i], a[i]);
    ASSERT_FLOAT_EQ(inter[2 * i + 1], b[i]);
  }
}

TEST(DspBiquad, MasterHighpassAt25Hz) {
  BiquadBank<1> hp;
  hp.set_all(BiquadCoefs::highpass(25, 0.7071f, kFs));
  EXPECT_NEAR(gain_db(hp, 1000), 0.0, 0.05);
  hp.reset();
  EXPECT_NEAR(gain_db(hp, 25), -3.0, 0.2);
  hp.reset();
  EXPECT_LT(gain_db(hp, 10), -15.0);
}

TEST(DspPink, SlopeIsMinus3dBPerOctave) {
  PinkFilter<1> pink;
  const double g250 = gain_db(pink, 250);
  pink.reset();
  const double g1k = gain_db(pink, 1000);
  pink.reset();
  const double g4k = gain_db(pink, 4000);
  EXPECT_NEAR(g250 - g1k, 6.0, 1.0);
  EXPECT_NEAR(g1k - g4k, 6.0, 1.0);
}

}  // namespace
