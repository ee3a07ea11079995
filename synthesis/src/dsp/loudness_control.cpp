// Slew-limited loudness normaliser.
#include "dsp/loudness_control.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dsp/loudness_meter.hpp"

namespace auralis::synthesis::dsp {

namespace {
constexpr double kBlockS = 0.1;
}

LoudnessControl::LoudnessControl(LoudnessControlParams params) : params_(params) {}

void LoudnessControl::set_gain_db(double gain_db) {
  gain_db_ = std::clamp(gain_db, params_.min_gain_db, params_.max_gain_db);
}

double LoudnessControl::estimate_lufs() const {
  if (estimate_energy_ <= 0) return -std::numeric_limits<double>::infinity();
  return LoudnessMeter::energy_to_lufs(estimate_energy_);
}

void LoudnessControl::on_block(double output_momentary_energy) {
  const double out_lufs = LoudnessMeter::energy_to_lufs(output_momentary_energy);
  if (!(out_lufs > params_.gate_lufs)) return;
  const double pre_energy = output_momentary_energy * std::pow(10.0, -gain_db_ / 10.0);
  if (estimate_energy_ <= 0) {
    estimate_energy_ = pre_energy;
  } else {
    if (LoudnessMeter::energy_to_lufs(pre_energy) <
        LoudnessMeter::energy_to_lufs(estimate_energy_) + params_.relative_gate_lu) {
      return;
    }
    const double alpha = kBlockS / params_.time_constant_s;
    estimate_energy_ += alpha * (pre_energy - estimate_energy_);
  }
  const double wanted = params_.target_lufs + offset_db_ - estimate_lufs();
  const double error = wanted - gain_db_;
  if (std::fabs(error) <= params_.deadband_lu) return;
  const double max_step = params_.max_rate_db_per_s * kBlockS;
  set_gain_db(gain_db_ + std::clamp(error, -max_step, max_step));
}

}  // namespace auralis::synthesis::dsp
