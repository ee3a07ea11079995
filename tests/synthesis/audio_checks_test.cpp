// The objective checks (docs/music.md, "Checks") on the full pipeline: Composer ->
// Timeline::place -> CPU engine -> Mixer, phrase after phrase, 3 minutes at energies 0.2, 0.5
// and 0.8. The join check listens to the continuous layers (percussion off: a brush on the
// downbeat of a join is music, not a click). Measured values
// are printed (and recorded as test properties) so tuning can follow them. Set AURALIS_WAV_DIR
// to also write each render as a WAV for listening and spectrograms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "audio_analysis.hpp"
#include "auralis/music/composer.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/timeline.hpp"
#include "synthesis/reference_filters.hpp"

namespace {

using namespace auralis;
namespace ta = auralis::test_audio;

constexpr int kFs = synthesis::kSampleRate;
constexpr double kRenderS = 180;

struct Render {
  std::vector<float> out;           // interleaved stereo
  std::vector<std::int64_t> joins;  // frame of every phrase join (relative to the start)
};

Render render_session(double energy, std::uint64_t seed, bool percussion = true) {
  music::SessionParams params;
  params.layers.percussion = percussion;
  params.energy = energy;
  params.brightness = 0.5;
  params.tempo_bpm = 70;
  params.seed = seed;
  music::Composer composer(params);
  synthesis::Timeline timeline;
  auto engine = synthesis::make_cpu_engine();
  synthesis::Mixer mixer;
  synthesis::Stems stems;
  Render r;
  const auto total = static_cast<std::int64_t>(kRenderS * kFs);
  r.out.reserve(static_cast<std::size_t>(2 * total + 4 * 60 * kFs));
  while (static_cast<std::int64_t>(r.out.size() / 2) < total) {
    const synthesis::RenderJob job = timeline.place(composer.next());
    if (job.start_frame > 0) r.joins.push_back(job.start_frame);
    engine->render(job, stems);
    const std::size_t at = r.out.size();
    r.out.resize(at + static_cast<std::size_t>(2 * job.frames));
    mixer.process(job, stems, std::span<float>(r.out).subspan(at));
  }
  r.out.resize(static_cast<std::size_t>(2 * total));
  return r;
}

struct Checks {
  double lufs, true_peak_dbtp, dc_max, worst_join_db, correlation, longest_silence_s;
  int longest_flat_run;
  double texture_rel_db = 0;
};

// Clicks: 10 ms peaks of the signal above 6 kHz (2nd-order high-pass, as ffmpeg's
// highpass=f=6000), each join's +-50 ms against the median of the 2 s around it; the worst, dB.
double worst_join_db(const Render& r) {
  const auto& x = r.out;
  const std::size_t frames = x.size() / 2;
  std::vector<float> hp(x.size());
  for (int ch = 0; ch < 2; ++ch) {
    std::vector<float> channel(frames);
    for (std::size_t i = 0; i < frames; ++i) channel[i] = x[2 * i + ch];
    synthesis::testing::ReferenceBiquad(synthesis::dsp::BiquadCoefs::highpass(6000, 0.7071f, kFs))
        .process(channel);
    for (std::size_t i = 0; i < frames; ++i) hp[2 * i + ch] = channel[i];
  }
  const std::size_t block = 480;
  std::vector<double> peaks(frames / block);
  for (std::size_t b = 0; b < peaks.size(); ++b) {
    double p = 0;
    for (std::size_t k = 2 * b * block; k < 2 * (b + 1) * block; ++k)
      p = std::max(p, static_cast<double>(std::fabs(hp[k])));
    peaks[b] = p;
  }
  double worst = -1e9;
  for (std::int64_t join : r.joins) {
    const auto jb = static_cast<std::int64_t>(join / static_cast<std::int64_t>(block));
    if (jb - 100 < 0 || jb + 100 >= static_cast<std::int64_t>(peaks.size())) continue;
    std::vector<double> around(peaks.begin() + (jb - 100), peaks.begin() + (jb + 100));
    std::nth_element(around.begin(), around.begin() + 100, around.end());
    const double median = std::max(around[100], 1e-9);
    double near = 0;
    for (std::int64_t b = jb - 5; b <= jb + 5; ++b)
      near = std::max(near, peaks[static_cast<std::size_t>(b)]);
    worst = std::max(worst, ta::db(near / median));
  }
  return worst;
}

Checks measure(const Render& r) {
  Checks c{};
  const auto& x = r.out;
  const std::size_t frames = x.size() / 2;
  const auto loud = ta::measure_loudness(x);
  c.lufs = loud.integrated_lufs;
  c.true_peak_dbtp = loud.true_peak_dbtp;

  double sum_l = 0, sum_r = 0;
  for (std::size_t i = 0; i < frames; ++i) {
    sum_l += x[2 * i];
    sum_r += x[2 * i + 1];
  }
  c.dc_max = std::max(std::fabs(sum_l), std::fabs(sum_r)) / static_cast<double>(frames);
  c.longest_flat_run = std::max(ta::longest_flat_run(x, 0, 0.5f), ta::longest_flat_run(x, 1, 0.5f));

  // Stereo: Pearson correlation per 100 ms window (like aphasemeter), averaged over windows
  // that are not silent.
  double corr_sum = 0;
  int corr_n = 0;
  for (std::size_t w = 0; w + 4800 <= frames; w += 4800) {
    double ll = 0, rr = 0, lr = 0;
    for (std::size_t i = w; i < w + 4800; ++i) {
      const double l = x[2 * i], rv = x[2 * i + 1];
      ll += l * l;
      rr += rv * rv;
      lr += l * rv;
    }
    if (ll < 1e-8 * 4800 || rr < 1e-8 * 4800) continue;
    corr_sum += lr / std::sqrt(ll * rr);
    ++corr_n;
  }
  c.correlation = corr_n ? corr_sum / corr_n : 0;

  // Silence as silencedetect=noise=-50dB sees it: both channels under -50 dBFS.
  const float quiet = std::pow(10.0f, -50.0f / 20.0f);
  std::size_t run = 0, longest = 0;
  for (std::size_t i = 0; i < frames; ++i) {
    if (std::fabs(x[2 * i]) < quiet && std::fabs(x[2 * i + 1]) < quiet) {
      longest = std::max(longest, ++run);
    } else {
      run = 0;
    }
  }
  c.longest_silence_s = static_cast<double>(longest) / kFs;
  return c;
}

class AudioChecks : public ::testing::TestWithParam<double> {};

TEST_P(AudioChecks, ThreeMinutesOfTheFullPipelinePassTheChecks) {
  const double energy = GetParam();
  const Render r = render_session(energy, 20240601);
  Checks c = measure(r);
  c.worst_join_db = worst_join_db(render_session(energy, 20240601, false));
  std::printf(
      "[audio energy %.1f] integrated %.2f LUFS, true peak %.2f dBTP, DC %.2e, flat run %d, "
      "worst join +%.1f dB, correlation %.2f, longest silence %.2f s\n",
      energy, c.lufs, c.true_peak_dbtp, c.dc_max, c.longest_flat_run, c.worst_join_db,
      c.correlation, c.longest_silence_s);
  RecordProperty("integrated_lufs", std::to_string(c.lufs));
  RecordProperty("true_peak_dbtp", std::to_string(c.true_peak_dbtp));
  if (const char* dir = std::getenv("AURALIS_WAV_DIR")) {
    char name[64];
    std::snprintf(name, sizeof name, "/audio_energy_%.1f.wav", energy);
    ta::write_wav(std::string(dir) + name, r.out);
  }
  EXPECT_NEAR(c.lufs, -16.0, 1.0) << "integrated loudness";
  EXPECT_LE(c.true_peak_dbtp, -1.0) << "true peak";
  EXPECT_LT(c.dc_max, 1e-3) << "DC offset";
  EXPECT_LT(c.longest_flat_run, 3) << "clipped (flat) run";
  EXPECT_LT(c.worst_join_db, 20.0) << "click at a phrase join (HF peak over its 2 s median)";
  EXPECT_GE(c.correlation, 0.2) << "stereo correlation";
  EXPECT_LE(c.correlation, 0.9) << "stereo correlation";
  EXPECT_LT(c.longest_silence_s, 2.0) << "dropout (silence over 2 s)";
}

INSTANTIATE_TEST_SUITE_P(Energies, AudioChecks, ::testing::Values(0.2, 0.5, 0.8),
                         [](const auto& param) {
                           return "energy_" + std::to_string(static_cast<int>(param.param * 10));
                         });

}  // namespace
