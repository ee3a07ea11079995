// The phrase scheduler's degradation drill on a manual clock: the pacer's 20 ms steps are
// simulated, and after every step the test waits (in real time) until no render can progress
// without the clock, so every run takes the same path, faster than real time.
#include "auralis/devices/phrase_scheduler.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auralis/config/log.hpp"
#include "auralis/devices/clock.hpp"
#include "auralis/devices/render_metrics.hpp"
#include "auralis/devices/render_pool.hpp"
#include "auralis/music/composer.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::devices {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kFrame = 960;  // 20 ms

// Collects the messages of one component logger while alive.
class LogCapture {
 public:
  explicit LogCapture(const std::string& component) : logger_(log::get(component)) {
    sink_ = std::make_shared<Sink>();
    logger_->sinks().push_back(sink_);
  }
  ~LogCapture() { std::erase(logger_->sinks(), sink_); }
  std::vector<std::string> errors() const { return sink_->errors(); }
  // The first ERROR line containing every needle, or "".
  std::string find_error(std::initializer_list<std::string> needles) const {
    for (const auto& line : errors()) {
      bool all = true;
      for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
      if (all) return line;
    }
    return "";
  }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::vector<std::string> errors() const {
      std::lock_guard lock(copy_mutex_);
      return errors_;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      if (msg.level < spdlog::level::err) return;
      std::lock_guard lock(copy_mutex_);
      errors_.emplace_back(msg.payload.begin(), msg.payload.end());
    }
    void flush_() override {}

   private:
    mutable std::mutex copy_mutex_;
    std::vector<std::string> errors_;
  };
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<Sink> sink_;
};

music::SessionParams test_params() {
  music::SessionParams p;
  p.tempo_bpm = 120;  // short phrases (~16 s) keep the drill quick
  p.seed = 7;
  p.energy = 0.6;
  return p;
}

// Test parameters are known good: a failed check is a broken test.
music::ValidParams valid(const music::SessionParams& p) {
  return std::get<music::ValidParams>(music::ValidParams::check(p));
}

// Phrase boundaries (timeline frames) of an unchanged session, from a replica of its composer.
std::vector<std::int64_t> phrase_starts(const music::SessionParams& params, int phrases) {
  music::Composer replica(params);
  std::vector<std::int64_t> starts{0};
  for (int i = 0; i < phrases; ++i)
    starts.push_back(starts.back() + synthesis::phrase_frames(replica.next()));
  return starts;
}

struct PlayedPhrase {
  std::uint64_t index = 0;
  std::string engine;
  double tempo_bpm = 0;
  music::Mode mode{};
  std::int64_t event_frame = 0;  // stream frame at the end of the read that announced it
};

// One session scheduler with a torch pool (when built) and a CPU pool, paced by hand.
class Rig {
 public:
  explicit Rig(SchedulerSettings settings, bool with_torch = true) {
    if (with_torch)
      torch = std::make_unique<RenderPool>(
          1, [] { return synthesis::make_torch_engine("cpu", 1); }, 8, clock);
    cpu = std::make_unique<RenderPool>(
        2, [] { return synthesis::make_cpu_engine(); }, 1, clock);
    std::vector<RenderPool*> chain;
    if (torch) chain.push_back(torch.get());
    chain.push_back(cpu.get());
    settings_ = settings;
    scheduler = PhraseScheduler::create(std::move(settings), chain, clock, metrics);
  }
  ~Rig() { scheduler->stop(); }

  void settle() {
    const auto t0 = std::chrono::steady_clock::now();
    while (!scheduler->settled()) {
      ASSERT_LT(std::chrono::steady_clock::now() - t0, 120s) << "renders never settled";
      std::this_thread::sleep_for(100us);
    }
  }

