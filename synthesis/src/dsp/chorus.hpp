// Slow stereo chorus for the pad bus: one modulated tap per channel (LFOs in quadrature) widens
// and animates the sustained chords without audible pitch wobble.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dsp/delay_line.hpp"

namespace auralis::synthesis::dsp {

struct ChorusParams {
  float base_delay_s = 0.018f;
  float depth_s = 0.004f;  // peak delay excursion
  float rate_hz = 0.13f;
  float dry = 0.8f;
  float wet = 0.45f;
};

class StereoChorus {
 public:
  explicit StereoChorus(float sample_rate_hz = 48000, ChorusParams params = {});

  // In place. `start_frame` is the absolute timeline frame of left[0]: the LFO is a pure function
  // of it (evaluated on a 64-frame grid, linear between), so any split of the timeline into
  // calls gives the same output.
  void process(std::span<float> left, std::span<float> right, std::int64_t start_frame);
  void reset();

 private:
  struct Delays {
    float left, right;  // samples
  };
  // Both taps' delays at a multiple of the 64-frame grid.
  Delays delays_at(std::int64_t grid_frame);
  static constexpr int kAnchorEvery = 64;  // grid points per exact LFO evaluation

  float sample_rate_hz_;
  ChorusParams params_;
  DelayLine left_line_, right_line_;
  bool segment_writes_first_;
  std::array<double, kAnchorEvery> step_cos_{}, step_sin_{};  // LFO turn per grid point
  std::int64_t anchor_point_ = -1;  // grid point of the cached exact LFO value
  double anchor_cos_ = 1, anchor_sin_ = 0;
};

}  // namespace auralis::synthesis::dsp
