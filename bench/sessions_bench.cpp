// How many live sessions one machine holds at real time, per engine chain.
//
// Each trial runs N sessions in-process through SessionManager (render pools, phrase
// schedulers, one media thread pacing and Opus-encoding every session, like the daemon) on the
// real steady clock, and counts deadline misses (RenderMetrics) and late packets (a packet
// encoded more than Session::kLatePacket after it was due). A quick search with short trials
// finds the largest N with zero of both; a full-length trial confirms it.
//
//   sessions_bench [--seconds 60] [--quick-seconds 20] [--engines cpu,torch] [--n N]
//                  [--media-threads N (default: one per core, as the daemon)] [--complexity 10]
//                  [--max N] [--patch-every-s S]
//
// --patch-every-s S: during the measured window every session gets a PATCH every S seconds
// (staggered; alternately a sound change, brightness, and a musical one, energy), the live
// control load of docs/scheduler.md.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auralis/config/config.hpp"
#include "auralis/config/log.hpp"
#include "auralis/devices/clock.hpp"
#include "auralis/devices/process_tuning.hpp"
#include "auralis/synthesis/engine.hpp"
#include "sessions/session.hpp"
#include "sessions/session_manager.hpp"

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

struct Options {
  double seconds = 60;
  double quick_seconds = 20;
  std::vector<std::string> engines = {"cpu", "torch"};
  int fixed_n = 0;
  int media_threads = static_cast<int>(
      std::max(1u, std::thread::hardware_concurrency()));  // server.media_threads = 0
  int complexity = 10;
  int max_n = 400;
  double patch_every_s = 0;
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

struct Trial {
  int n = 0;
  double seconds = 0;  // measured window (may end early on a failure)
  std::uint64_t misses = 0;
  std::int64_t late = 0;
  std::uint64_t silent = 0;
  std::uint64_t underruns = 0;
  double cpu_per_session_s = 0;  // CPU seconds per session-second (whole process)
  double render_s = 0;           // per session-second, from the histograms
  double mix_s = 0;
  double encode_s = 0;
  double startup_s = 0;  // until every session streamed
  std::uint64_t patches = 0;
  bool ok() const { return misses == 0 && late == 0 && underruns == 0; }
};

// Runs N sessions for `seconds` after every one has started; stops early on the first failure.
Trial run_trial(const std::string& engine, int n, double seconds, const Options& opt) {
  auralis::config::Config config;
  config.engine = engine;
  config.device = "cpu";
  config.complexity = opt.complexity;
  boost::asio::io_context media;
  auto guard = boost::asio::make_work_guard(media);
  std::vector<std::thread> media_threads;
  Trial t;
  t.n = n;
  {
    auralis::server::SessionManager manager(config, media, auralis::devices::steady_clock());
    for (int i = 0; i < opt.media_threads; ++i) media_threads.emplace_back([&] { media.run(); });
    const auto t_create = Steady::now();
    std::vector<std::shared_ptr<auralis::server::Session>> sessions;
    for (int i = 0; i < n; ++i) {
      auralis::music::SessionParams params;
      params.seed = 1000 + static_cast<std::uint64_t>(i);
      params.tempo_bpm = 60 + (i * 7) % 41;  // phrases of ~19-32 s, boundaries spread out
      params.energy = 0.3 + 0.05 * (i % 9);
      auralis::server::SessionSpec spec;
      spec.id = "bench-" + std::to_string(i);
      spec.params =
          std::get<auralis::music::ValidParams>(auralis::music::ValidParams::check(params));
      sessions.push_back(manager.create(spec, auralis::server::Origin::configured).value());
    }
    while (!std::all_of(sessions.begin(), sessions.end(),
                        [](const auto& s) { return s->started(); })) {
      if (Steady::now() - t_create > 300s) break;
      std::this_thread::sleep_for(20ms);
    }
    t.startup_s = std::chrono::duration<double>(Steady::now() - t_create).count();

    // Warm-up: the start-up burst of renders settles (a session renders its look-ahead, about
    // half a second of audio, at once) before the window measures the steady state.
    std::this_thread::sleep_for(2s);
    auto metrics = manager.metrics();
    t.startup_s = std::chrono::duration<double>(Steady::now() - t_create).count();

    auto late_total = [&] {
      std::int64_t late = 0;
      for (const auto& s : sessions) late += s->late_packets();
      return late;
    };
    auto encode_total = [&] {
      double e = 0;
      for (const auto& s : sessions) e += s->encode_seconds();
      return e;
    };
    const std::uint64_t misses0 = metrics->deadline_misses.load();
    const std::uint64_t silent0 = metrics->silent_phrases.load();
    const std::uint64_t under0 = metrics->underrun_frames.load();
    const std::int64_t late0 = late_total();
    const double encode0 = encode_total();
    const auto render0 = metrics->render_seconds.snapshot();
    const auto mix0 = metrics->mix_seconds.snapshot();
    const double cpu0 = cpu_seconds();
    const auto t0 = Steady::now();
    std::vector<double> next_patch(sessions.size());
    for (std::size_t i = 0; i < sessions.size(); ++i)
      next_patch[i] = opt.patch_every_s * static_cast<double>(i) / static_cast<double>(n);
    std::uint64_t checks = 0;
    while (Steady::now() - t0 < std::chrono::duration<double>(seconds)) {
      std::this_thread::sleep_for(opt.patch_every_s > 0 ? 20ms : 250ms);
      const double now_s = std::chrono::duration<double>(Steady::now() - t0).count();
      for (std::size_t i = 0; opt.patch_every_s > 0 && i < sessions.size(); ++i) {
        if (now_s < next_patch[i]) continue;
        next_patch[i] += opt.patch_every_s;
        auto params = sessions[i]->params().get();
        if (t.patches % 2 == 0)
          params.brightness = params.brightness > 0.5 ? 0.35 : 0.65;
        else
          params.energy = params.energy > 0.5 ? 0.4 : 0.6;
        sessions[i]->set_params(
            std::get<auralis::music::ValidParams>(auralis::music::ValidParams::check(params)));
        ++t.patches;
      }
      if (++checks % 12 == 0 &&
          (metrics->deadline_misses.load() != misses0 || late_total() != late0))
        break;  // failed: stop early
    }
    t.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    t.misses = metrics->deadline_misses.load() - misses0;
    t.silent = metrics->silent_phrases.load() - silent0;
    t.underruns = metrics->underrun_frames.load() - under0;
    t.late = late_total() - late0;
    const double session_seconds = t.seconds * n;
    t.cpu_per_session_s = cpu / session_seconds;
    t.render_s = (metrics->render_seconds.snapshot().sum - render0.sum) / session_seconds;
    t.mix_s = (metrics->mix_seconds.snapshot().sum - mix0.sum) / session_seconds;
    t.encode_s = (encode_total() - encode0) / session_seconds;
    manager.close_all("bench trial over");
    guard.reset();
    media.stop();
    for (auto& th : media_threads) th.join();
    sessions.clear();
  }
  return t;
}

void print_trial(const std::string& engine, const Trial& t, const char* kind) {
  std::printf(
      "  %-6s %-7s N=%4d  %5.1f s  misses %3llu  late %4lld  silent %2llu  CPU %.4f s/session-s "
      "(render %.4f, mix %.4f, encode %.4f)  start-up %.1f s  PATCHes %llu  %s\n",
      engine.c_str(), kind, t.n, t.seconds, static_cast<unsigned long long>(t.misses),
      static_cast<long long>(t.late), static_cast<unsigned long long>(t.silent),
      t.cpu_per_session_s, t.render_s, t.mix_s, t.encode_s, t.startup_s,
      static_cast<unsigned long long>(t.patches), t.ok() ? "ok" : "FAIL");
  std::fflush(stdout);
}

struct Result {
  std::string engine;
  std::optional<Trial> best;  // the confirmed trial
};

Result search(const std::string& engine, const Options& opt) {
  Result r{engine, std::nullopt};
  if (opt.fixed_n > 0) {
    const Trial t = run_trial(engine, opt.fixed_n, opt.seconds, opt);
    print_trial(engine, t, "fixed");
    if (t.ok()) r.best = t;
    return r;
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Probe: a few sessions give the CPU cost per session-second, hence a first guess.
  const int probe_n = 4 * cores;
  const Trial probe = run_trial(engine, probe_n, opt.quick_seconds, opt);
  print_trial(engine, probe, "probe");
  int lo = probe.ok() ? probe_n : 0;  // largest N that passed
  int hi = opt.max_n + 1;             // smallest N that failed
  if (!probe.ok()) hi = probe_n;
  int guess = probe.ok() ? static_cast<int>(0.85 * cores / std::max(probe.cpu_per_session_s, 1e-4))
                         : probe_n / 2;
  guess = std::clamp(guess, lo + 1, hi - 1);
  for (int step = 0; step < 6 && hi - lo > std::max(2, lo / 10) && guess > lo && guess < hi;
       ++step) {
    const Trial t = run_trial(engine, guess, opt.quick_seconds, opt);
    print_trial(engine, t, "quick");
    if (t.ok())
      lo = guess;
    else
      hi = guess;
    guess = hi > opt.max_n ? std::min(opt.max_n, lo * 2) : (lo + hi) / 2;
  }
  // Confirm at full length, stepping down by 10% until a trial passes (at most 3 tries).
  int n = lo;
  for (int attempt = 0; attempt < 3 && n > 0; ++attempt) {
    const Trial t = run_trial(engine, n, opt.seconds, opt);
    print_trial(engine, t, "confirm");
    if (t.ok()) {
      r.best = t;
      break;
    }
    n = static_cast<int>(n * 0.9);
  }
  return r;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auralis::devices::tune_process_for_live_rendering();  // as the daemon does
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seconds")
      opt.seconds = std::stod(value());
    else if (a == "--quick-seconds")
      opt.quick_seconds = std::stod(value());
    else if (a == "--engines")
      opt.engines = split(value());
    else if (a == "--n")
      opt.fixed_n = std::stoi(value());
    else if (a == "--media-threads")
      opt.media_threads = std::max(1, std::stoi(value()));
    else if (a == "--complexity")
      opt.complexity = std::stoi(value());
    else if (a == "--max")
      opt.max_n = std::stoi(value());
    else if (a == "--patch-every-s")
      opt.patch_every_s = std::stod(value());
    else {
      std::fprintf(
          stderr,
          "usage: sessions_bench [--seconds 60] [--quick-seconds 20] [--engines cpu,torch] [--n N] "
          "[--media-threads N] [--complexity 10] [--max 400] [--patch-every-s S]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  auralis::log::setup("off");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf(
      "sessions_bench: %d cores, Opus complexity %d, %d media thread(s), trials %.0f s (quick %.0f "
      "s), a PATCH per session every %.0f s (0: none)\n",
      cores, opt.complexity, opt.media_threads, opt.seconds, opt.quick_seconds, opt.patch_every_s);
  std::vector<Result> results;
  for (const auto& engine : opt.engines) {
    if (engine == "torch" && !auralis::synthesis::torch_engine_available()) {
      std::printf("  torch: this build has no LibTorch, skipped\n");
      continue;
    }
    results.push_back(search(engine, opt));
  }

  std::printf(
      "\n| engine chain | largest N (0 misses, 0 late packets) | sessions/core | CPU s per "
      "session-s |"
      " render | mix | encode |\n|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    const std::string chain = r.engine == "torch" ? "torch (LibTorch on CPU) -> cpu" : "cpu";
    if (!r.best) {
      std::printf("| %s | none passed | - | - | - | - | - |\n", chain.c_str());
      continue;
    }
    const Trial& t = *r.best;
    std::printf("| %s | %d (%.0f s) | %.1f | %.4f | %.4f | %.4f | %.4f |\n", chain.c_str(), t.n,
                t.seconds, static_cast<double>(t.n) / cores, t.cpu_per_session_s, t.render_s,
                t.mix_s, t.encode_s);
  }
  return 0;
}