  // Waits for the first phrase like the pacer (20 ms steps), then starts the stream.
  void start() {
    scheduler->start();
    settle();
    while (!scheduler->ready_to_start()) {
      clock.advance(20ms);
      settle();
      scheduler->poll();  // as Session::advance does while waiting
      settle();
    }
    scheduler->set_stream_start(clock.now());
    collect_events();
  }

  // One pacer step: the next 20 ms packet is due; deadlines are checked, then it is read.
  void step() {
    clock.advance(20ms);
    settle();
    scheduler->poll();
    std::vector<float> frame(kFrame * 2);
    scheduler->read(frame);
    pcm.insert(pcm.end(), frame.begin(), frame.end());
    frames += kFrame;
    collect_events();
  }

  // Steps until phrase `index` has been announced (it began playing).
  void play_until_phrase(std::uint64_t index) {
    for (int guard = 0; guard < 20000; ++guard) {
      if (!played.empty() && played.back().index >= index) return;
      step();
    }
    FAIL() << "phrase " << index << " never started";
  }

  const PlayedPhrase* phrase(std::uint64_t index) const {
    for (const auto& p : played)
      if (p.index == index) return &p;
    return nullptr;
  }
  std::string engine_of(std::uint64_t index) const {
    const auto* p = phrase(index);
    return p ? p->engine : "(not played)";
  }

  ManualClock clock;
  std::shared_ptr<RenderMetrics> metrics = std::make_shared<RenderMetrics>();
  std::unique_ptr<RenderPool> torch;
  std::unique_ptr<RenderPool> cpu;
  std::shared_ptr<PhraseScheduler> scheduler;
  std::vector<float> pcm;
  std::int64_t frames = 0;
  std::vector<PlayedPhrase> played;

 private:
  void collect_events() {
    for (const auto& ev : scheduler->take_events())
      if (ev.kind == PlaybackEvent::Kind::phrase)
        played.push_back({ev.phrase, ev.engine, ev.tempo_bpm, ev.mode, frames});
  }
  SchedulerSettings settings_;
};

SchedulerSettings drill_settings() {
  SchedulerSettings s;
  s.session_id = "drill";
  s.params = valid(test_params());
  return s;
}

bool torch_available() {
  return synthesis::torch_engine_available();
}

