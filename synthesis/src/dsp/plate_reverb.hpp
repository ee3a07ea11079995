// Modulated plate reverb after Dattorro ("Effect Design, Part 1", JAES 1997): pre-delay,
// band-limiting, four input diffusers, then a figure-eight tank of two modulated all-pass +
// delay + damping + all-pass + delay halves; stereo taps from both halves. The modulation
// (quadrature LFO on the tank all-passes) smears the modes that make static tanks metallic.
// Runs at half the sample rate (24 kHz, close to the paper's 29.76 kHz) to halve its cost:
// its input is band-limited to a few kHz anyway. Mono send in, stereo wet out.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dsp/biquad.hpp"
#include "dsp/block_lti.hpp"
#include "dsp/delay_line.hpp"

namespace auralis::synthesis::dsp {

struct PlateParams {
  float decay = 0.85f;     // tank gain per half loop (0.85-0.93)
  float bandwidth = 0.7f;  // input one-pole coefficient (1 = no low-pass)
  float damping = 0.45f;   // tank one-pole damping (0 = bright)
  float predelay_s = 0.03f;
  float excursion_samples = 12;  // at the internal (half) rate
  float mod_rate_hz = 0.8f;
  float send_highpass_hz = 200;  // keeps low end out of the tail (mud)
};

class PlateReverb {
 public:
  explicit PlateReverb(float sample_rate_hz = 48000, PlateParams params = {});

  // Mono send in, stereo wet out (written, not added), all at the full rate.
  void process(std::span<const float> send, std::span<float> out_left, std::span<float> out_right);
  void reset();
  // Puts the internal rate's pairs and the block filters' 8-tick grid on the absolute timeline
  // for a stream whose next sample is `frame`: ticks pair frames 2k and 2k + 1 (an odd first
  // frame pairs with a zero before it), so calls on an even grid (the Mixer's 256-frame steps)
  // hand over whole pairs and whole filter blocks.
  void align(std::int64_t frame);

  // Ticks are computed stage by stage over blocks of at most this many: every delay a stage
  // reads inside the loop (diffusers, tank lines, output taps) is longer, so a block's reads
  // only ever see earlier blocks' writes and each stage is a plain vectorisable loop.
  static constexpr int kMaxBlock = 64;

 private:
  // Runs `count` (<= kMaxBlock) internal ticks: tick inputs in, tick outputs (wet L/R) out.
  void run_ticks(const float* in, float* out_l, float* out_r, int count);

  struct Allpass {
    DelayLine line;
    int length = 1;
    float gain = 0;
  };
  struct Tank {
    DelayLine mod_ap;  // modulated all-pass line
    int mod_length = 1;
    DelayLine delay1;
    int delay1_length = 1;
    Allpass ap2;
    DelayLine delay2;
    int delay2_length = 1;
  };

  PlateParams params_;
  float rate_hz_;
  BiquadCoefs send_hp_;
  BlockLti<3> input_filter_;  // send high-pass, then band-limiting (before the pre-delay)
  BlockLti<1, 2> damping_;    // both tanks' damping one-poles
  std::uint32_t tick_ = 0;    // shared write position of every line (each masks it)
  DelayLine predelay_;
  int predelay_samples_ = 1;
  std::array<Allpass, 4> diffusers_;
  Tank a_, b_;
  float b_feedback_ = 0;  // B's output from the previous tick, fed into A (and vice versa)
  float a_feedback_ = 0;
  // Output taps (internal-rate samples), in Dattorro's table order.
  std::array<int, 14> taps_{};
  // Quadrature LFO: its value at the last multiple of kLfoGrid ticks, and the rotations by
  // 0..kLfoGrid ticks that give the values in between (cheap, no sin per tick).
  static constexpr std::uint32_t kLfoGrid = 64;
  float lfo_cos_ = 1, lfo_sin_ = 0;
  std::uint32_t lfo_ticks_ = 0;
  std::array<float, kLfoGrid + 1> lfo_step_cos_{}, lfo_step_sin_{};
  // Half-rate bookkeeping: an even full-rate sample waiting for its pair, and the last output.
  bool have_half_ = false;
  float pending_ = 0;
  float last_left_ = 0, last_right_ = 0;
  int block_ = kMaxBlock;  // ticks per block: under the shortest delay read inside the loop
};

}  // namespace auralis::synthesis::dsp
