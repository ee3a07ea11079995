// Prints real-time factors (seconds of audio per second of one core, thread CPU time) on the
// reference phrase, 8 bars at 70 BPM, every layer on, energy 0.6: the CPU engine's dry render
// and the Mixer alone (effects + master), each over the whole phrase, and the full mix as a
// session makes a phrase (render_and_mix: each 2,048-frame window of dry stems mixed as soon as
// it is rendered), with the issue #4 target (full mix >= 1,000x per core) checked.
// The Mixer runs the phrase again and again on a continuing timeline, as a session would. Each
// CPU the process may use is measured in turn, pinned (shared vCPUs differ in speed).
// Usage: effects_bench [repetitions] [window]  (window: Mixer frames per call, 0 = phrase)
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "auralis/music/composer.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/render_mix.hpp"
#include "auralis/synthesis/stems.hpp"
#include "auralis/synthesis/timeline.hpp"
#include "phrase_at.hpp"

namespace {
// CPU time of this thread: the machine is shared, and "per second of one core" means CPU time.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
struct Figures {
  std::vector<double> dry, mixer, full;  // real-time factors per run, sorted
  std::vector<double> sequential;        // dry + Mixer over whole phrases, for comparison
};

// Dry render of the phrase (the same voices every time) into the buffer of the phrase before
// it, then the Mixer on its stems, `reps` times after one warm-up pass; the Mixer runs on a
// continuing timeline, as a session would. Then the full mix, phrase after phrase as a render
// worker makes them (render_and_mix, with its own Mixer and timeline).
Figures measure(auralis::synthesis::Engine& engine, const auralis::synthesis::RenderJob& before,
                const auralis::synthesis::RenderJob& job, auralis::synthesis::Stems& stems,
                auralis::synthesis::Stems& part, std::vector<float>& out, std::int64_t window,
                int reps) {
  using namespace auralis;
  const std::int64_t frames = job.frames;
  synthesis::Mixer mixer, full_mixer;
  synthesis::Stems window_stems;
  Figures f;
  std::int64_t timeline_frame = job.start_frame;
  const double audio_s = static_cast<double>(frames) / synthesis::kSampleRate;
  for (int r = 0; r < reps + 1; ++r) {  // the first pass warms caches and is not counted
    // The buffer holds the phrase before, as a render pool's reused buffer would (its silence
    // flags are that phrase's, not the reference's).
    engine.render(before, stems);
    const double dry_start = thread_cpu_s();
    engine.render(job, stems);
    const double dry_s = thread_cpu_s() - dry_start;
    const double cpu_start = thread_cpu_s();
    for (std::int64_t done = 0; done < frames; done += window) {
      const std::int64_t n = std::min(window, frames - done);
      synthesis::RenderJob w = job;
      w.voices.clear();
      w.start_frame = timeline_frame + done;
      w.frames = n;
      w.controls.phrase_start_frame = timeline_frame;
      if (window == frames) {
        mixer.process(w, stems, std::span<float>(out).first(static_cast<std::size_t>(2 * n)));
      } else {
        // Copying a window of stems (with its silence flags) is part of a windowed caller's
        // cost too, but small.
        part.resize(n);
        const synthesis::Stems& from = stems;
        for (int l = 0; l < music::kLayerCount; ++l) {
          const auto layer = static_cast<music::Layer>(l);
          if (from.silent(layer, done, n))
            part.store_silence(layer, 0, n);
          else
            part.store(layer, 0, from.plane(layer, 0).data() + done,
                       from.plane(layer, 1).data() + done, n);
        }
        mixer.process(w, part, std::span<float>(out).first(static_cast<std::size_t>(2 * n)));
      }
    }
    const double cpu_s = thread_cpu_s() - cpu_start;
    timeline_frame += frames;
    if (r > 0) {
      f.mixer.push_back(audio_s / cpu_s);
      f.dry.push_back(audio_s / dry_s);
      f.sequential.push_back(audio_s / (dry_s + cpu_s));
    }
  }
  timeline_frame = job.start_frame;
  for (int r = 0; r < reps + 1; ++r) {
    const synthesis::RenderJob at = bench::phrase_at(job, timeline_frame);
    const double full_start = thread_cpu_s();
    synthesis::render_and_mix(engine, at, full_mixer, window_stems,
                              std::span<float>(out).first(static_cast<std::size_t>(2 * frames)));
    const double full_s = thread_cpu_s() - full_start;
    timeline_frame += frames;
    if (r > 0) f.full.push_back(audio_s / full_s);
  }
  for (auto* v : {&f.dry, &f.mixer, &f.full, &f.sequential}) std::sort(v->begin(), v->end());
  return f;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace auralis;
  const int reps = argc > 1 ? std::atoi(argv[1]) : 12;
  const long window_arg = argc > 2 ? std::atol(argv[2]) : 0;  // 0: the whole phrase per call
  if (reps <= 0 || window_arg < 0) {
    std::fprintf(stderr, "usage: effects_bench [repetitions > 0] [window frames, 0 = phrase]\n");
    return 2;
  }

  music::SessionParams params;
  params.tempo_bpm = 70;
  params.energy = 0.6;
  params.brightness = 0.5;
  params.seed = 7;
  music::Composer composer(params);
  synthesis::Timeline timeline;
  // Skip the first phrase so release tails from a previous phrase are part of the job.
  const synthesis::RenderJob before = timeline.place(composer.next());
  const synthesis::RenderJob job = timeline.place(composer.next());
  synthesis::Stems stems;
  const auto engine = synthesis::make_cpu_engine();
  engine->render(job, stems);

  const std::int64_t frames = job.frames;
  const std::int64_t window = window_arg > 0 ? window_arg : frames;
  std::vector<float> out(static_cast<std::size_t>(2 * frames));
  synthesis::Stems part;
  part.resize(window);

  // The vCPUs of a shared machine need not be equally fast (here either one ran ~20% slower
  // than the other for minutes at a time): measure pinned to each CPU this process may use.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  std::printf("reference phrase: %.2f s of audio, %zu voices, window %lld frames\n",
              static_cast<double>(frames) / synthesis::kSampleRate, job.voices.size(),
              static_cast<long long>(window));
  std::printf("real-time factor, one core (thread CPU time, pinned), %d runs:\n", reps);
  constexpr double kTarget = 1000;  // issue #4: full CPU mix >= 1,000x real time on one core
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) continue;
    const Figures f = measure(*engine, before, job, stems, part, out, window, reps);
    auto line = [cpu](const char* what, const std::vector<double>& v) {
      std::printf("cpu %d  %-32s median %5.0fx, best %5.0fx, worst %5.0fx\n", cpu, what,
                  v[v.size() / 2], v.back(), v.front());
    };
    line("dry render (CPU engine)", f.dry);
    line("effects (Mixer)", f.mixer);
    line("dry + effects, whole phrases", f.sequential);
    line("full mix (render_and_mix)", f.full);
    const double full = f.full[f.full.size() / 2];
    std::printf("cpu %d  target: full mix >= %.0fx per core: %s (median %.0fx)\n", cpu, kTarget,
                full >= kTarget ? "MET" : "NOT MET", full);
  }
  sched_setaffinity(0, sizeof allowed, &allowed);
  return 0;
}
