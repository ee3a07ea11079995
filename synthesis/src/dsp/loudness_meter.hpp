// EBU R128 / ITU-R BS.1770-4 loudness meter for 48 kHz stereo: K-weighting (designed from the
// standard's analog prototypes, run at 24 kHz on every other frame: see process()), 100 ms
// energy blocks, momentary (400 ms), short-term (3 s)
// and gated integrated loudness (absolute -70 LUFS, relative -10 LU) from a 0.1 dB histogram of
// the 400 ms blocks, so it runs forever in constant memory.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dsp/biquad.hpp"
#include "dsp/block_lti.hpp"

namespace auralis::synthesis::dsp {

// BS.1770 K-weighting biquads (b0, b1, b2, a1, a2; a0 = 1) at a sample rate.
struct KWeighting {
  std::array<double, 5> shelf, highpass;
  static KWeighting at(double sample_rate_hz);
};

class LoudnessMeter {
 public:
  LoudnessMeter();

  // Measures a stereo block (does not modify it).
  void process(std::span<const float> left, std::span<const float> right);
  void reset();
  // Puts the K-weighting's 8-sample block grid on the absolute timeline for a stream whose next
  // frame is `frame` (the kept samples are every other frame from it): calls on the Mixer's
  // 256-frame grid then hand over whole blocks.
  void align(std::int64_t frame);

  // Completed 100 ms blocks so far (increments as audio is measured).
  std::uint64_t blocks() const { return blocks_; }
  double momentary_lufs() const;    // last 400 ms
  double short_term_lufs() const;   // last 3 s
  double integrated_lufs() const;   // since reset, gated
  double momentary_energy() const;  // mean square (K-weighted, summed channels) of last 400 ms

  static double energy_to_lufs(double energy);

 private:
  static constexpr int kSubBlockFrames = 4800;   // 100 ms
  static constexpr double kMeterRateHz = 24000;  // every other frame is measured
  static constexpr int kHistory = 30;            // 3 s of sub-blocks
  static constexpr int kBins = 800;              // -70 .. +10 LUFS in 0.1 dB

  void finish_sub_block();
  double mean_of_last(int count) const;

  // K-weighting (shelf then RLB high-pass) at 24 kHz as one 4-state block filter per channel.
  BlockLti<4, 2> k_weighting_;
  // Sum of squares so far in this sub-block, one lane per (kept sample mod 16), each summed in
  // time order: the same bits for any split of the audio into calls. Float is plenty: a lane
  // adds 150 squares per sub-block (relative error ~1e-5, 0.0001 dB); sub-blocks sum in double.
  static constexpr std::size_t kLanes = 16;
  alignas(64) std::array<float, kLanes> accumulator_{};
  int accumulated_frames_ = 0;
  std::array<double, kHistory> sub_energy_{};
  std::uint64_t blocks_ = 0;
  std::array<std::uint32_t, kBins> hist_count_{};
  std::array<double, kBins> hist_energy_{};
};

}  // namespace auralis::synthesis::dsp
