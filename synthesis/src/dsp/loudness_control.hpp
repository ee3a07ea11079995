// Slow loudness normaliser: steers a master gain so the output's running loudness approaches a
// target (-16 LUFS, moved by the music's dynamics: set_target_offset_db), never faster than
// 1 dB per 10 s, so it reads as mixing, not pumping. Within a deadband it leaves the music's own
// swells alone.
// It estimates the loudness *before* its own gain (output energy / gain^2), so its own moves
// never feed back into the estimate; quiet blocks (gaps, tails, silence) are gated out.
#pragma once

#include <cstdint>

namespace auralis::synthesis::dsp {

struct LoudnessControlParams {
  double target_lufs = -16;
  double max_rate_db_per_s = 0.1;
  double time_constant_s = 10;  // running estimate (exponential, energy domain)
  double gate_lufs = -50;       // absolute gate on 400 ms blocks
  double relative_gate_lu = -20;
  double deadband_lu = 0.75;
  double min_gain_db = -18, max_gain_db = 18;
};

class LoudnessControl {
 public:
  explicit LoudnessControl(LoudnessControlParams params = {});

  void set_gain_db(double gain_db);  // initial guess (e.g. from a calibration)
  // The target moves to target_lufs + offset (a quiet passage, a loud one); the gain follows at
  // its usual rate.
  void set_target_offset_db(double offset_db) { offset_db_ = offset_db; }
  double gain_db() const { return gain_db_; }
  double estimate_lufs() const;  // pre-gain running estimate; -inf before any block

  // Called once per 100 ms block with the output's momentary (400 ms) energy.
  void on_block(double output_momentary_energy);

 private:
  LoudnessControlParams params_;
  double gain_db_ = 0;
  double offset_db_ = 0;
  double estimate_energy_ = 0;  // 0 = no estimate yet
};

}  // namespace auralis::synthesis::dsp
