// The listening targets of issue #16 on rendered audio (docs/music.md, "The music report"),
// on renders shorter than the report's half hour: 20 minutes at the default settings, 10 of the
// pitched layers alone, and 15 minutes at energy 0.85 with the percussion measured solo.
// bench/music_report prints the same figures over 30-minute renders.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include "auralis/analysis/listener.hpp"
#include "auralis/analysis/session_render.hpp"
#include "auralis/synthesis/engine.hpp"

namespace auralis::synthesis {
namespace {

constexpr double kRate = kSampleRate;

// Renders `minutes` of a session as the daemon does into `listener` (and the percussion alone,
// at the full mix's gain, into `solo` when given).
void render(const music::SessionParams& params, double minutes, analysis::Listener& listener,
            analysis::Listener* solo = nullptr) {
  auto engine = make_cpu_engine();
  analysis::render_session(params, *engine, static_cast<std::int64_t>(minutes * 60 * kRate),
                           listener, solo);
}

TEST(ListeningTargets, TwentyMinutesAtTheDefaultSettings) {
  music::SessionParams p;  // energy 0.4, brightness 0.5, 70 BPM
  p.seed = 11;
  analysis::Listener listener;
  render(p, 20, listener);
  const auto f = listener.figures();
  std::printf(
      "[ listen ] 20 min: %.1f LUFS, LRA %.1f LU, true peak %.1f dBTP, centroid %.0f Hz, below "
      "150 Hz %.1f%%, above 2 kHz %.1f%%, per-minute centroid max/min %.2f, %d joins: swells "
      "%.0f%%, timing sd %.1f s\n",
      f.integrated_lufs, f.loudness_range_lu, f.true_peak_dbtp, f.centroid_median_hz,
      100 * f.low_share, 100 * f.high_share, f.minute_centroid_ratio, f.joins,
      100 * f.join_swell_share, f.swell_timing_sd_s);
  EXPECT_GE(f.centroid_median_hz, 600) << "an open sound, not a dark one";
  EXPECT_LE(f.centroid_median_hz, 1200);
  EXPECT_LT(f.low_share, 0.25) << "power below 150 Hz";
  EXPECT_LE(f.join_swell_share, 0.5) << "high-band swells on the phrase clock";
  EXPECT_GT(f.swell_timing_sd_s, 4.0) << "swell timing is no tic";
  EXPECT_GE(f.minute_centroid_ratio, 2.0) << "the colour travels from minute to minute";
  EXPECT_GE(f.loudness_range_lu, 5.0) << "sections breathe";
  EXPECT_LE(f.loudness_range_lu, 10.0);
  EXPECT_NEAR(f.integrated_lufs, -16.0, 1.0);
  EXPECT_LE(f.true_peak_dbtp, -1.0);
}

TEST(ListeningTargets, PitchedLayersReachAboveTwoKilohertz) {
  music::SessionParams p;
  p.seed = 22;
  p.layers.texture = false;
  p.layers.percussion = false;
  analysis::Listener listener;
  render(p, 10, listener);
  const auto f = listener.figures();
  std::printf("[ listen ] pitched layers, 10 min: above 2 kHz %.2f%%\n", 100 * f.high_share);
  EXPECT_GE(f.high_share, 0.02);
}

TEST(ListeningTargets, PercussionIsHeardAtHighEnergy) {
  music::SessionParams p;
  p.seed = 33;
  p.energy = 0.85;
  analysis::Listener listener, solo;
  render(p, 15, listener, &solo);
  const auto f = listener.figures();
  const auto s = solo.figures();
  std::printf(
      "[ listen ] energy 0.85, 15 min: %.1f LUFS, LRA %.1f LU; percussion alone peaks at "
      "%.1f LUFS short-term\n",
      f.integrated_lufs, f.loudness_range_lu, s.max_short_term_lufs);
  EXPECT_GE(s.max_short_term_lufs, -22.0);
  EXPECT_NEAR(f.integrated_lufs, -16.0, 1.0);
  EXPECT_LE(f.true_peak_dbtp, -1.0);
}

}  // namespace
}  // namespace auralis::synthesis
