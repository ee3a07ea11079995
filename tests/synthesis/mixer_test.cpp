// The Mixer on synthetic stems (sine pads, noise bursts): continuity across windows of any
// size, copies as independent snapshots, no allocation while processing, silence ringing out,
// and the master's ceiling and loudness.
#include "auralis/synthesis/mixer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <utility>
#include <vector>

#include "audio_analysis.hpp"

// Counts heap allocations made while `g_count_allocations` is set (this test binary only).
// AddressSanitizer owns operator new/delete itself, so the count is skipped under it.
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
}  // namespace
#if !defined(__SANITIZE_ADDRESS__)
#define AURALIS_COUNT_ALLOCATIONS 1
void* operator new(std::size_t size) {
  if (g_count_allocations.load(std::memory_order_relaxed)) ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
  if (g_count_allocations.load(std::memory_order_relaxed)) ++g_allocations;
  const auto a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that these pair with the malloc-based operator new above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop
#endif

namespace {

using auralis::music::Layer;
using auralis::synthesis::Mixer;
using auralis::synthesis::RenderJob;
using auralis::synthesis::Stems;
namespace ta = auralis::test_audio;

constexpr double kFs = 48000;
constexpr double kTwoPi = 6.283185307179586;

// Deterministic stand-in for an engine: every layer, each a pure function of the absolute frame.
void synth_stems(std::int64_t start, std::int64_t frames, Stems& stems) {
  stems.resize(frames);
  stems.clear();
  const double chord[4] = {146.83, 220.0, 293.66, 349.23};
  for (std::int64_t i = 0; i < frames; ++i) {
    const std::int64_t f = start + i;
    const double t = static_cast<double>(f) / kFs;
    double pad = 0;
    for (double hz : chord)
      pad += std::sin(kTwoPi * hz * t) + 0.5 * std::sin(kTwoPi * 2 * hz * t + 1);
    pad *= 0.06;
    const double beat = std::fmod(t, 0.857);  // 70 BPM
    const double lead_env = std::exp(-beat * 3) * (std::fmod(t, 3.43) < 1.7 ? 1 : 0);
    const double lead = 0.15 * lead_env * std::sin(kTwoPi * 587.33 * t);
    const double bass = 0.25 * std::sin(kTwoPi * 73.42 * t);
    // Counter-based noise (hash of the frame), like the engines' noise streams.
    std::uint64_t h = static_cast<std::uint64_t>(f) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    const double white = static_cast<double>(h >> 11) / 9007199254740992.0 * 2 - 1;
    const double swell = 0.5 + 0.5 * std::sin(kTwoPi * t / 27.4);
    const double kick_env = std::exp(-beat * 12);
    const double kick = 0.5 * kick_env * std::sin(kTwoPi * (50 + 70 * std::exp(-beat * 25)) * beat);
    const double brush = 0.2 * std::exp(-std::fmod(t + 0.43, 0.857) * 30) * white;
    auto put = [&](Layer layer, double l, double r) {
      stems.plane(layer, 0)[i] = static_cast<float>(l);
      stems.plane(layer, 1)[i] = static_cast<float>(r);
    };
    put(Layer::pad, pad * 1.1, pad * 0.9);
    put(Layer::lead, lead * 0.8, lead * 1.2);
    put(Layer::bass, bass, bass);
    put(Layer::texture, 0.3 * swell * white, -0.3 * swell * white);
    put(Layer::kick, kick, kick);
    put(Layer::brush, brush * 0.7, brush * 1.3);
  }
}

RenderJob job_for(std::int64_t start, std::int64_t frames) {
  RenderJob job;
  job.start_frame = start;
  job.frames = frames;
  job.controls.pad_cutoff_hz = 1400;
  job.controls.filter_lfo_hz = 0.06;
  job.controls.energy = 0.5;
  job.controls.tempo_bpm = 70;
  const std::int64_t phrase = static_cast<std::int64_t>(8 * 4 * 60 / 70.0 * kFs);
  job.controls.phrase_start_frame = start - start % phrase;
  job.controls.phrase_frames = phrase;
  return job;
}

// Runs [start, start + frames) through `mixer` in windows of the given sizes (cycled).
std::vector<float> run(Mixer& mixer, std::int64_t start, std::int64_t frames,
                       const std::vector<std::int64_t>& windows) {
  std::vector<float> out(static_cast<std::size_t>(2 * frames));
  Stems stems;
  std::int64_t done = 0;
  for (std::size_t w = 0; done < frames; ++w) {
    const std::int64_t n = std::min(windows[w % windows.size()], frames - done);
    synth_stems(start + done, n, stems);
    mixer.process(job_for(start + done, n), stems,
                  std::span<float>(out).subspan(static_cast<std::size_t>(2 * done),
                                                static_cast<std::size_t>(2 * n)));
    done += n;
  }
  return out;
}

TEST(MixerContinuity, AnyWindowSizesGiveTheSameOutputAsOneWindow) {
  const std::int64_t frames = 6 * 48000;
  Mixer whole, chunked, tiny;
  const auto a = run(whole, 1000, frames, {frames});
  const auto b = run(chunked, 1000, frames, {4800, 17, 1, 63, 64, 65, 12345, 999});
  const auto c = run(tiny, 1000, frames / 6, {1, 2, 3, 5, 7});
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a, b);
  EXPECT_TRUE(std::equal(c.begin(), c.end(), a.begin()));
}

// Layers the stems mark silent are not read (Stems::silent): the output is the same bits as
// for the same samples without the marks.
TEST(MixerSilence, StemsSilenceFlagsChangeNoBits) {
  const std::int64_t start = 777, frames = 5 * 48000;
  Stems marked;
  synth_stems(start, frames, marked);
  for (Layer layer : {Layer::texture, Layer::brush, Layer::kick, Layer::lead})
    marked.store_silence(layer, frames / 5, frames / 2);  // zeros, flagged grain by grain
  ASSERT_TRUE(std::as_const(marked).silent(Layer::texture, frames / 4, 48000));
  Stems unmarked = marked;
  for (Layer layer : {Layer::texture, Layer::brush, Layer::kick, Layer::lead})
    (void)unmarked.plane(layer, 0);  // a writable plane drops the flags, keeps the samples
  ASSERT_FALSE(std::as_const(unmarked).silent(Layer::texture, frames / 4, 48000));
  std::vector<float> a(static_cast<std::size_t>(2 * frames)), b(a.size());
  Mixer with_flags, without_flags;
  with_flags.process(job_for(start, frames), marked, a);
  without_flags.process(job_for(start, frames), unmarked, b);
  EXPECT_EQ(a, b);
}

TEST(MixerSnapshot, CopyIsAnIndependentSnapshot) {
  Mixer original;
  run(original, 0, 3 * 48000, {4800});
  Mixer snapshot = original;
  const auto reference = run(original, 3 * 48000, 2 * 48000, {4800});
  // The original has moved on; the snapshot still continues from the copy point.
  const auto replay = run(snapshot, 3 * 48000, 2 * 48000, {4800});
  EXPECT_EQ(reference, replay);
  Mixer assigned;
  assigned = snapshot;  // snapshot is now at 5 s
  const auto next_a = run(snapshot, 5 * 48000, 48000, {4800});
  const auto next_b = run(assigned, 5 * 48000, 48000, {4800});
  EXPECT_EQ(next_a, next_b);
}

TEST(MixerRealtime, NoAllocationWhileProcessing) {
#if !defined(AURALIS_COUNT_ALLOCATIONS)
  GTEST_SKIP() << "allocation counting is off under AddressSanitizer";
#endif
  Mixer mixer;
  Stems stems;
  std::vector<float> out(2 * 4800);
  synth_stems(0, 4800, stems);
  mixer.process(job_for(0, 4800), stems, out);  // warm-up
  g_allocations = 0;
  g_count_allocations = true;
  for (int w = 1; w < 20; ++w) mixer.process(job_for(w * 4800, 4800), stems, out);
  mixer.process_silence(job_for(20 * 4800, 4800).controls, 4800, out);
  g_count_allocations = false;
  EXPECT_EQ(g_allocations.load(), 0);
}

TEST(MixerSilence, TailsRingOutAndFade) {
  Mixer mixer;
  const auto music = run(mixer, 0, 10 * 48000, {4800});
  std::vector<float> out(2 * 12 * 48000);
  for (int w = 0; w < 120; ++w)
    mixer.process_silence(job_for(10 * 48000, 4800).controls, 4800,
                          std::span<float>(out).subspan(static_cast<std::size_t>(w) * 9600, 9600));
  // The first 100 ms still carries the tail (no hard cut) ...
  EXPECT_GT(ta::rms(std::span<const float>(out).subspan(0, 9600)), 1e-3);
  // ... with no jump from the last music sample.
  EXPECT_LT(std::fabs(out[0] - music[music.size() - 2]), 0.05);
  // ... and the end is silent.
  EXPECT_LT(ta::sample_peak(std::span<const float>(out).subspan(out.size() - 96000)), 1e-6);
}

TEST(MixerMaster, SyntheticMixIsTruePeakSafeAndNearTarget) {
  Mixer mixer;
  const auto out = run(mixer, 0, 90 * 48000, {4800});
  const auto m = ta::measure_loudness(out);
  EXPECT_LE(m.true_peak_dbtp, -1.0);
  // The synthetic stems are not calibrated to the engine; the controller still moves the
  // level toward -16 LUFS (at most 1 dB per 10 s), never past it.
  const auto last30 =
      ta::measure_loudness(std::span<const float>(out).subspan(out.size() - 2 * 30 * 48000));
  EXPECT_GT(last30.integrated_lufs, -40.0);
  EXPECT_LT(last30.integrated_lufs, -14.0);
  double dc_l = 0, dc_r = 0;
  for (std::size_t i = 0; i < out.size(); i += 2) {
    dc_l += out[i];
    dc_r += out[i + 1];
  }
  EXPECT_LT(std::fabs(dc_l) / (out.size() / 2), 1e-3);
  EXPECT_LT(std::fabs(dc_r) / (out.size() / 2), 1e-3);
  if (const char* dir = std::getenv("AURALIS_WAV_DIR"))
    ta::write_wav(std::string(dir) + "/mixer_synthetic.wav", out);
}

}  // namespace
