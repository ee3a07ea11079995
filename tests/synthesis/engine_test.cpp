// Behaviour every engine must show: seamless windows and phrase joins, exact batching, accurate
// analytic phase, the shared noise stream. Runs for the CPU engine and, where built, LibTorch.
#include "auralis/synthesis/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "../../synthesis/src/voice_model.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/render_mix.hpp"
#include "auralis/synthesis/timeline.hpp"
#include "synthesis/reference_phrase.hpp"
#include "synthesis/signal_stats.hpp"

namespace auralis::synthesis {
namespace {

using music::Layer;
using testing::reference_phrase;

std::unique_ptr<Engine> make_engine(const std::string& which) {
  return which == "cpu" ? make_cpu_engine() : make_torch_engine("cpu");
}

std::vector<std::string> engines_under_test() {
  std::vector<std::string> names{"cpu"};
  if (torch_engine_available()) names.push_back("torch");
  return names;
}

// Largest allowed |difference| between two renders of the same samples through different
// window splits: the CPU engine anchors phases on an absolute grid and is bit-exact; the torch
// engine anchors per chunk, so float32 rounding may differ in the last bits.
float split_tolerance(const std::string& which) {
  return which == "cpu" ? 0.0f : 2e-6f;
}

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Engine> engine = make_engine(GetParam());
};

RenderJob window_of(const RenderJob& job, std::int64_t start, std::int64_t frames) {
  RenderJob w = job;
  w.start_frame = start;
  w.frames = frames;
  return w;
}

// max |a - b| over every plane, b's planes starting `offset` frames into a's.
float max_difference(const Stems& a, const Stems& b, std::int64_t offset) {
  float worst = 0;
  for (int l = 0; l < music::kLayerCount; ++l) {
    for (int ch = 0; ch < 2; ++ch) {
      const auto pa = a.plane(static_cast<Layer>(l), ch);
      const auto pb = b.plane(static_cast<Layer>(l), ch);
      for (std::int64_t i = 0; i < b.frames(); ++i) {
        worst = std::max(worst, std::abs(pa[offset + i] - pb[i]));
      }
    }
  }
  return worst;
}

TEST_P(EngineTest, EveryLayerSoundsAtASaneLevel) {
  Timeline timeline;
  const auto job = timeline.place(reference_phrase());
  Stems stems;
  engine->render(job, stems);
  ASSERT_EQ(stems.frames(), job.frames);
  for (int l = 0; l < music::kLayerCount; ++l) {
    const auto layer = static_cast<Layer>(l);
    for (int ch = 0; ch < 2; ++ch) {
      const double level = testing::rms(stems.plane(layer, ch));
      EXPECT_GT(level, 1e-3) << "layer " << l << " is silent";
      EXPECT_LT(testing::peak(stems.plane(layer, ch)), 1.0) << "layer " << l << " clips dry";
    }
  }
  // The pad is the bed: louder than the texture by well over 10 dB.
  EXPECT_GT(testing::rms(stems.plane(Layer::pad, 0)),
            3.0 * testing::rms(stems.plane(Layer::texture, 0)));
}

TEST_P(EngineTest, TwoAdjacentWindowsEqualOneWindow) {
  Timeline timeline;
  timeline.place(reference_phrase(0));
  const auto job = timeline.place(reference_phrase(1));  // with carried tails
  Stems whole, head, tail;
  engine->render(job, whole);
  const std::int64_t split = job.frames / 2 + 777;  // off any block grid
  engine->render(window_of(job, job.start_frame, split), head);
  engine->render(window_of(job, job.start_frame + split, job.frames - split), tail);
  EXPECT_LE(max_difference(whole, head, 0), split_tolerance(GetParam()));
  EXPECT_LE(max_difference(whole, tail, split), split_tolerance(GetParam()));
}

TEST_P(EngineTest, PhraseJoinIsSeamless) {
  // Two phrases rendered as the timeline hands them out equal one render of both at once.
  Timeline timeline;
  const auto first = timeline.place(reference_phrase(0));
  const auto second = timeline.place(reference_phrase(1));
  RenderJob both = first;
  both.frames = first.frames + second.frames;
  for (const auto& v : second.voices) {
    if (v.start_frame >= second.start_frame) both.voices.push_back(v);
  }
  Stems a, b, joined;
  engine->render(first, a);
  engine->render(second, b);
  engine->render(both, joined);
  EXPECT_LE(max_difference(joined, a, 0), split_tolerance(GetParam()));
  EXPECT_LE(max_difference(joined, b, first.frames), split_tolerance(GetParam()));
}

TEST_P(EngineTest, RenderBatchEqualsIndividualRenders) {
  Timeline t1, t2;
  const auto a = t1.place(reference_phrase(0));
  t2.place(reference_phrase(5, 0.3));
  const auto b = t2.place(reference_phrase(6, 0.9));
  Stems sa, sb, ba, bb;
  engine->render(a, sa);
  engine->render(b, sb);
  const RenderJob* jobs[] = {&a, &b};
  Stems* outs[] = {&ba, &bb};
  engine->render_batch(jobs, outs);
  ASSERT_EQ(ba.frames(), a.frames);
  ASSERT_EQ(bb.frames(), b.frames);
  EXPECT_LE(max_difference(sa, ba, 0), split_tolerance(GetParam()));
  EXPECT_LE(max_difference(sb, bb, 0), split_tolerance(GetParam()));
}

// render_windows covers the job with consecutive windows whose stems are the whole render's,
// and render_and_mix gives the same audio as a whole render mixed in one call.
TEST_P(EngineTest, WindowsAndRenderAndMixEqualTheWholeRender) {
  Timeline timeline;
  timeline.place(reference_phrase(0));
  RenderJob job = timeline.place(reference_phrase(1));
  job.frames = 5 * 48000 + 777;  // a window of the phrase that ends inside an engine block
  Stems whole, window;
  engine->render(job, whole);
  std::int64_t next = 0;
  int windows = 0;
  engine->render_windows(
      job, window, [&](std::int64_t offset, std::int64_t frames, const Stems& stems) {
        ASSERT_EQ(offset, next) << "windows must follow each other";
        ASSERT_GT(frames, 0);
        ASSERT_GE(stems.frames(), frames);
        for (int l = 0; l < music::kLayerCount; ++l) {
          const auto layer = static_cast<Layer>(l);
          for (int ch = 0; ch < 2; ++ch) {
            const auto a = whole.plane(layer, ch).subspan(static_cast<std::size_t>(offset));
            const auto b = stems.plane(layer, ch);
            for (std::int64_t i = 0; i < frames; ++i) {
              ASSERT_LE(std::abs(a[i] - b[i]), split_tolerance(GetParam()))
                  << "layer " << l << " frame " << offset + i;
            }
            // A silence flag on the window's stems must be the truth.
            if (stems.silent(layer, 0, frames)) {
              for (std::int64_t i = 0; i < frames; ++i) ASSERT_EQ(b[i], 0.0f);
            }
          }
        }
        next = offset + frames;
        ++windows;
      });
  EXPECT_EQ(next, job.frames);
  if (GetParam() == "cpu") {
    EXPECT_GT(windows, 100) << "the CPU engine hands over engine blocks";
  }

  Mixer one_call, windowed;
  std::vector<float> expected(static_cast<std::size_t>(2 * job.frames));
  std::vector<float> got(expected.size(), -1.0f);
  one_call.process(job, whole, expected);
  const auto times = render_and_mix(*engine, job, windowed, window, got);
  EXPECT_EQ(got, expected);  // bit-exact: the CPU engine's windows and the Mixer split exactly
  EXPECT_GT(times.render_s, 0.0);
  EXPECT_GT(times.mix_s, 0.0);
}

// A job given up on stops at the next window: render_and_mix throws RenderCancelled.
TEST_P(EngineTest, RenderAndMixStopsWhenCancelled) {
  Timeline timeline;
  const RenderJob job = timeline.place(reference_phrase(0));
  Mixer mixer;
  Stems window;
  std::vector<float> pcm(static_cast<std::size_t>(2 * job.frames));
  std::atomic<bool> cancelled{true};
  EXPECT_THROW(render_and_mix(*engine, job, mixer, window, pcm, &cancelled), RenderCancelled);
  cancelled = false;
  Mixer fresh;
  EXPECT_NO_THROW(render_and_mix(*engine, job, fresh, window, pcm, &cancelled));
}

// Render pools hand an engine the buffers of earlier phrases: every frame of every plane is
// written, whatever the buffer held (here NaN, a longer phrase and a shorter one before).
TEST_P(EngineTest, RenderOverwritesAReusedBuffer) {
  Timeline timeline;
  timeline.place(reference_phrase(0));
  const auto job = timeline.place(reference_phrase(1));
  Stems fresh;
  engine->render(job, fresh);
  for (const std::int64_t before : {job.frames + 4096, job.frames / 3}) {
    Stems reused;
    reused.resize(before);
    for (int l = 0; l < music::kLayerCount; ++l)
      for (int ch = 0; ch < 2; ++ch) {
        auto plane = reused.plane(static_cast<Layer>(l), ch);
        std::fill(plane.begin(), plane.end(), std::numeric_limits<float>::quiet_NaN());
      }
    engine->render(job, reused);
    ASSERT_EQ(reused.frames(), job.frames);
    for (int l = 0; l < music::kLayerCount; ++l)
      for (int ch = 0; ch < 2; ++ch) {
        const auto plane = reused.plane(static_cast<Layer>(l), ch);
        EXPECT_EQ(std::count_if(plane.begin(), plane.end(), [](float x) { return std::isnan(x); }),
                  0)
            << "layer " << l << " channel " << ch << " kept samples of the old buffer";
      }
    EXPECT_LE(max_difference(fresh, reused, 0), split_tolerance(GetParam()));
  }
}

// One buffer for phrase after phrase, as a render pool reuses it: each render equals a fresh
// one, and every grain the stems call silent holds zeros in both channels.
TEST_P(EngineTest, ReusedBufferKeepsSilenceFlagsTruthful) {
  Timeline timeline;
  Stems reused;
  for (int p = 0; p < 3; ++p) {
    const auto job = timeline.place(reference_phrase(p));
    Stems fresh;
    engine->render(job, fresh);
    engine->render(job, reused);
    EXPECT_LE(max_difference(fresh, reused, 0), split_tolerance(GetParam())) << "phrase " << p;
    int silent_grains = 0;
    for (int l = 0; l < music::kLayerCount; ++l)
      for (std::int64_t g = 0; g * Stems::kGrain < job.frames; ++g) {
        const std::int64_t n = std::min(Stems::kGrain, job.frames - g * Stems::kGrain);
        if (!std::as_const(reused).silent(static_cast<Layer>(l), g * Stems::kGrain, n)) continue;
        ++silent_grains;
        for (int ch = 0; ch < 2; ++ch) {
          const auto plane = std::as_const(reused).plane(static_cast<Layer>(l), ch);
          for (std::int64_t i = g * Stems::kGrain; i < g * Stems::kGrain + n; ++i)
            ASSERT_EQ(plane[static_cast<std::size_t>(i)], 0.0f) << "layer " << l << " frame " << i;
        }
      }
    if (GetParam() == "cpu") {
      EXPECT_GT(silent_grains, 0);  // the CPU engine marks its silence
    }
  }
}

// A 30 s sub-bass note (sine through the tanh drive) against a long-double reference of the
// same formula: phase error over the whole note must stay below -75 dB.
TEST_P(EngineTest, AnalyticPhaseStaysAccurateOverThirtySeconds) {
  for (double freq_hz : {55.0, 440.0, 1234.5}) {
    VoiceSpec v;
    v.layer = Layer::bass;
    v.instrument = music::Instrument::sub_bass;  // timbre 0.5: drive 1.5
    v.start_frame = 7 * kSampleRate + 123;       // not on any block grid
    v.gate_frames = 30 * kSampleRate;
    v.freq_hz = freq_hz;
    v.gain = 0.5f;
    v.seed = 42;
    v.attack_s = 0.01f;
    v.decay_s = 0.01f;
    v.sustain = 1.0f;
    v.release_s = 0.01f;
    v.curve = 1.0f;
    RenderJob job;
    job.start_frame = v.start_frame;
    job.frames = v.gate_frames;
    job.voices = {v};
    Stems stems;
    engine->render(job, stems);
    const auto left = stems.plane(Layer::bass, 0);
    const long double gain = voice::pan_gains(0.0f, v.gain).left;
    const long double phase0 = voice::start_phase(v.seed, 0);
    const long double two_pi = 2.0L * std::numbers::pi_v<long double>;
    long double signal = 0, error = 0;
    for (std::int64_t i = kSampleRate; i < job.frames; ++i) {  // after the attack and decay
      const long double cycles = phase0 + freq_hz * static_cast<long double>(i) / kSampleRate;
      const long double ref = gain * std::tanh(1.5L * std::sin(two_pi * cycles)) / std::tanh(1.5L);
      signal += ref * ref;
      error += (left[i] - ref) * (left[i] - ref);
    }
    const double snr_db = 10.0 * std::log10(static_cast<double>(signal / error));
    RecordProperty("phase_snr_db_" + std::to_string(static_cast<int>(freq_hz)), snr_db);
    std::printf("[ engine %s ] 30 s note at %.1f Hz: SNR %.1f dB\n", GetParam().c_str(), freq_hz,
                snr_db);
    EXPECT_GE(snr_db, 75.0) << "phase drifts at " << freq_hz << " Hz";
  }
}

TEST_P(EngineTest, NoiseIsTheSharedCounterHash) {
  VoiceSpec v;
  v.layer = Layer::texture;
  v.instrument = music::Instrument::air;
  v.start_frame = 1000;
  v.gate_frames = 4800;
  v.gain = 1.0f;
  v.seed = 99;
  v.attack_s = 0.001f;
  v.decay_s = 0.001f;
  v.sustain = 1.0f;
  v.release_s = 0.001f;
  v.curve = 1.0f;
  RenderJob job;
  job.start_frame = 0;
  job.frames = 8000;
  job.voices = {v};
  Stems stems;
  engine->render(job, stems);
  const auto left = stems.plane(Layer::texture, 0);
  const float gain = voice::pan_gains(0.0f, 1.0f).left;
  const auto key = voice::noise_key(v.seed);
  for (std::int64_t f = 1200; f < 5000; ++f) {  // on the sustain plateau
    ASSERT_NEAR(left[f], gain * voice::noise_sample(key, f), 1e-6f) << "frame " << f;
  }
  EXPECT_EQ(left[999], 0.0f);
  EXPECT_EQ(left[7000], 0.0f);
}

TEST_P(EngineTest, EnvelopeFollowsTheClosedForm) {
  VoiceSpec v;
  v.layer = Layer::texture;  // noise divided out below leaves the envelope
  v.instrument = music::Instrument::air;
  v.start_frame = 5000;
  v.gate_frames = 9000;  // note-off mid-decay
  v.gain = 1.0f;
  v.seed = 7;
  v.attack_s = 0.05f;
  v.decay_s = 0.3f;
  v.sustain = 0.5f;
  v.release_s = 0.2f;
  v.curve = 2.5f;
  RenderJob job;
  job.start_frame = 0;
  job.frames = v.end_frame() + 100;
  job.voices = {v};
  Stems stems;
  engine->render(job, stems);
  const auto left = stems.plane(Layer::texture, 0);
  const auto env = voice::envelope_frames(v);
  const float gain = voice::pan_gains(0.0f, 1.0f).left;
  const auto key = voice::noise_key(v.seed);
  for (std::int64_t f = v.start_frame; f < v.end_frame(); ++f) {
    const double expected = gain * voice::noise_sample(key, f) *
                            voice::envelope_reference(env, static_cast<double>(f - v.start_frame));
    ASSERT_NEAR(left[f], expected, 2e-5) << "frame " << f;
  }
  EXPECT_EQ(left[v.end_frame() + 10], 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::ValuesIn(engines_under_test()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace auralis::synthesis
