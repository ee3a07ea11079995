// Limiter ceiling (sample and inter-sample), transparency below it, compressor ratio, and the
// loudness meter against EBU R128 reference readings and libebur128.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "audio_analysis.hpp"
#include "dsp/compressor.hpp"
#include "dsp/dsp_common.hpp"
#include "dsp/limiter.hpp"
#include "dsp/loudness_control.hpp"
#include "dsp/loudness_meter.hpp"

namespace {

using namespace auralis::synthesis::dsp;
namespace ta = auralis::test_audio;

constexpr double kFs = 48000;

// Loud, peaky material: bursts of detuned sines plus filtered noise, up to +6 dBFS.
void loud_material(std::vector<float>& l, std::vector<float>& r, int frames, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.3f);
  l.resize(frames);
  r.resize(frames);
  float lp = 0;
  for (int i = 0; i < frames; ++i) {
    const double t = i / kFs;
    const double burst = 0.5 + 1.5 * std::pow(std::sin(kPi * t * 1.7), 8);
    lp += 0.3f * (noise(rng) - lp);
    l[i] = static_cast<float>(burst * (0.6 * std::sin(kTwoPi * 110 * t) +
                                       0.3 * std::sin(kTwoPi * 5500 * t + 0.3))) +
           lp;
    r[i] = static_cast<float>(
               burst * (0.6 * std::sin(kTwoPi * 110.5 * t) + 0.3 * std::sin(kTwoPi * 7100 * t))) -
           lp;
  }
}

std::vector<float> interleave(const std::vector<float>& l, const std::vector<float>& r) {
  std::vector<float> x(2 * l.size());
  for (std::size_t i = 0; i < l.size(); ++i) {
    x[2 * i] = l[i];
    x[2 * i + 1] = r[i];
  }
  return x;
}

TEST(DspLimiter, NeverExceedsCeilingIncludingInterSamplePeaks) {
  std::vector<float> l, r;
  loud_material(l, r, 10 * 48000, 7);
  Limiter lim(48000, {.ceiling_db = -1.5f});
  lim.process(std::span<float>(l), std::span<float>(r));
  const float ceiling = db_to_gain(-1.5f);
  EXPECT_LE(ta::sample_peak(l), ceiling * 1.00001);
  EXPECT_LE(ta::sample_peak(r), ceiling * 1.00001);
  const auto m = ta::measure_loudness(interleave(l, r));
  EXPECT_LE(m.true_peak_dbtp, -1.0) << "true peak over -1 dBTP";
}

// Below the ceiling (-2 dBFS = 0.794) the output is the input, delayed: far below it (0.5,
// where the quiet path's screen passes every chunk) and close under it (0.75, where each
// chunk's inter-sample peaks are checked), with the default look-ahead and the longest.
TEST(DspLimiter, TransparentBelowCeilingApartFromDelay) {
  for (const auto& [amplitude, lookahead] :
       {std::pair{0.5f, 120}, std::pair{0.75f, 120}, std::pair{0.5f, 250}, std::pair{0.75f, 250}}) {
    std::vector<float> l(4800), r(4800);
    for (int i = 0; i < 4800; ++i) {
      l[i] = amplitude * static_cast<float>(std::sin(kTwoPi * 440 * i / kFs));
      r[i] = -l[i];
    }
    auto ol = l, orr = r;
    Limiter lim(48000, {.lookahead_samples = lookahead});
    lim.process(std::span<float>(ol), std::span<float>(orr));
    const int d = lim.latency_samples();
    for (int i = d; i < 4800; ++i) {
      ASSERT_EQ(ol[i], l[i - d]) << "amplitude " << amplitude << " look-ahead " << lookahead
                                 << " sample " << i;
      ASSERT_EQ(orr[i], r[i - d]) << "amplitude " << amplitude << " look-ahead " << lookahead
                                  << " sample " << i;
    }
  }
}

// Limits the material once whole and once split into random chunks of 1..max_chunk frames;
// expects the same bits. Returns the limiter's gain after the whole pass.
float expect_chunked_limiter_equals_whole(std::vector<float> l, std::vector<float> r, unsigned seed,
                                          std::size_t max_chunk, int lookahead = 120) {
  auto wl = l, wr = r;
  const LimiterParams p{.lookahead_samples = lookahead};
  Limiter whole(48000, p), chunked(48000, p);
  whole.process(std::span<float>(wl), std::span<float>(wr));
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < l.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % max_chunk, l.size() - i);
    chunked.process(std::span<float>(l).subspan(i, n), std::span<float>(r).subspan(i, n));
    i += n;
  }
  EXPECT_EQ(wl, l);
  EXPECT_EQ(wr, r);
  return whole.gain();
}

TEST(DspLimiter, ChunkedEqualsWhole) {
  std::vector<float> l, r;
  loud_material(l, r, 48000, 3);
  expect_chunked_limiter_equals_whole(l, r, 1, 700);
}