// (a) torch delayed past the deadline -> cpu; (b) both delayed -> silence with the tail faded;
// (c) faults removed -> torch again. The stream never misses a frame.
TEST(PhraseSchedulerDrill, TorchDelayThenBothDelayedThenRecovery) {
  if (!torch_available()) GTEST_SKIP() << "this build has no LibTorch";
  LogCapture capture("scheduler");
  Rig rig(drill_settings());
  const auto starts = phrase_starts(test_params(), 10);
  rig.start();
  // Phrases 0 and 1 were rendered before the stream started; phrase 2 is the first to meet
  // the fault. A delay longer than a phrase: torch never makes a deadline.
  rig.torch->faults().set({60s, 0});
  rig.play_until_phrase(3);
  rig.cpu->faults().set({60s, 0});  // phrase 4 (not yet on the CPU) and later: nobody in time
  rig.play_until_phrase(5);
  rig.torch->faults().set({});
  rig.cpu->faults().set({});
  rig.play_until_phrase(7);
  for (int i = 0; i < 100; ++i) rig.step();

  EXPECT_EQ(rig.engine_of(0), "torch");
  EXPECT_EQ(rig.engine_of(1), "torch");
  EXPECT_EQ(rig.engine_of(2), "cpu");
  EXPECT_EQ(rig.engine_of(3), "cpu");
  EXPECT_EQ(rig.engine_of(4), "silence");
  EXPECT_EQ(rig.engine_of(5), "silence");
  EXPECT_EQ(rig.engine_of(6), "torch");
  EXPECT_EQ(rig.engine_of(7), "torch");

  // Continuous: every 20 ms step produced a full frame, nothing underran, and each phrase
  // began exactly at its timeline boundary (announced in the frame that contains it).
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_EQ(rig.metrics->underrun_frames.load(), 0u);
  EXPECT_EQ(static_cast<std::int64_t>(rig.pcm.size()), rig.frames * 2);
  for (const auto& p : rig.played) {
    if (p.index == 0) continue;
    const auto boundary = starts[p.index];
    EXPECT_GE(p.event_frame, boundary) << "phrase " << p.index;
    EXPECT_LE(p.event_frame, boundary + kFrame) << "phrase " << p.index;
  }

  // The silent phrases are silent, and the music before them fades to zero (no click).
  const std::int64_t silence_begin = starts[4];
  const std::int64_t silence_end = starts[6];
  double peak_silence = 0;
  for (std::int64_t f = silence_begin; f < silence_end; ++f)
    peak_silence = std::max(
        {peak_silence, std::abs(double(rig.pcm[2 * f])), std::abs(double(rig.pcm[2 * f + 1]))});
  EXPECT_EQ(peak_silence, 0.0);
  constexpr std::int64_t kFade = 2400;  // 50 ms
  double peak_before_fade = 0;
  for (std::int64_t f = silence_begin - 4 * kFade; f < silence_begin - kFade; ++f)
    peak_before_fade = std::max(peak_before_fade, std::abs(double(rig.pcm[2 * f])));
  EXPECT_GT(peak_before_fade, 1e-3) << "phrase 3 should be audible before its fade";
  for (std::int64_t f = silence_begin - kFade; f < silence_begin; ++f) {
    const double gain_bound = double(silence_begin - 1 - f) / double(kFade) + 1e-6;
    ASSERT_LE(std::abs(rig.pcm[2 * f]), gain_bound)
        << "frame " << f - silence_begin << " before the silence";
    ASSERT_LE(std::abs(rig.pcm[2 * f + 1]), gain_bound)
        << "frame " << f - silence_begin << " before the silence";
  }
  // The recovered phrase starts from silence (voices of the lost phrases are not resumed).
  double peak_first_ms = 0;
  for (std::int64_t f = silence_end; f < silence_end + 48; ++f)
    peak_first_ms = std::max(peak_first_ms, std::abs(double(rig.pcm[2 * f])));
  EXPECT_LT(peak_first_ms, 0.05);
  double peak_recovered = 0;
  for (std::int64_t f = silence_end; f < starts[7]; ++f)
    peak_recovered = std::max(peak_recovered, std::abs(double(rig.pcm[2 * f])));
  EXPECT_GT(peak_recovered, 1e-2) << "the recovered phrase is music";

  // Logged: session, phrase, engine and lateness.
  EXPECT_NE(capture.find_error(
                {"session drill", "phrase 2", "engine torch", "missed its deadline", " by "}),
            "");
  EXPECT_NE(capture.find_error({"session drill", "phrase 2", "rendering it with engine cpu"}), "");
  EXPECT_NE(capture.find_error({"session drill", "phrase 4", "engine cpu", "missed its deadline",
                                " by ", "playing silence"}),
            "");
  EXPECT_EQ(capture.find_error({"phrase 6"}), "") << "the recovered phrases log nothing";

  const auto by_engine = rig.metrics->phrases_by_engine();
  EXPECT_GE(by_engine.at("cpu"), 2u);
  EXPECT_EQ(by_engine.at("silence"), 2u);
  EXPECT_EQ(rig.metrics->silent_phrases.load(), 2u);
  EXPECT_GE(rig.metrics->fallbacks_to_cpu.load(), 4u);  // phrases 2-5 went to the CPU
  EXPECT_GE(rig.metrics->deadline_misses.load(), 6u);   // 2-5 on torch, 4-5 on the CPU
}

