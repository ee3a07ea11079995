// Biquad coefficient designs (RBJ cookbook) for static filters (the master and reverb-send
// high-passes); the mixer runs them as block state-space filters (block_lti.hpp).
#pragma once

namespace auralis::synthesis::dsp {

struct BiquadCoefs {
  float b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;  // a0 normalised to 1

  // RBJ cookbook design (bilinear transform, pre-warped).
  static BiquadCoefs highpass(float cutoff_hz, float q, float sample_rate_hz);
};

}  // namespace auralis::synthesis::dsp
