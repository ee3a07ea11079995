// Measurements for the audio-quality tests: loudness and true peak via libebur128 (the same
// BS.1770 implementation ffmpeg's ebur128 filter follows), plus simple level statistics.
#pragma once

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace auralis::test_audio {

struct Loudness {
  double integrated_lufs = -HUGE_VAL;
  double true_peak_dbtp = -HUGE_VAL;
};

// Interleaved stereo at 48 kHz.
inline Loudness measure_loudness(std::span<const float> interleaved) {
  ebur128_state* st = ebur128_init(2, 48000, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_float(st, interleaved.data(), interleaved.size() / 2);
  Loudness out;
  ebur128_loudness_global(st, &out.integrated_lufs);
  double tp0 = 0, tp1 = 0;
  ebur128_true_peak(st, 0, &tp0);
  ebur128_true_peak(st, 1, &tp1);
  out.true_peak_dbtp = 20.0 * std::log10(std::max({tp0, tp1, 1e-12}));
  ebur128_destroy(&st);
  return out;
}

inline double sample_peak(std::span<const float> x) {
  double p = 0;
  for (float v : x) p = std::max(p, static_cast<double>(std::fabs(v)));
  return p;
}

inline double rms(std::span<const float> x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

inline double db(double linear) {
  return 20.0 * std::log10(std::max(linear, 1e-30));
}

// Longest run of consecutive identical samples at |x| >= threshold in one channel: a clipped
// (flat-topped) run, as `sox stats` reports it.
inline int longest_flat_run(std::span<const float> interleaved, int channel, float threshold) {
  int best = 0, run = 0;
  float prev = 0;
  for (std::size_t i = static_cast<std::size_t>(channel); i < interleaved.size(); i += 2) {
    const float v = interleaved[i];
    if (std::fabs(v) >= threshold && v == prev) {
      ++run;
      best = std::max(best, run + 1);
    } else {
      run = 0;
    }
    prev = v;
  }
  return best;
}

// 16-bit PCM WAV, for listening and spectrograms while tuning.
inline void write_wav(const std::string& path, std::span<const float> interleaved) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  const auto data_bytes = static_cast<std::uint32_t>(interleaved.size() * 2);
  auto u32 = [&](std::uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto u16 = [&](std::uint16_t v) { std::fwrite(&v, 2, 1, f); };
  std::fwrite("RIFF", 1, 4, f);
  u32(36 + data_bytes);
  std::fwrite("WAVEfmt ", 1, 8, f);
  u32(16);
  u16(1);
  u16(2);
  u32(48000);
  u32(48000 * 4);
  u16(4);
  u16(16);
  std::fwrite("data", 1, 4, f);
  u32(data_bytes);
  std::vector<std::int16_t> pcm(interleaved.size());
  for (std::size_t i = 0; i < pcm.size(); ++i)
    pcm[i] =
        static_cast<std::int16_t>(std::lround(std::clamp(interleaved[i], -1.0f, 1.0f) * 32767));
  std::fwrite(pcm.data(), 2, pcm.size(), f);
  std::fclose(f);
}

}  // namespace auralis::test_audio