// (d) A failing torch engine: every phrase goes to the CPU at once, with an ERROR each.
TEST(PhraseSchedulerDrill, TorchFailureFallsBackToCpu) {
  if (!torch_available()) GTEST_SKIP() << "this build has no LibTorch";
  LogCapture capture("scheduler");
  Rig rig(drill_settings());
  rig.torch->faults().set({0ms, 1.0});
  rig.start();
  rig.play_until_phrase(2);
  for (std::uint64_t i = 0; i <= 2; ++i) EXPECT_EQ(rig.engine_of(i), "cpu") << "phrase " << i;
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_NE(
      capture.find_error({"session drill", "phrase 0", "engine torch failed", "injected failure"}),
      "");
  EXPECT_NE(capture.find_error({"session drill", "phrase 2", "rendering it with engine cpu"}), "");
  EXPECT_GE(rig.metrics->fallbacks_to_cpu.load(), 3u);
  EXPECT_GE(rig.metrics->render_failures.load(), 3u);
  EXPECT_EQ(rig.metrics->silent_phrases.load(), 0u);

  rig.torch->faults().set({});
  rig.play_until_phrase(4);
  EXPECT_EQ(rig.engine_of(4), "torch");
}

// A CPU-only chain whose engine is slower than the deadline: silence, logged, then recovery.
TEST(PhraseSchedulerDrill, CpuOnlyChainGoesSilentAndRecovers) {
  LogCapture capture("scheduler");
  Rig rig(drill_settings(), /*with_torch=*/false);
  rig.start();
  rig.cpu->faults().set({30s, 0});
  rig.play_until_phrase(2);
  rig.cpu->faults().set({});
  rig.play_until_phrase(4);
  EXPECT_EQ(rig.engine_of(0), "cpu");
  EXPECT_EQ(rig.engine_of(2), "silence");
  EXPECT_EQ(rig.engine_of(3), "cpu");
  EXPECT_EQ(rig.engine_of(4), "cpu");
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_NE(capture.find_error({"session drill", "phrase 2", "engine cpu", "missed its deadline",
                                "playing silence"}),
            "");
}

// A first engine that hangs at start-up does not hold the stream back: after 2 x deadline_margin
// the first phrase goes to the CPU engine.
TEST(PhraseSchedulerDrill, StartupDeadlineHandsTheFirstPhraseDown) {
  if (!torch_available()) GTEST_SKIP() << "this build has no LibTorch";
  LogCapture capture("scheduler");
  Rig rig(drill_settings());
  rig.torch->faults().set({60s, 0});
  const auto t0 = rig.clock.now();
  rig.start();
  const auto waited = rig.clock.now() - t0;
  EXPECT_GE(waited, 3s);
  EXPECT_LT(waited, 4s);
  rig.torch->faults().set({});
  rig.play_until_phrase(2);
  EXPECT_EQ(rig.engine_of(0), "cpu");
  EXPECT_EQ(rig.engine_of(2), "torch");
  EXPECT_NE(capture.find_error({"session drill", "phrase 0", "engine torch", "start-up deadline"}),
            "");
}

