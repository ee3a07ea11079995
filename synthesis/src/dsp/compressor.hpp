// Gentle stereo-linked bus compressor ("glue"): soft-knee 2:1 on a smoothed peak detector. The
// gain is computed every 128 samples (2.7 ms, under a fifth of the 15 ms attack) and ramped
// linearly across the next step; the detector follows the stereo peak of every 16 samples
// (0.33 ms) with its attack or release over 16 samples, eight times a step (a per-sample
// detector's serial chain cost several times more; held over 16 samples a waveform's peak
// reads the same, and the first minute of seed 7 comes out within 0.3 LU of it). Per sample
// only the peak and the gain ramp run.
#pragma once

#include <array>
#include <span>

namespace auralis::synthesis::dsp {

struct CompressorParams {
  float threshold_db = -14;
  float ratio = 2;
  float knee_db = 6;
  float attack_s = 0.015f;
  float release_s = 0.25f;
  float makeup_db = 0;
};

class Compressor {
 public:
  static constexpr unsigned kStep = 128;  // samples per gain step
  static constexpr unsigned kGroup = 16;  // samples per detector update

  explicit Compressor(float sample_rate_hz = 48000, CompressorParams params = {});

  // In place; the input is taken times `input_gain` first (a gain stage before it, in the same
  // pass: the same bits as multiplying first).
  void process(std::span<float> left, std::span<float> right, float input_gain = 1.0f);
  void reset();
  float gain_reduction_db() const { return gain_db_; }  // latest, <= makeup

 private:
  float gain_db_for(float level_db) const;

  CompressorParams params_;
  float attack_coef_, release_coef_;    // one-pole coefficients per sample
  float attack_group_, release_group_;  // the same over a group (1 - (1 - c)^kGroup)
  float envelope_ = 0;
  float gain_from_ = 1, gain_to_ = 1;  // linear, ramped across each step
  float gain_db_ = 0;
  unsigned position_ = 0;                         // samples into the current step
  alignas(64) std::array<float, kStep> peaks_{};  // the step's stereo peaks so far
};

}  // namespace auralis::synthesis::dsp
