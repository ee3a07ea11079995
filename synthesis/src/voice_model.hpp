// The per-voice model both engines implement: every sample of a voice is a pure function of
// (VoiceSpec, absolute frame). This header holds the scalar, per-voice parts (seeds, start
// phases, pan gains, envelope times in frames, the noise hash) so the engines cannot drift.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "auralis/synthesis/render_job.hpp"

namespace auralis::synthesis::voice {

// 64-bit mixer (splitmix64 finaliser): decorrelates seeds derived from small integers.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform double in [0, 1) from seed and a stream number.
inline double uniform01(std::uint64_t seed, std::uint64_t stream) {
  return static_cast<double>(mix64(seed ^ mix64(stream)) >> 11) * 0x1.0p-53;
}

// The counter-based noise hash, 32-bit. Every multiplier is below 2^31 so a LibTorch int64
// tensor computes the same bits without signed overflow (mask to 32 bits after each product).
inline constexpr std::uint32_t kHashMul1 = 0x7feb352du;
inline constexpr std::uint32_t kHashMul2 = 0x2c1b3c6du;
inline constexpr std::uint32_t kHashMul3 = 0x297a2d39u;

constexpr std::uint32_t hash32(std::uint32_t x) {
  x ^= x >> 16;
  x *= kHashMul1;
  x ^= x >> 15;
  x *= kHashMul2;
  x ^= x >> 12;
  x *= kHashMul3;
  x ^= x >> 15;
  return x;
}

// Noise stream key of a voice; sample n of the stream is noise_sample(key, n).
constexpr std::uint32_t noise_key(std::uint64_t seed) {
  return hash32(static_cast<std::uint32_t>(mix64(seed) >> 32));
}

// Uniform float in [-1, 1) at absolute frame `frame` (the stream repeats every 2^32 frames,
// ~24.8 h, far longer than any voice).
inline constexpr float kNoiseScale = 0x1.0p-23f;  // 24 hashed bits -> [0, 2)
constexpr float noise_sample(std::uint32_t key, std::int64_t frame) {
  const std::uint32_t h = hash32(static_cast<std::uint32_t>(frame) + key);
  return static_cast<float>(h >> 8) * kNoiseScale - 1.0f;
}

// Start phase (cycles, [0,1)) of oscillator `k` of a voice.
inline double start_phase(std::uint64_t seed, int k) {
  return uniform01(seed, 0x5150ull + static_cast<std::uint64_t>(k));
}

// Constant-power pan: -1 left .. +1 right, equal -3 dB at the centre.
struct PanGains {
  float left;
  float right;
};
inline PanGains pan_gains(float pan, float gain) {
  const double p = std::clamp(static_cast<double>(pan), -1.0, 1.0);
  const double angle = (p + 1.0) * std::numbers::pi / 4.0;
  return {static_cast<float>(gain * std::cos(angle)), static_cast<float>(gain * std::sin(angle))};
}

// ADSR times in frames (each segment at least one frame, so no division by zero).
struct EnvelopeFrames {
  float attack;
  float decay;
  float sustain;
  float release;
  float gate;
  float curve;
};
inline EnvelopeFrames envelope_frames(const VoiceSpec& v) {
  const auto frames = [](float s) { return std::max(1.0f, s * static_cast<float>(kSampleRate)); };
  return {frames(v.attack_s),
          frames(v.decay_s),
          std::clamp(v.sustain, 0.0f, 1.0f),
          frames(v.release_s),
          static_cast<float>(std::max<std::int64_t>(v.gate_frames, 0)),
          std::max(v.curve, 0.05f)};
}

// Reference envelope at t frames after note-on (closed form, torchsynth-style with curvature;
// the release starts from the level reached at note-off, even mid-attack). Engines vectorise
// this same formula.
inline double envelope_reference(const EnvelopeFrames& e, double t) {
  if (t < 0) return 0;
  const double held = std::min(t, static_cast<double>(e.gate));
  const double a = std::min(held / e.attack, 1.0);
  const double d = std::clamp((held - e.attack) / e.decay, 0.0, 1.0);
  const double r = std::clamp((t - e.gate) / e.release, 0.0, 1.0);
  const double c = e.curve;
  return std::pow(a, c) * (e.sustain + (1.0 - e.sustain) * std::pow(1.0 - d, c)) *
         std::pow(1.0 - r, c);
}

// Phase (cycles, wrapped to [0,1)) of an oscillator `frames` after note-on: analytic, in double.
inline double phase_at(double start_cycles, double freq_hz, std::int64_t frames) {
  const double cycles =
      start_cycles + freq_hz * (static_cast<double>(frames) / static_cast<double>(kSampleRate));
  return cycles - std::floor(cycles);
}

}  // namespace auralis::synthesis::voice
