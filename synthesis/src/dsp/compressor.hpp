// Gentle stereo-linked bus compressor ("glue"): soft-knee 2:1 on a smoothed peak detector.
// The gain is computed every 64 samples and ramped linearly in between: the detector follows
// every sample's peak, the log/exp run only at control rate.
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

  void process(std::span<float> left, std::span<float> right);
  void reset();
  float gain_reduction_db() const { return gain_db_; }  // latest, <= makeup

 private:
  float gain_db_for(float level_db) const;

  CompressorParams params_;
  float attack_coef_, release_coef_;
  float envelope_ = 0;
  float gain_from_ = 1, gain_to_ = 1;  // linear, ramped across each 64-sample step
  float gain_db_ = 0;
  unsigned position_ = 0;             // samples into the current step
  std::array<float, kStep> peaks_{};  // the current step's input peaks, for the detector
};

}  // namespace auralis::synthesis::dsp
