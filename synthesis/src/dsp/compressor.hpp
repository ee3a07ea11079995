// Gentle stereo-linked bus compressor ("glue"): soft-knee 2:1 on a smoothed peak detector, all
// at control rate: every 64 samples (1.3 ms, a tenth of the 15 ms attack) the step's stereo
// peak moves the detector by its attack or release over 64 samples, and the gain computed from
// it is ramped linearly across the next step. Per sample only the peak and the gain ramp run.
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
  static constexpr unsigned kStep = 64;  // samples per gain step

  explicit Compressor(float sample_rate_hz = 48000, CompressorParams params = {});

  // In place; the input is taken times `input_gain` first (a gain stage before it, in the same
  // pass: the same bits as multiplying first).
  void process(std::span<float> left, std::span<float> right, float input_gain = 1.0f);
  void reset();
  float gain_reduction_db() const { return gain_db_; }  // latest, <= makeup

 private:
  float gain_db_for(float level_db) const;

  CompressorParams params_;
  float attack_coef_, release_coef_;  // one-pole coefficients per sample
  float attack_step_, release_step_;  // the same over a whole step (1 - (1 - c)^64)
  float envelope_ = 0;
  float gain_from_ = 1, gain_to_ = 1;  // linear, ramped across each 64-sample step
  float gain_db_ = 0;
  unsigned position_ = 0;  // samples into the current step
  float step_peak_ = 0;    // the current step's stereo peak so far
};

}  // namespace auralis::synthesis::dsp