// Loud bursts, then quiet stretches long enough for the release to settle: the limiter's
// quiet (vectorised) path and its per-sample path take turns, at places that depend on how
// the signal is split into calls, so any split giving the same bits proves they agree.
TEST(DspLimiter, QuietAndLimitingStretchesChunkedEqualWhole) {
  const int frames = 8 * 48000;
  std::vector<float> l, r;
  loud_material(l, r, frames, 11);
  for (int i = 0; i < frames; ++i) {
    const bool loud = (i / 24000) % 4 == 0;  // 0.5 s of bursts every 2 s
    const float g = loud ? 1.0f : 0.3f;
    l[i] *= g;
    r[i] *= g;
  }
  EXPECT_LT(expect_chunked_limiter_equals_whole(l, r, 4, 300), 1.0f)
      << "the material never made the limiter act";
  // The longest look-ahead leaves the least room in the delay ring.
  EXPECT_LT(expect_chunked_limiter_equals_whole(l, r, 5, 300, Limiter::kMaxLookahead), 1.0f);
}

TEST(DspCompressor, TwoToOneAboveThreshold) {
  Compressor comp(48000, {.threshold_db = -20, .ratio = 2, .knee_db = 0.1f});
  // A 1 kHz sine with a steady peak of -8 dBFS: 12 dB over -> 6 dB of gain reduction.
  std::vector<float> l(48000), r(48000);
  const float a = db_to_gain(-8);
  for (int i = 0; i < 48000; ++i)
    l[i] = r[i] = a * static_cast<float>(std::sin(kTwoPi * 1000 * i / kFs));
  comp.process(std::span<float>(l), std::span<float>(r));
  const double out_peak = ta::sample_peak(std::span<const float>(l).subspan(24000));
  EXPECT_NEAR(ta::db(out_peak), -14.0, 0.5);
}

// The detector runs at control rate (64-sample steps) but keeps the sheet's ballistics: a jump
// in level is caught within a few attack times (15 ms), a drop released over the 250 ms release.
TEST(DspCompressor, AttackAndReleaseFollowTheirTimeConstants) {
  Compressor comp(48000, {.threshold_db = -20, .ratio = 2, .knee_db = 0.1f});
  const auto run = [&](float amplitude, int frames) {
    std::vector<float> l(frames), r(frames);
    for (int i = 0; i < frames; ++i)
      l[i] = r[i] = amplitude * static_cast<float>(std::sin(kTwoPi * 1000 * i / kFs));
    comp.process(std::span<float>(l), std::span<float>(r));
    return comp.gain_reduction_db();
  };
  run(db_to_gain(-30), 48000);  // below threshold: no reduction
  EXPECT_NEAR(run(db_to_gain(-30), 480), 0.0, 0.01);
  // -8 dBFS peaks: 6 dB of reduction when settled. The envelope reaches 1 - 1/e of the jump
  // in one attack time; the reduction (a log of it) gets most of the way there.
  const double after_3ms = run(db_to_gain(-8), 144);
  const double after_15ms = run(db_to_gain(-8), 576);
  const double after_100ms = run(db_to_gain(-8), 4080);
  EXPECT_GT(after_3ms, -3.0) << "attack faster than 15 ms";
  EXPECT_LT(after_15ms, -3.0) << "attack slower than 15 ms";
  EXPECT_NEAR(after_100ms, -6.0, 0.3);
  // Back to -30 dBFS: after one release time (250 ms) the envelope has fallen to 1/e of the
  // step above threshold, which is still 4.4 dB over it; after 1.5 s it is gone.
  const double after_250ms = run(db_to_gain(-30), 12000);
  EXPECT_LT(after_250ms, -1.0) << "release faster than 250 ms";
  EXPECT_GT(after_250ms, -3.0) << "release slower than 250 ms";
  EXPECT_NEAR(run(db_to_gain(-30), 60000), 0.0, 0.05);
}

TEST(DspLoudnessMeter, ReadsMinus20dBFSSineAsMinus20Lufs) {
  // EBU Tech 3341: a 1 kHz sine in both channels reads its level in dBFS as LUFS.
  LoudnessMeter meter;
  const int frames = 10 * 48000;
  std::vector<float> x(frames);
  const float a = db_to_gain(-20);
  for (int i = 0; i < frames; ++i) x[i] = a * static_cast<float>(std::sin(kTwoPi * 1000 * i / kFs));
  meter.process(x, x);
  EXPECT_NEAR(meter.momentary_lufs(), -20.0, 0.1);
  EXPECT_NEAR(meter.short_term_lufs(), -20.0, 0.1);
  EXPECT_NEAR(meter.integrated_lufs(), -20.0, 0.1);
  EXPECT_EQ(meter.blocks(), 100u);
}

