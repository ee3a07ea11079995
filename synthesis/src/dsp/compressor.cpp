// Feed-forward soft-knee compressor with control-rate gain.
#include "dsp/compressor.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "cpu/fast_math.hpp"
#include "dsp/dsp_common.hpp"
#include "dsp/one_pole.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr unsigned kStep = Compressor::kStep;

// A one-pole's coefficient applied kGroup times in a row: 1 - (1 - c)^kGroup.
float over_group(float coef) {
  return static_cast<float>(1.0 - std::pow(1.0 - static_cast<double>(coef), Compressor::kGroup));
}
}  // namespace

Compressor::Compressor(float sample_rate_hz, CompressorParams params)
    : params_(params),
      attack_coef_(one_pole_coef_s(params.attack_s, sample_rate_hz)),
      release_coef_(one_pole_coef_s(params.release_s, sample_rate_hz)),
      attack_group_(over_group(attack_coef_)),
      release_group_(over_group(release_coef_)) {
  gain_from_ = gain_to_ = db_to_gain(params.makeup_db);
}

void Compressor::reset() {
  envelope_ = 0;
  gain_from_ = gain_to_ = db_to_gain(params_.makeup_db);
  gain_db_ = 0;
  position_ = 0;
  peaks_.fill(0);
}

float Compressor::gain_db_for(float level_db) const {
  const float over = level_db - params_.threshold_db;
  const float slope = 1.0f / params_.ratio - 1.0f;
  const float half_knee = 0.5f * params_.knee_db;
  float g = 0;
  if (over >= half_knee) {
    g = slope * over;
  } else if (over > -half_knee) {
    const float t = over + half_knee;
    g = slope * t * t / (2.0f * params_.knee_db);
  }
  return g + params_.makeup_db;
}

AURALIS_DSP_CLONES
void Compressor::process(std::span<float> left, std::span<float> right, float input_gain) {
  const std::size_t frames = std::min(left.size(), right.size());
  // The detector runs once a step is complete, on its stored peaks: the same arithmetic
  // however the calls split the steps.
  std::size_t i = 0;
  while (i < frames) {
    if (position_ == kStep) {
      // Each group's peak (peaks are >= 0, so their bits order like their values: integer
      // maxima, which vectorise), then the detector, group by group.
      std::array<std::uint32_t, kStep / kGroup> group{};
      for (unsigned g = 0; g < kStep / kGroup; ++g)
        for (unsigned j = 0; j < kGroup; ++j)
          group[g] = std::max(group[g], std::bit_cast<std::uint32_t>(peaks_[g * kGroup + j]));
      // Rising peaks follow the attack, falling ones the release: with the attack the faster,
      // the larger of the two moves is the right one (the other way round, the smaller), so
      // the serial chain is one multiply-add and one max a group.
      const float ka = 1.0f - attack_group_, kr = 1.0f - release_group_;
      const auto detect = [&](auto pick) {
        float env = envelope_;
        for (const std::uint32_t bits : group) {
          const float peak = std::bit_cast<float>(bits);
          env = pick(ka * env + attack_group_ * peak, kr * env + release_group_ * peak);
        }
        return env;
      };
      envelope_ = attack_group_ >= release_group_
                      ? detect([](float a, float b) { return std::max(a, b); })
                      : detect([](float a, float b) { return std::min(a, b); });
      position_ = 0;
    }
    if (position_ == 0) {
      gain_from_ = gain_to_;
      // Control rate, but every step: polynomial log2 and exp2 (~2e-7 relative) instead of
      // libm's log10 and pow.
      constexpr float kDbPerOctave = 6.020599913f;  // 20 log10(2)
      gain_db_ = gain_db_for(kDbPerOctave * cpu::log2_fast(std::max(envelope_, 1e-6f)));
      gain_to_ = cpu::exp2_fast(gain_db_ * (1.0f / kDbPerOctave));
    }
    const std::size_t n = std::min<std::size_t>(frames - i, kStep - position_);
    float* const l = left.data() + i;
    float* const r = right.data() + i;
    // Stereo peaks of the gained input (|x| as bits: an integer max, which vectorises).
    float* const peak = peaks_.data() + position_;
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint32_t bits = std::max(std::bit_cast<std::uint32_t>(l[k]) & 0x7fffffffu,
                                          std::bit_cast<std::uint32_t>(r[k]) & 0x7fffffffu);
      peak[k] = std::bit_cast<float>(bits) * input_gain;
    }
    const float step = (gain_to_ - gain_from_) / static_cast<float>(kStep);
    const float from = gain_from_;
    const auto pos0 = static_cast<float>(position_ + 1);
    const int count = static_cast<int>(n);  // int: the conversion vectorises
    for (int k = 0; k < count; ++k) {
      const float g = from + step * (pos0 + static_cast<float>(k));
      l[k] = (l[k] * input_gain) * g;
      r[k] = (r[k] * input_gain) * g;
    }
    position_ += static_cast<unsigned>(n);
    i += n;
  }
}

}  // namespace auralis::synthesis::dsp
