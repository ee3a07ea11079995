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
#include "auralis/music/composer.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::synthesis {
namespace {

constexpr double kRate = kSampleRate;

// Renders `minutes` of a session as the daemon does into `listener`; the kick and brush stems
// alone, through a second mixer held at the full mix's master gain, into `solo` when given.
void render(const music::SessionParams& params, double minutes, analysis::Listener& listener,
            analysis::Listener* solo = nullptr) {
  music::Composer composer(params);
  Timeline timeline;
  auto engine = make_cpu_engine();
  Mixer mixer, solo_mixer;
  Stems window, solo_stems;
  std::vector<float> pcm, solo_pcm;
  const auto total = static_cast<std::int64_t>(minutes * 60 * kRate);
  for (std::int64_t done = 0; done < total;) {
    const RenderJob job = timeline.place(composer.next());
    if (job.start_frame > 0) listener.mark_join(job.start_frame);
    pcm.assign(static_cast<std::size_t>(2 * job.frames), 0.0f);
    solo_pcm.assign(pcm.size(), 0.0f);
    RenderJob w;
    w.controls = job.controls;
    engine->render_windows(
        job, window, [&](std::int64_t offset, std::int64_t frames, const Stems& stems) {
          w.start_frame = job.start_frame + offset;
          w.frames = frames;
          const auto at = static_cast<std::size_t>(2 * offset);
          const auto n = static_cast<std::size_t>(2 * frames);
          mixer.process(w, stems, std::span<float>(pcm).subspan(at, n));
          if (!solo) return;
          solo_stems.resize(frames);
          for (int l = 0; l < music::kLayerCount; ++l) {
            const auto layer = static_cast<music::Layer>(l);
            const bool percussion = layer == music::Layer::kick || layer == music::Layer::brush;
            if (percussion && !stems.silent(layer, 0, frames)) {
              solo_stems.store(layer, 0, stems.plane(layer, 0).data(), stems.plane(layer, 1).data(),
                               frames);
            } else {
              solo_stems.store_silence(layer, 0, frames);
            }
          }
          solo_mixer.hold_master_gain_db(mixer.master_gain_db());
          solo_mixer.process(w, solo_stems, std::span<float>(solo_pcm).subspan(at, n));
        });
    const std::int64_t keep = std::min(job.frames, total - done);
    listener.add(std::span<const float>(pcm).first(static_cast<std::size_t>(2 * keep)));
    if (solo) solo->add(std::span<const float>(solo_pcm).first(static_cast<std::size_t>(2 * keep)));
    done += keep;
  }
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