TEST(DspLoudnessMeter, RelativeGateIgnoresQuietPassages) {
  // 10 s at -46, 20 s at -23, 10 s at -46 dBFS: the quiet parts fall under the relative gate
  // (mean - 10 LU), so the reading is the loud part's.
  LoudnessMeter meter;
  std::vector<float> x(40 * 48000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float level = (i >= 10 * 48000 && i < 30 * 48000) ? -23.0f : -46.0f;
    x[i] = db_to_gain(level) *
           static_cast<float>(std::sin(kTwoPi * 1000 * static_cast<double>(i) / kFs));
  }
  meter.process(x, x);
  EXPECT_NEAR(meter.integrated_lufs(), -23.0, 0.15);
}

TEST(DspLoudnessMeter, AgreesWithLibebur128OnMusicLikeMaterial) {
  std::vector<float> l, r;
  loud_material(l, r, 20 * 48000, 11);
  for (std::size_t i = 0; i < l.size(); ++i) {
    l[i] *= 0.2f;
    r[i] *= 0.2f;
  }
  LoudnessMeter meter;
  meter.process(l, r);
  const auto ref = ta::measure_loudness(interleave(l, r));
  EXPECT_NEAR(meter.integrated_lufs(), ref.integrated_lufs, 0.1);
}

// The stages' design formulas give BS.1770's published 48 kHz coefficients.
TEST(DspLoudnessMeter, KWeightingDesignMatchesThePublished48kHzCoefficients) {
  const KWeighting k = KWeighting::at(48000);
  const double shelf[5] = {1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241,
                           0.73248077421585};
  const double highpass[5] = {1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621};
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(k.shelf[i], shelf[i], 1e-10) << "shelf " << i;
    EXPECT_NEAR(k.highpass[i], highpass[i], 1e-10) << "high-pass " << i;
  }
}

// The meter K-weights every other sample at 24 kHz: tones across the band, up to where content
// folding around 12 kHz still lands on the shelf's plateau, read as libebur128 reads them at
// 48 kHz.
TEST(DspLoudnessMeter, HalfRateReadingMatchesLibebur128AcrossTheBand) {
  for (const double f :
       {40.0, 100.0, 1000.0, 2500.0, 6000.0, 9000.0, 11900.0, 12100.0, 15000.0, 19000.0}) {
    std::vector<float> l(5 * 48000), r(5 * 48000);
    for (std::size_t i = 0; i < l.size(); ++i) {
      l[i] = 0.1f * static_cast<float>(std::sin(kTwoPi * f * static_cast<double>(i) / kFs));
      r[i] = 0.5f * l[i];
    }
    LoudnessMeter meter;
    meter.process(l, r);
    const auto ref = ta::measure_loudness(interleave(l, r));
    std::printf("[ meter ] %6.0f Hz: %+.3f LU from libebur128\n", f,
                meter.integrated_lufs() - ref.integrated_lufs);
    EXPECT_NEAR(meter.integrated_lufs(), ref.integrated_lufs, 0.1) << f << " Hz";
  }
}

TEST(DspLoudnessControl, ConvergesNoFasterThanOneDbPerTenSeconds) {
  LoudnessControl control{LoudnessControlParams{}};
  // Pre-gain material at -26 LUFS: the controller must climb +10 dB, slowly.
  const double pre = std::pow(10.0, (-26.0 + 0.691) / 10.0);
  double last = control.gain_db();
  for (int block = 0; block < 2000; ++block) {  // 200 s
    control.on_block(pre * std::pow(10.0, control.gain_db() / 10.0));
    ASSERT_LE(std::fabs(control.gain_db() - last), 0.01 + 1e-9);
    last = control.gain_db();
  }
  EXPECT_NEAR(control.gain_db(), 10.0, LoudnessControlParams{}.deadband_lu + 0.05);
}

TEST(DspLoudnessControl, FollowsTheTargetOffsetAtTheSameRate) {
  // A quiet section: the target moves 6 dB down; the gain follows, no faster than 1 dB / 10 s.
  LoudnessControl control{LoudnessControlParams{}};
  const double pre = std::pow(10.0, (-16.0 + 0.691) / 10.0);  // already at the target
  for (int block = 0; block < 100; ++block)
    control.on_block(pre * std::pow(10.0, control.gain_db() / 10.0));
  EXPECT_NEAR(control.gain_db(), 0.0, 0.05);
  control.set_target_offset_db(-6);
  double last = control.gain_db();
  for (int block = 0; block < 1200; ++block) {  // 120 s
    control.on_block(pre * std::pow(10.0, control.gain_db() / 10.0));
    ASSERT_LE(std::fabs(control.gain_db() - last), 0.01 + 1e-9);
    last = control.gain_db();
  }
  EXPECT_NEAR(control.gain_db(), -6.0, LoudnessControlParams{}.deadband_lu + 0.05);
}

}  // namespace
