// Frequency responses of the mixer's filter designs as it runs them (block state-space form):
// SVF low/band-pass, the RBJ master high-pass, pinking.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "audio_analysis.hpp"
#include "dsp/biquad.hpp"
#include "dsp/block_lti.hpp"
#include "dsp/dsp_common.hpp"

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

// Steady-state gain in dB of a design run on a sine (first half discarded).
template <int N>
double gain_db(const StateSpace<N>& design, float hz) {
  BlockLti<N> f;
  f.set(design);
  const auto x = sine(hz, 48000);
  std::vector<float> y(x.size());
  f.process(x.data(), y.data(), x.size());
  const double in = rms(std::span<const float>(x).subspan(24000));
  return db(rms(std::span<const float>(y).subspan(24000)) / in);
}

TEST(DspFilters, SvfLowpassPassesBelowAndTwoStagesRoll24dBPerOctave) {
  EXPECT_NEAR(gain_db(svf_lowpass(1000, 0.7071, kFs), 100), 0.0, 0.1);
  EXPECT_NEAR(gain_db(svf_lowpass(1000, 0.7071, kFs), 1000), -3.0, 0.2);
  EXPECT_NEAR(gain_db(svf_lowpass(1000, 0.7071, kFs), 4000), -24.1, 1.0);  // one stage
  const auto two = cascade(svf_lowpass(1000, 0.7071, kFs), svf_lowpass(1000, 0.7071, kFs));
  EXPECT_NEAR(gain_db(two, 4000), -48.2, 2.0);
}

TEST(DspFilters, SvfBandpassIsUnityAtCentre) {
  EXPECT_NEAR(gain_db(svf_bandpass(2000, 1.4, kFs), 2000), 0.0, 0.1);
  EXPECT_LT(gain_db(svf_bandpass(2000, 1.4, kFs), 300), -15.0);
  EXPECT_LT(gain_db(svf_bandpass(2000, 1.4, kFs), 12000), -12.0);
}

TEST(DspFilters, MasterHighpassAt25Hz) {
  const auto c = BiquadCoefs::highpass(25, 0.7071f, kFs);
  const auto hp = biquad_state_space(c.b0, c.b1, c.b2, c.a1, c.a2);
  EXPECT_NEAR(gain_db(hp, 1000), 0.0, 0.05);
  EXPECT_NEAR(gain_db(hp, 25), -3.0, 0.2);
  EXPECT_LT(gain_db(hp, 10), -15.0);
}

TEST(DspFilters, PinkSlopeIsMinus3dBPerOctave) {
  const double g250 = gain_db(pink_state_space(), 250);
  const double g1k = gain_db(pink_state_space(), 1000);
  const double g4k = gain_db(pink_state_space(), 4000);
  EXPECT_NEAR(g250 - g1k, 6.0, 1.0);
  EXPECT_NEAR(g1k - g4k, 6.0, 1.0);
}

}  // namespace
