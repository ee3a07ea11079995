// Prints the real-time factor of the Mixer alone (seconds of audio per second of one core) on
// the reference phrase: 8 bars at 70 BPM, every layer on, energy 0.6. The stems are rendered
// once by the CPU engine outside the timing; the Mixer then runs the phrase again and again
// on a continuing timeline, as a session would. Usage: effects_bench [repetitions] [window]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "auralis/music/composer.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/stems.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace {
// CPU time of this thread: the machine is shared, and "per second of one core" means CPU time.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
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
  timeline.place(composer.next());
  const synthesis::RenderJob job = timeline.place(composer.next());
  synthesis::Stems stems;
  synthesis::make_cpu_engine()->render(job, stems);

  const std::int64_t frames = job.frames;
  const std::int64_t window = window_arg > 0 ? window_arg : frames;
  std::vector<float> out(static_cast<std::size_t>(2 * window));
  synthesis::Stems part;
  part.resize(window);

  synthesis::Mixer mixer;
  std::vector<double> rtf, wall_rtf;
  std::int64_t timeline_frame = job.start_frame;
  for (int r = 0; r < reps + 1; ++r) {  // the first pass warms caches and is not counted
    const auto start = std::chrono::steady_clock::now();
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
        // Copying a window of stems is part of a windowed caller's cost too, but small.
        part.resize(n);
        for (int l = 0; l < music::kLayerCount; ++l)
          for (int c = 0; c < 2; ++c) {
            const auto src = stems.plane(static_cast<music::Layer>(l), c);
            std::copy_n(src.begin() + done, n, part.plane(static_cast<music::Layer>(l), c).begin());
          }
        mixer.process(w, part, std::span<float>(out).first(static_cast<std::size_t>(2 * n)));
      }
    }
    const double cpu_s = thread_cpu_s() - cpu_start;
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    timeline_frame += frames;
    const double audio = static_cast<double>(frames) / synthesis::kSampleRate;
    if (r > 0) {
      rtf.push_back(audio / cpu_s);
      wall_rtf.push_back(audio / wall.count());
    }
  }
  std::sort(rtf.begin(), rtf.end());
  std::sort(wall_rtf.begin(), wall_rtf.end());
  const double audio_s = static_cast<double>(frames) / synthesis::kSampleRate;
  std::printf("reference phrase: %.2f s of audio, %zu voices, window %lld frames\n", audio_s,
              job.voices.size(), static_cast<long long>(window));
  std::printf("effects (Mixer) real-time factor, one core: median %.0fx, best %.0fx, worst %.0fx\n",
              rtf[rtf.size() / 2], rtf.back(), rtf.front());
  std::printf("(wall clock, shared machine: median %.0fx)\n", wall_rtf[wall_rtf.size() / 2]);
  return 0;
}
