// Ping-pong echo for the lead: the mono input enters the left line, each repeat crosses to the
// other side, a one-pole low-pass in the loop darkens every repeat (tape-like, never harsh).
#pragma once

#include <cstdint>
#include <span>

#include "dsp/block_lti.hpp"
#include "dsp/delay_line.hpp"

namespace auralis::synthesis::dsp {

struct PingPongParams {
  float feedback = 0.4f;
  float wet = 0.33f;  // wet / (dry + wet) = 25%
  float loop_cutoff_hz = 3500;
  float max_delay_s = 0.6f;  // 3/8 beat at 40 BPM is 0.5625 s
};

class PingPongDelay {
 public:
  explicit PingPongDelay(float sample_rate_hz = 48000, PingPongParams params = {});

  // New delay target; the delay glides there (~50 ms) so a tempo change never jumps the read.
  void set_delay_s(float delay_s);
  void reset();
  // Puts the loop filter's block grid on the absolute timeline (next sample is `frame`).
  void align(std::int64_t frame) { loop_lowpass_.align(frame); }

  // In place on the lead bus.
  void process(std::span<float> left, std::span<float> right) { process(left, right, left, right); }
  // The bus from `in_*` (which may be `out_*`) to `out_*`.
  void process(std::span<const float> in_left, std::span<const float> in_right,
               std::span<float> out_left, std::span<float> out_right);

 private:
  float sample_rate_hz_;
  PingPongParams params_;
  DelayLine left_line_, right_line_;
  BlockLti<1, 2> loop_lowpass_;  // the one-pole of each loop, y += coef (x - y), as a block filter
  float delay_samples_ = -1;     // current (gliding); negative until the first target
  float target_samples_ = 1;
  float glide_coef_;
  float max_samples_;
};

}  // namespace auralis::synthesis::dsp