// (e) A parameter change is heard from the next phrase boundary when it is further than
// replan_guard away, else from the one after.
TEST(PhraseSchedulerDrill, ParameterChangeReplansTheNextPhrase) {
  Rig rig(drill_settings(), /*with_torch=*/false);
  rig.start();
  for (int i = 0; i < 100; ++i) rig.step();  // 2 s into phrase 0 (~16 s long)

  auto params = test_params();
  params.mode = music::Mode::lydian;
  params.tempo_bpm = 60;
  const std::int64_t change_frame = rig.frames;
  rig.scheduler->set_params(valid(params));
  rig.play_until_phrase(1);
  const auto* first = rig.phrase(1);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->mode, music::Mode::lydian);
  EXPECT_LT(std::abs(first->tempo_bpm - 60), 10);
  EXPECT_NE(rig.phrase(0)->mode, music::Mode::lydian);
  const double latency_s = double(first->event_frame - change_frame) / synthesis::kSampleRate;
  std::printf("parameter change heard after %.2f s (next phrase boundary)\n", latency_s);
  EXPECT_LT(latency_s, 16);

  // Within replan_guard (2 s) of the boundary: phrase 2 keeps the old plan, phrase 3 changes.
  // Phrase 1's length, from a replica composer that took the change at the same point.
  music::Composer replica(test_params());
  replica.next();
  replica.set_params(params);
  const std::int64_t phrase1_frames = synthesis::phrase_frames(replica.next());
  const auto target =
      first->event_frame - kFrame + phrase1_frames - synthesis::kSampleRate;  // ~1 s before
  while (rig.frames < target) rig.step();
  auto late = params;
  late.mode = music::Mode::dorian;
  const std::int64_t late_change = rig.frames;
  rig.scheduler->set_params(valid(late));
  rig.play_until_phrase(3);
  EXPECT_EQ(rig.phrase(2)->mode, music::Mode::lydian)
      << "within replan_guard: the change waits a phrase";
  EXPECT_EQ(rig.phrase(3)->mode, music::Mode::dorian);
  const double late_latency_s =
      double(rig.phrase(3)->event_frame - late_change) / synthesis::kSampleRate;
  std::printf("parameter change within replan_guard heard after %.2f s (one phrase later)\n",
              late_latency_s);
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_EQ(rig.metrics->deadline_misses.load(), 0u);
}

// (f) lookahead_phrases = 2 keeps two finished phrases ahead of the playing one.
TEST(PhraseSchedulerDrill, LookaheadKeepsPhrasesAhead) {
  for (int lookahead : {1, 2}) {
    auto settings = drill_settings();
    settings.lookahead_phrases = lookahead;
    Rig rig(settings, /*with_torch=*/false);
    const auto starts = phrase_starts(test_params(), 6);
    rig.start();
    double min_ahead = 1e9;
    while (rig.frames < starts[3]) {
      rig.step();
      rig.settle();
      const auto st = rig.scheduler->status();
      // Ahead of the playing phrase: everything finished beyond what is left of it.
      std::int64_t front_end = 0;
      for (std::size_t i = 1; i < starts.size(); ++i)
        if (starts[i] > rig.frames) {
          front_end = starts[i];
          break;
        }
      const double left_of_front = double(front_end - rig.frames) / synthesis::kSampleRate;
      min_ahead = std::min(min_ahead, st.lookahead_s - left_of_front);
    }
    const double phrase_s = double(starts[1]) / synthesis::kSampleRate;
    EXPECT_GT(min_ahead, lookahead * phrase_s * 0.9) << "lookahead " << lookahead;
    EXPECT_LT(min_ahead, (lookahead + 1) * phrase_s * 0.9) << "lookahead " << lookahead;
  }
}

// peek() shows what read() gives next, across a phrase join too, and consumes nothing: the
// last packet of a closing session is made from it.
TEST(PhraseSchedulerDrill, PeekShowsTheNextFramesWithoutConsumingThem) {
  Rig rig(drill_settings(), /*with_torch=*/false);
  const auto starts = phrase_starts(test_params(), 3);
  rig.start();
  while (rig.frames + kFrame < starts[1]) rig.step();
  std::vector<float> half(kFrame);  // half a packet: the next 20 ms then span the join here
  rig.scheduler->read(half);
  rig.settle();
  const auto underruns = rig.scheduler->status().underrun_frames;
  std::vector<float> a(kFrame * 2), b(kFrame * 2), next(kFrame * 2);
  rig.scheduler->peek(a);
  rig.scheduler->peek(b);
  EXPECT_EQ(a, b) << "peek consumed frames";
  rig.scheduler->read(next);
  EXPECT_EQ(a, next) << "peek differs from the read that follows";
  EXPECT_GT(std::count_if(a.begin(), a.end(), [](float x) { return x != 0.0f; }), 0);
  EXPECT_EQ(rig.scheduler->status().underrun_frames, underruns);
}

