// Prints how many phrases per second the composer writes, per energy level and overall.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "auralis/music/composer.hpp"

int main(int argc, char** argv) {
  using auralis::music::Composer;
  using auralis::music::SessionParams;
  const int phrases = argc > 1 ? std::atoi(argv[1]) : 5000;
  if (phrases <= 0) {
    std::fprintf(stderr, "usage: compose_bench [phrases per run, > 0]\n");
    return 2;
  }
  double total_s = 0;
  long total_phrases = 0;
  std::size_t notes = 0;
  for (double energy : {0.1, 0.5, 0.9}) {
    SessionParams params;
    params.energy = energy;
    params.brightness = 0.7;
    params.seed = 42;
    Composer composer(params);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < phrases; ++i) notes += composer.next().notes.size();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::printf("energy %.1f: %d phrases in %.3f s = %.0f phrases/s\n", energy, phrases,
                elapsed.count(), phrases / elapsed.count());
    total_s += elapsed.count();
    total_phrases += phrases;
  }
  std::printf("compose: %.0f phrases/s (%ld phrases, %.1f notes per phrase)\n",
              total_phrases / total_s, total_phrases,
              static_cast<double>(notes) / static_cast<double>(total_phrases));
  return 0;
}
