// The scheduler's drills on a manual clock (units, live changes, degradation): the pacer's 20 ms
// steps are simulated, and after every step the test waits (in real time) until no render can
// progress without the clock, so every run takes the same path, faster than real time.
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
#include "auralis/synthesis/render_mix.hpp"
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

struct PlayedPhrase {
  std::uint64_t index = 0;
  std::string engine;
  double tempo_bpm = 0;
  music::Mode mode{};
  std::int64_t event_frame = 0;  // stream frame at the end of the read that announced it
};

// Changes seen by the rig: where each was placed and when playback reached it.
struct SeenChange {
  std::uint64_t id = 0;
  std::int64_t frame = 0;
  bool musical = false;
  bool applied = false;
  std::int64_t seen_at = 0;  // rig frame count when the event came
};

std::vector<SeenChange> changes_of(const std::vector<PlaybackEvent>& events, std::int64_t now) {
  std::vector<SeenChange> out;
  for (const auto& ev : events)
    if (ev.kind == PlaybackEvent::Kind::change)
      out.push_back({ev.change_id, ev.change_frame, ev.musical, ev.applied, now});
  return out;
}

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

  void run(int steps) {
    for (int i = 0; i < steps; ++i) step();
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
  std::vector<SeenChange> seen;  // every change event, placed and applied

 private:
  void collect_events() {
    const auto events = scheduler->take_events();
    for (const auto& ev : events)
      if (ev.kind == PlaybackEvent::Kind::phrase)
        played.push_back({ev.phrase, ev.engine, ev.tempo_bpm, ev.mode, frames});
    for (auto& c : changes_of(events, frames)) seen.push_back(c);
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

double peak(const std::vector<float>& pcm, std::int64_t from, std::int64_t to) {
  double p = 0;
  for (std::int64_t f = std::max<std::int64_t>(from, 0); f < to; ++f)
    p = std::max({p, std::fabs(double{pcm[2 * f]}), std::fabs(double{pcm[2 * f + 1]})});
  return p;
}

// First frame where two renders differ, or -1.
std::int64_t first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return static_cast<std::int64_t>(i / 2);
  return -1;
}

// Largest step between consecutive samples in [from, to): a click shows as a jump far above
// what the music does around it.
double largest_step(const std::vector<float>& pcm, std::int64_t from, std::int64_t to) {
  double s = 0;
  for (std::int64_t f = std::max<std::int64_t>(from, 1); f < to; ++f)
    for (int c = 0; c < 2; ++c)
      s = std::max(s, std::fabs(double{pcm[2 * f + c]} - pcm[2 * (f - 1) + c]));
  return s;
}

SchedulerSettings cpu_settings() {
  auto s = drill_settings();
  s.params = valid(test_params());
  return s;
}

// Rendering in units gives the same music as rendering whole phrases: the stream of the first
// 20 s equals the reference (whole phrase jobs through render_and_mix) sample for sample, up
// to float rounding in the engine's blocks.
TEST(PhraseSchedulerUnits, UnitsSoundLikeWholePhrases) {
  Rig rig(cpu_settings(), /*with_torch=*/false);
  rig.start();
  for (int i = 0; i < 1000; ++i) rig.step();  // 20 s: past the first phrase join (16 s)
  music::Composer composer(test_params());
  synthesis::Timeline timeline;
  auto engine = synthesis::make_cpu_engine();
  synthesis::Mixer mixer;
  synthesis::Stems scratch;
  std::vector<float> reference;
  while (static_cast<std::int64_t>(reference.size()) < rig.frames * 2) {
    const auto job = timeline.place(composer.next());
    std::vector<float> pcm(static_cast<std::size_t>(job.frames) * 2);
    synthesis::render_and_mix(*engine, job, mixer, scratch, pcm);
    reference.insert(reference.end(), pcm.begin(), pcm.end());
  }
  double worst = 0;
  for (std::size_t i = 0; i < rig.pcm.size(); ++i)
    worst = std::max(worst, std::fabs(double{rig.pcm[i]} - reference[i]));
  EXPECT_LT(worst, 1e-5) << "unit rendering changed the music";
  EXPECT_GT(peak(rig.pcm, 0, rig.frames), 0.01);
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_EQ(rig.metrics->deadline_misses.load(), 0u);
}

// A sound change (the pad switched off, brightness) is heard from the next unit past the
// guard: the stream equals the unchanged one before that point, differs after it, the pad's
// notes let go within 150 ms, and there is no click at the change.
TEST(PhraseSchedulerDrill, SoundChangeLandsInTheNextUnit) {
  Rig changed(cpu_settings(), false), same(cpu_settings(), false);
  changed.start();
  same.start();
  changed.run(150);  // 3 s in
  same.run(150);
  const std::int64_t request = changed.frames;
  auto p = test_params();
  p.layers.pad = false;
  p.brightness = 0.8;
  EXPECT_NE(changed.scheduler->set_params(valid(p)), 0u);
  changed.run(150);
  same.run(150);
  ASSERT_GE(changed.seen.size(), 2u);
  const auto& placed = changed.seen.front();
  EXPECT_FALSE(placed.applied);
  const std::int64_t heard = placed.frame;
  const double latency_ms = (heard - request) * 1000.0 / synthesis::kSampleRate;
  std::printf("sound change heard %.1f ms after the request (manual clock)\n", latency_ms);
  EXPECT_GE(latency_ms, 0);
  EXPECT_LE(latency_ms, 100) << "a sound change waits at most the guard plus one unit";
  const std::int64_t diff = first_difference(changed.pcm, same.pcm);
  ASSERT_GE(diff, 0) << "the change was not heard";
  EXPECT_GE(diff, heard) << "audio before the change point changed";
  EXPECT_LE(diff, heard + 2048);
  bool applied = false;
  for (const auto& c : changed.seen) applied = applied || (c.applied && c.frame == heard);
  EXPECT_TRUE(applied) << "no change_applied event when playback reached it";
  // No click: the largest sample step around the change is like the unchanged stream's.
  const double step_changed = largest_step(changed.pcm, heard - 4800, heard + 9600);
  const double step_same = largest_step(same.pcm, heard - 4800, heard + 9600);
  EXPECT_LT(step_changed, 2 * step_same + 0.01);
  EXPECT_EQ(changed.scheduler->status().underrun_frames, 0u);
  EXPECT_EQ(changed.metrics->silent_phrases.load(), 0u);
}

// The band of the pad's fundamentals below the reverb's 200 Hz input high-pass (80-190 Hz,
// RBJ biquads: two low-passes, one high-pass), mono, so the dry pad is measured apart from the
// plate's tail.
std::vector<double> low_band(const std::vector<float>& pcm) {
  struct Biquad {
    double b0, b1, b2, a1, a2, x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    Biquad(double f, bool high) {
      const double w = 2 * M_PI * f / synthesis::kSampleRate, c = std::cos(w),
                   a = std::sin(w) / (2 * 0.7071);
      const double n = 1 + a;
      b0 = (high ? (1 + c) / 2 : (1 - c) / 2) / n;
      b1 = (high ? -(1 + c) : 1 - c) / n;
      b2 = b0;
      a1 = -2 * c / n;
      a2 = (1 - a) / n;
    }
    double run(double x) {
      const double y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1, x1 = x, y2 = y1, y1 = y;
      return y;
    }
  };
  Biquad lp1(190, false), lp2(190, false), hp(80, true);
  std::vector<double> out(pcm.size() / 2);
  for (std::size_t f = 0; f < out.size(); ++f)
    out[f] = hp.run(lp2.run(lp1.run(0.5 * (double{pcm[2 * f]} + pcm[2 * f + 1]))));
  return out;
}

double rms_db(const std::vector<double>& x, std::int64_t from, std::int64_t to) {
  double e = 0;
  for (std::int64_t f = from; f < to; ++f)
    e += x[static_cast<std::size_t>(f)] * x[static_cast<std::size_t>(f)];
  return 10 * std::log10(e / static_cast<double>(to - from) + 1e-20);
}

// Switching the only layer off: within 150 ms of the change point the pad's own band has
// fallen to the plate's tail, which rings out as after any note.
TEST(PhraseSchedulerDrill, LayerOffGoesQuietWithinTheTarget) {
  auto s = cpu_settings();
  auto p = test_params();
  p.layers = {true, false, false, false, false};
  s.params = valid(p);
  Rig rig(s, false);
  rig.start();
  rig.run(300);
  p.layers.pad = false;
  rig.scheduler->set_params(valid(p));
  rig.run(200);
  ASSERT_FALSE(rig.seen.empty());
  const std::int64_t at = rig.seen.front().frame;
  const auto band = low_band(rig.pcm);
  const double before = rms_db(band, at - 48000, at);
  const double soon = rms_db(band, at + 7200, at + 19200);
  std::printf("only layer off: pad band (80-190 Hz) %.1f dB before, %.1f dB 150-400 ms after\n",
              before, soon);
  EXPECT_GT(before, -60);
  // Measured 12-13 dB: what is left is the plate's tail (a gentle 200 Hz high-pass); a pad
  // still playing would leave the band where it was.
  EXPECT_LT(soon, before - 10) << "the pad still sounds 150 ms after the change";
}

// A musical change (the key) is heard from the next bar: placed on a bar line no more than a
// bar (plus the guard and a unit) after the request, the stream unchanged before it.
TEST(PhraseSchedulerDrill, MusicalChangeLandsAtTheNextBar) {
  Rig changed(cpu_settings(), false), same(cpu_settings(), false);
  changed.start();
  same.start();
  changed.run(110);  // 2.2 s: inside bar 1 (a bar is 2 s at 120 BPM)
  same.run(110);
  const std::int64_t request = changed.frames;
  auto p = test_params();
  p.key_pc = (p.key_pc + 5) % 12;
  changed.scheduler->set_params(valid(p));
  changed.run(300);
  same.run(300);
  ASSERT_FALSE(changed.seen.empty());
  const auto& placed = changed.seen.front();
  EXPECT_TRUE(placed.musical);
  const std::int64_t bar = 2 * synthesis::kSampleRate;  // 4 beats at 120 BPM
  EXPECT_EQ(placed.frame % bar, 0) << "not on a bar line: frame " << placed.frame;
  EXPECT_GT(placed.frame, request);
  EXPECT_LE(placed.frame - request, bar + 2048 + 4800);
  const std::int64_t diff = first_difference(changed.pcm, same.pcm);
  ASSERT_GE(diff, 0);
  EXPECT_GE(diff, placed.frame - 2048) << "changed before the unit holding the bar line";
  const double step_changed = largest_step(changed.pcm, placed.frame - 4800, placed.frame + 9600);
  const double step_same = largest_step(same.pcm, placed.frame - 4800, placed.frame + 9600);
  EXPECT_LT(step_changed, 2 * step_same + 0.01) << "a click at the splice";
  EXPECT_EQ(changed.scheduler->status().underrun_frames, 0u);
}

// A change that arrives while a unit is rendering (the engine stalled) still lands, after the
// stall, with no gap beyond what the stall itself costs.
TEST(PhraseSchedulerDrill, ChangeWhileAUnitIsRendering) {
  Rig rig(cpu_settings(), false);
  rig.start();
  rig.run(50);
  rig.cpu->faults().set({150ms, 0});  // the next unit sleeps 150 ms on the pool's clock
  rig.run(1);
  auto p = test_params();
  p.brightness = 0.9;
  rig.scheduler->set_params(valid(p));
  rig.cpu->faults().set({});
  rig.run(200);
  ASSERT_FALSE(rig.seen.empty());
  bool applied = false;
  for (const auto& c : rig.seen) applied = applied || c.applied;
  EXPECT_TRUE(applied);
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_EQ(rig.metrics->silent_phrases.load(), 0u);
}

// A burst of changes: the last one wins, nothing piles up (each replaces the one rendering),
// and the result is the same as the last change made alone at the same moment.
TEST(PhraseSchedulerDrill, BurstOfChangesLastOneWins) {
  Rig burst(cpu_settings(), false), single(cpu_settings(), false);
  burst.start();
  single.start();
  burst.run(100);
  single.run(100);
  auto p = test_params();
  for (int i = 0; i < 200; ++i) {
    p.brightness = 0.2 + 0.003 * i;
    burst.scheduler->set_params(valid(p));
  }
  single.scheduler->set_params(valid(p));
  burst.run(400);
  single.run(400);
  EXPECT_EQ(burst.scheduler->status().changes, 200u);
  EXPECT_EQ(burst.scheduler->params()->brightness, p.brightness);
  EXPECT_EQ(first_difference(burst.pcm, single.pcm), -1) << "the burst left something behind";
  EXPECT_EQ(burst.scheduler->status().underrun_frames, 0u);
  EXPECT_LT(burst.scheduler->status().lookahead_s, 2.0) << "renders queued up";
}

// Changes during degradation: the CPU engine stalls (units go silent, ERROR lines name the
// phrase), changes keep coming, and the stream recovers with the last parameters.
TEST(PhraseSchedulerDrill, ChangesDuringDegradation) {
  LogCapture capture("scheduler");
  Rig rig(cpu_settings(), false);
  rig.start();
  rig.run(100);
  rig.cpu->faults().set({30s, 0});
  auto p = test_params();
  for (int i = 0; i < 10; ++i) {
    p.brightness = 0.3 + 0.05 * i;
    rig.scheduler->set_params(valid(p));
    rig.run(25);
  }
  const std::int64_t silent_from = rig.frames - 100 * kFrame;
  EXPECT_GT(rig.metrics->silent_phrases.load(), 0u);
  EXPECT_LT(peak(rig.pcm, silent_from, rig.frames), 1e-6) << "a stalled engine plays silence";
  EXPECT_NE(
      capture.find_error({"session drill", "engine cpu", "missed its deadline", "playing silence"}),
      "");
  const std::size_t lines = capture.errors().size();
  EXPECT_LT(lines, 20u) << "one ERROR line per phrase, not per unit";
  rig.cpu->faults().set({});
  rig.run(150);
  EXPECT_GT(peak(rig.pcm, rig.frames - 100 * kFrame, rig.frames), 1e-2) << "no recovery";
  EXPECT_EQ(rig.scheduler->params()->brightness, p.brightness);
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
}

// LibTorch failing every unit: the CPU engine renders everything, the stream goes on, and it
// comes back to LibTorch once the fault is gone.
TEST(PhraseSchedulerDrill, TorchFailureFallsBackToCpuAndRecovers) {
  if (!torch_available()) GTEST_SKIP() << "this build has no LibTorch";
  LogCapture capture("scheduler");
  Rig rig(drill_settings());
  rig.torch->faults().set({0ms, 1.0});
  rig.start();
  for (int i = 0; i < 100; ++i) rig.step();
  EXPECT_EQ(rig.engine_of(0), "cpu");
  EXPECT_NE(capture.find_error({"session drill", "phrase 0", "engine torch", "failed",
                                "rendering it with engine cpu"}),
            "");
  EXPECT_GE(rig.metrics->render_failures.load(), 3u);
  rig.torch->faults().set({});
  rig.play_until_phrase(1);
  EXPECT_EQ(rig.engine_of(1), "torch");
  EXPECT_EQ(rig.scheduler->status().underrun_frames, 0u);
  EXPECT_EQ(rig.metrics->silent_phrases.load(), 0u);
}

// The look-ahead holds at least `lookahead` of finished audio, and far less than a phrase.
TEST(PhraseSchedulerDrill, LookaheadIsShortAndKept) {
  auto s = cpu_settings();
  s.lookahead = 500ms;
  Rig rig(s, false);
  rig.start();
  double least = 1e9, most = 0;
  for (int i = 0; i < 300; ++i) {
    rig.step();
    if (i < 10) continue;
    least = std::min(least, rig.scheduler->status().lookahead_s);
    most = std::max(most, rig.scheduler->status().lookahead_s);
  }
  EXPECT_GE(least, 0.45);
  EXPECT_LE(most, 0.75);  // a refill renders 4 units (171 ms) past the look-ahead
}

TEST(PhraseSchedulerDrill, PeekShowsTheNextFramesWithoutConsumingThem) {
  Rig rig(drill_settings(), /*with_torch=*/false);
  rig.start();
  for (int i = 0; i < 10; ++i) rig.step();
  const auto underruns = rig.scheduler->status().underrun_frames;
  std::vector<float> a(kFrame * 2), b(kFrame * 2), next(kFrame * 2);
  rig.scheduler->peek(a);
  rig.scheduler->peek(b);
  rig.scheduler->read(next);
  EXPECT_EQ(a, b) << "peek consumed frames";
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

// A request without its Mixer (the live one went with another unit: a fallback, a change) gets a
// copy of the snapshot brought to its start by rendering the units since again: the same audio
// and the same Mixer after as the live Mixer gives. Here the units since are a silent unit (rung
// out before the next) and two rendered ones. Alone on a worker and in a batch.
TEST(RenderPoolMixing, RebuildsTheMixerFromASnapshotAndTheUnitsSince) {
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
      const synthesis::RenderJob phrase = timeline.place(composer.next());
      constexpr std::int64_t kUnit = 2048;
      std::vector<std::shared_ptr<const synthesis::RenderJob>> units;  // 1 s into the phrase
      for (int i = 0; i < 5; ++i) {
        auto u = std::make_shared<synthesis::RenderJob>(phrase);
        u->start_frame = phrase.start_frame + synthesis::kSampleRate + i * kUnit;
        u->frames = kUnit;
        units.push_back(u);
      }
      auto engine = make();
      auto mix_unit = [&](const synthesis::RenderJob& job, synthesis::Mixer& mixer) {
        synthesis::Stems stems;
        engine->render(job, stems);
        std::vector<float> out(static_cast<std::size_t>(2 * job.frames));
        mixer.process(job, stems, out);
        return out;
      };
      // The live path: unit 0, the snapshot, unit 1 silent, units 2 and 3, then unit 4.
      synthesis::Mixer live;
      mix_unit(*units[0], live);
      const auto snapshot = std::make_shared<const synthesis::Mixer>(live);
      std::vector<float> silence(2 * kUnit);
      live.process_silence(units[1]->controls, kUnit, silence);
      mix_unit(*units[2], live);
      mix_unit(*units[3], live);
      const std::vector<float> expected = mix_unit(*units[4], live);

      MixerFrom from{snapshot,
                     {{units[2], kUnit, units[1]->controls}, {units[3], 0, units[3]->controls}}};
      std::vector<std::promise<RenderResult>> results(static_cast<std::size_t>(batch));
      {
        RenderPool pool(1, make, batch, clock);
        // Hold the worker in an injected delay on a short job while the requests go in.
        pool.faults().set({std::chrono::hours(1), 0});
        auto first = std::make_shared<synthesis::RenderJob>(*units[0]);
        first->frames = 480;
        std::promise<void> first_done;
        pool.submit({first, std::make_shared<std::atomic<bool>>(false), std::nullopt,
                     [&](RenderResult) { first_done.set_value(); }});
        while (clock.sleepers() == 0) std::this_thread::sleep_for(1ms);
        for (std::size_t i = 0; i < results.size(); ++i)
          pool.submit({units[4], std::make_shared<std::atomic<bool>>(false),
                       MixTask{std::nullopt, 0, units[4]->controls, from},
                       [&results, i](RenderResult r) { results[i].set_value(std::move(r)); }});
        pool.faults().set({});
        clock.advance(200ms);  // past the current slice of the delay
        for (auto& result : results) {
          RenderResult r = result.get_future().get();
          ASSERT_TRUE(r.ok) << r.error;
          EXPECT_EQ(r.batch_size, batch);
          EXPECT_EQ(r.pcm, expected);
          ASSERT_TRUE(r.mixer);
          // The rebuilt Mixer carries on as the live one does.
          synthesis::RenderJob next = *units[4];
          next.start_frame += kUnit;
          synthesis::Mixer copy = live;
          EXPECT_EQ(mix_unit(next, *r.mixer), mix_unit(next, copy));
        }
        first_done.get_future().get();
      }
      // The snapshot itself is never written: it can serve every unit up to the next one.
      synthesis::Mixer again(*snapshot);
      synthesis::Mixer fresh;
      mix_unit(*units[0], fresh);
      EXPECT_EQ(mix_unit(*units[1], again), mix_unit(*units[1], fresh));
    }
  }
}

}  // namespace
}  // namespace auralis::devices