// A pool whose worker sleeps in an injected delay on a manual clock still shuts down.
TEST(RenderPoolFaults, DestructionInterruptsAnInjectedDelay) {
  ManualClock clock;
  auto pool = std::make_unique<RenderPool>(
      1, [] { return synthesis::make_cpu_engine(); }, 1, clock);
  pool->faults().set({std::chrono::hours(1), 0});
  music::Composer composer(test_params());
  synthesis::Timeline timeline;
  auto job = std::make_shared<synthesis::RenderJob>(timeline.place(composer.next()));
  std::atomic<bool> called{false};
  pool->submit({job, std::make_shared<std::atomic<bool>>(false), std::nullopt,
                [&](RenderResult) { called = true; }});
  while (clock.sleepers() == 0) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(pool->busy());
  const auto t0 = std::chrono::steady_clock::now();
  pool.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_FALSE(called);
}

// Removing a delay fault ends the sleep: the job renders without the clock reaching the delay.
TEST(RenderPoolFaults, RemovingTheDelayEndsTheSleep) {
  ManualClock clock;
  RenderPool pool(
      1, [] { return synthesis::make_cpu_engine(); }, 1, clock);
  pool.faults().set({std::chrono::hours(1), 0});
  music::Composer composer(test_params());
  synthesis::Timeline timeline;
  auto job = std::make_shared<synthesis::RenderJob>(timeline.place(composer.next()));
  std::atomic<bool> done{false};
  pool.submit({job, std::make_shared<std::atomic<bool>>(false), std::nullopt, [&](RenderResult r) {
                 EXPECT_TRUE(r.ok);
                 EXPECT_TRUE(r.stems);
                 done = true;
               }});
  while (clock.sleepers() == 0) std::this_thread::sleep_for(1ms);
  pool.faults().set({});
  clock.advance(200ms);  // past the current slice
  const auto t0 = std::chrono::steady_clock::now();
  while (!done && std::chrono::steady_clock::now() - t0 < 30s) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(done);
}

// The CPU engine, noting the size of each buffer it is handed (0: a new one).
class BufferNotingEngine final : public synthesis::Engine {
 public:
  explicit BufferNotingEngine(std::vector<std::int64_t>& seen) : seen_(seen) {}
  std::string_view name() const override { return "cpu"; }
  std::string device() const override { return "cpu"; }
  void render(const synthesis::RenderJob& job, synthesis::Stems& out) override {
    seen_.push_back(out.frames());
    engine_->render(job, out);
  }

 private:
  std::vector<std::int64_t>& seen_;
  std::unique_ptr<synthesis::Engine> engine_ = synthesis::make_cpu_engine();
};

// A worker renders the next phrase into the buffer of the last one once its mix let go of it,
// and into a new buffer while it is still held; each render equals one into a new buffer.
TEST(RenderPoolBuffers, ReusesStemsNobodyHolds) {
  ManualClock clock;
  std::vector<std::int64_t> seen;  // written by the worker, read after each render completes
  RenderPool pool(
      1, [&] { return std::make_unique<BufferNotingEngine>(seen); }, 1, clock);
  music::Composer composer(test_params());
  synthesis::Timeline timeline;
  auto render = [&](bool keep) {
    auto job = std::make_shared<synthesis::RenderJob>(timeline.place(composer.next()));
    std::promise<std::shared_ptr<synthesis::Stems>> got;
    auto future = got.get_future();
    pool.submit(
        {job, std::make_shared<std::atomic<bool>>(false), std::nullopt, [&](RenderResult r) {
           synthesis::Stems fresh;
           synthesis::make_cpu_engine()->render(*job, fresh);
           for (auto layer : {music::Layer::pad, music::Layer::kick}) {
             const auto a = std::as_const(fresh).plane(layer, 1);
             const auto b = std::as_const(*r.stems).plane(layer, 1);
             EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
           }
           got.set_value(keep ? r.stems : nullptr);
         }});
    return future.get();
  };
  const auto held = render(true);
  render(false);  // the first buffer is still held: a new one
  render(false);  // the second came back: reused
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], 0);
  EXPECT_EQ(seen[1], 0);
  EXPECT_GT(seen[2], 0);  // the buffer of the second phrase
}

