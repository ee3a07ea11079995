#include "voice_setup.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "patches.hpp"

namespace auralis::synthesis::cpu {
namespace {
constexpr double kSr = kSampleRate;
constexpr double kLog2e = std::numbers::log2e;
}  // namespace

PreparedVoice prepare_voice(const VoiceSpec& spec) {
  PreparedVoice v;
  v.layer = spec.layer;
  v.start_frame = spec.start_frame;
  v.end_frame = spec.end_frame();
  v.env = voice::envelope_frames(spec);
  const auto pan = voice::pan_gains(spec.pan, spec.gain);
  v.gain_l = pan.left;
  v.gain_r = pan.right;
  const double timbre = std::clamp(static_cast<double>(spec.timbre), 0.0, 1.0);

  switch (spec.layer) {
    case music::Layer::pad:
      v.oscillators = patches::pad::kSawsPerNote;
      for (int k = 0; k < 3; ++k) {
        const double cents = (k - 1) * patches::pad::kDetuneCents;
        v.freq_hz[k] = spec.freq_hz * std::exp2(cents / 1200.0);
        v.start_phase[k] = voice::start_phase(spec.seed, k);
        v.saw.inc[k] = static_cast<float>(v.freq_hz[k] / kSr);
        v.saw.inv_inc[k] = 1.0f / v.saw.inc[k];
      }
      break;
    case music::Layer::lead: {
      using namespace patches::lead;
      v.oscillators = 1;
      v.freq_hz[0] = spec.freq_hz;
      v.start_phase[0] = voice::start_phase(spec.seed, 0);
      const double cents = kVibratoCentsMin + (kVibratoCentsMax - kVibratoCentsMin) * timbre;
      const double depth = cents * std::numbers::ln2 / 1200.0;  // relative frequency deviation
      v.fm.inc = static_cast<float>(spec.freq_hz / kSr);
      v.fm.vib_inc = static_cast<float>(kVibratoHz / kSr);
      v.fm.vib_amp_cycles =
          static_cast<float>(spec.freq_hz * depth / (2.0 * std::numbers::pi * kVibratoHz));
      v.fm.vib_delay_frames = static_cast<float>(kVibratoDelayS * kSr);
      v.fm.vib_inv_fade = static_cast<float>(1.0 / (kVibratoFadeS * kSr));
      v.fm.index_cycles = static_cast<float>((kIndexMin + (kIndexMax - kIndexMin) * timbre) /
                                             (2.0 * std::numbers::pi));
      v.fm.index_floor = static_cast<float>(kIndexFloor);
      v.fm.index_decay_log2 = static_cast<float>(-kLog2e / (kIndexDecayS * kSr));
      break;
    }
    case music::Layer::bass: {
      static const auto shape = soft_clip_shape(patches::bass::kDrive);
      v.oscillators = 1;
      v.freq_hz[0] = spec.freq_hz;
      v.start_phase[0] = voice::start_phase(spec.seed, 0);
      v.sub.inc = static_cast<float>(spec.freq_hz / kSr);
      v.sub.shape = shape;
      break;
    }
    case music::Layer::kick: {
      using namespace patches::kick;
      const double start_hz = spec.freq_hz * (kStartHz / kEndHz);
      v.kick.end_inc = static_cast<float>(spec.freq_hz / kSr);
      v.kick.sweep_cycles = static_cast<float>((start_hz - spec.freq_hz) * kSweepTimeConstantS);
      v.kick.sweep_decay_log2 = static_cast<float>(-kLog2e / (kSweepTimeConstantS * kSr));
      break;
    }
    case music::Layer::texture:
    case music::Layer::brush:
      v.noise_key = voice::noise_key(spec.seed);
      break;
  }
  return v;
}

}  // namespace auralis::synthesis::cpu