// A request with its Mixer comes back finished: the audio of the dry render mixed after the
// silence it asked to ring out, and the Mixer as that left it. Alone on a worker (windowed) or
// in a batch, with the CPU engine and, where built, LibTorch.
TEST(RenderPoolMixing, FinishedAudioEqualsRenderThenMix) {
  std::vector<std::string> engines{"cpu"};
  if (torch_available()) engines.push_back("torch");
  for (const std::string& name : engines) {
    for (const int batch : {1, 2}) {
      SCOPED_TRACE(name + " batch " + std::to_string(batch));
      auto make = [&]() -> std::unique_ptr<synthesis::Engine> {
        return name == "cpu" ? synthesis::make_cpu_engine() : synthesis::make_torch_engine("cpu");
      };
      ManualClock clock;
      music::Composer composer(test_params());
      synthesis::Timeline timeline;
      timeline.place(composer.next());
      std::vector<std::shared_ptr<synthesis::RenderJob>> jobs;
      for (int i = 0; i < batch; ++i)
        jobs.push_back(std::make_shared<synthesis::RenderJob>(timeline.place(composer.next())));

      // What the scheduler did before mixing moved to the workers, job by job.
      auto engine = make();
      std::vector<std::vector<float>> expected;
      std::vector<synthesis::Mixer> after;
      for (const auto& job : jobs) {
        synthesis::Mixer mixer;
        std::vector<float> scratch(2 * 4800);
        mixer.process_silence(job->controls, 4800, scratch);
        synthesis::Stems stems;
        engine->render(*job, stems);
        expected.emplace_back(static_cast<std::size_t>(2 * job->frames));
        mixer.process(*job, stems, expected.back());
        after.push_back(mixer);
      }

      std::vector<std::promise<RenderResult>> results(jobs.size());
      {
        RenderPool pool(1, make, batch, clock);
        // Batches form from what is queued: hold the worker in an injected delay on a short
        // job while the jobs under test go in.
        pool.faults().set({std::chrono::hours(1), 0});
        auto first = std::make_shared<synthesis::RenderJob>(*jobs.front());
        first->frames = 480;
        std::promise<void> first_done;
        pool.submit({first, std::make_shared<std::atomic<bool>>(false), std::nullopt,
                     [&](RenderResult) { first_done.set_value(); }});
        while (clock.sleepers() == 0) std::this_thread::sleep_for(1ms);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          pool.submit({jobs[i], std::make_shared<std::atomic<bool>>(false),
                       MixTask{synthesis::Mixer{}, 4800, jobs[i]->controls},
                       [&results, i](RenderResult r) { results[i].set_value(std::move(r)); }});
        }
        pool.faults().set({});
        clock.advance(200ms);  // past the current slice of the delay
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          RenderResult r = results[i].get_future().get();
          ASSERT_TRUE(r.ok) << r.error;
          EXPECT_EQ(r.batch_size, batch);
          EXPECT_FALSE(r.stems);
          ASSERT_TRUE(r.mixer);
          EXPECT_EQ(r.pcm, expected[i]);
          EXPECT_GT(r.mix_seconds, 0.0);
          // The Mixer carries on as the reference one does.
          synthesis::RenderJob next = timeline.place(composer.next());
          std::vector<float> a(2 * 4800), b(2 * 4800);
          next.frames = 4800;
          next.start_frame = jobs[i]->start_frame + jobs[i]->frames;
          synthesis::Stems quiet;
          quiet.resize(4800);
          r.mixer->process(next, quiet, a);
          after[i].process(next, quiet, b);
          EXPECT_EQ(a, b);
        }
        first_done.get_future().get();
      }
    }
  }
}

}  // namespace
}  // namespace auralis::devices
