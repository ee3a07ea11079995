#include "voice_setup.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "patches.hpp"

namespace auralis::synthesis::cpu {
namespace {
constexpr double kSr = kSampleRate;
constexpr double kLog2e = std::numbers::log2e;

// The soft clip's shaper polynomial for each drive step (computed once).
const SubParams& sub_shape(double drive) {
  using namespace patches::bass;
  constexpr int kSteps = static_cast<int>((kDriveMax - kDriveMin) / kDriveStep + 0.5) + 1;
  static const auto shapes = [] {
    std::array<SubParams, kSteps> out{};
    for (int i = 0; i < kSteps; ++i)
      out[static_cast<std::size_t>(i)].shape = soft_clip_shape(kDriveMin + kDriveStep * i);
    return out;
  }();
  const int i =
      std::clamp(static_cast<int>(std::lround((drive - kDriveMin) / kDriveStep)), 0, kSteps - 1);
  return shapes[static_cast<std::size_t>(i)];
}
}  // namespace

PreparedVoice prepare_voice(const VoiceSpec& spec) {
  using music::Instrument;
  PreparedVoice v;
  v.layer = spec.layer;
  v.start_frame = spec.start_frame;
  v.end_frame = spec.end_frame();
  v.env = voice::envelope_frames(spec);
  const auto pan = voice::pan_gains(spec.pan, spec.gain);
  v.gain_l = pan.left;
  v.gain_r = pan.right;
  const double timbre = std::clamp(static_cast<double>(spec.timbre), 0.0, 1.0);

  switch (spec.instrument) {
    case Instrument::warm_pad:
    case Instrument::string_pad: {
      v.kernel = Kernel::saws;
      v.oscillators = patches::pad::kSawsPerNote;
      const bool strings = spec.instrument == Instrument::string_pad;
      for (int k = 0; k < 3; ++k) {
        const auto ks = static_cast<std::size_t>(k);
        const double ratio = strings ? patches::strings::kRatio[ks] : 1.0;
        const double cents =
            strings ? patches::strings::kCents[ks] : (k - 1) * patches::pad::kDetuneCents;
        v.freq_hz[k] = spec.freq_hz * ratio * std::exp2(cents / 1200.0);
        v.start_phase[k] = voice::start_phase(spec.seed, k);
        v.saw.inc[k] = static_cast<float>(v.freq_hz[k] / kSr);
        v.saw.inv_inc[k] = 1.0f / v.saw.inc[k];
      }
      break;
    }
    case Instrument::soft_lead:
    case Instrument::electric_piano:
    case Instrument::glass_bell: {
      using namespace patches::fm;
      const patches::FmPatch& patch = *patches::fm_patch(spec.instrument);
      v.kernel = Kernel::fm;
      v.oscillators = 2;
      v.freq_hz[0] = spec.freq_hz;
      v.freq_hz[1] = spec.freq_hz * patch.ratio;
      v.start_phase[0] = voice::start_phase(spec.seed, 0);
      v.start_phase[1] = patch.ratio == 1.0 ? v.start_phase[0] : voice::start_phase(spec.seed, 1);
      const double cents =
          patch.vibrato_cents_min + (patch.vibrato_cents_max - patch.vibrato_cents_min) * timbre;
      const double depth = cents * std::numbers::ln2 / 1200.0;  // relative frequency deviation
      v.fm.inc = static_cast<float>(v.freq_hz[0] / kSr);
      v.fm.mod_inc = static_cast<float>(v.freq_hz[1] / kSr);
      v.fm.ratio = static_cast<float>(patch.ratio);
      v.fm.vib_inc = static_cast<float>(kVibratoHz / kSr);
      v.fm.vib_amp_cycles =
          static_cast<float>(spec.freq_hz * depth / (2.0 * std::numbers::pi * kVibratoHz));
      v.fm.vib_delay_frames = static_cast<float>(kVibratoDelayS * kSr);
      v.fm.vib_inv_fade = static_cast<float>(1.0 / (kVibratoFadeS * kSr));
      v.fm.index_cycles =
          static_cast<float>((patch.index_min + (patch.index_max - patch.index_min) * timbre) /
                             (2.0 * std::numbers::pi));
      v.fm.index_floor = static_cast<float>(patch.floor);
      v.fm.index_decay_log2 = static_cast<float>(-kLog2e / (patch.decay_s * kSr));
      break;
    }
    case Instrument::pluck:
    case Instrument::shimmer: {
      const patches::Partials parts = patches::partials(spec.instrument, spec.freq_hz, timbre);
      v.kernel = Kernel::modal;
      v.oscillators = parts.count;
      v.modal.count = parts.count;
      for (int k = 0; k < parts.count; ++k) {
        const auto ks = static_cast<std::size_t>(k);
        v.freq_hz[k] = spec.freq_hz * parts.ratio[ks];
        v.start_phase[k] = voice::start_phase(spec.seed, k);
        v.modal.inc[k] = static_cast<float>(v.freq_hz[k] / kSr);
        v.modal.amp[k] = static_cast<float>(parts.amp[ks]);
        v.modal.decay_log2[k] =
            parts.decay_s[ks] > 0 ? static_cast<float>(-kLog2e / (parts.decay_s[ks] * kSr)) : 0.0f;
      }
      break;
    }
    case Instrument::sub_bass:
      v.kernel = Kernel::sub;
      v.oscillators = 1;
      v.freq_hz[0] = spec.freq_hz;
      v.start_phase[0] = voice::start_phase(spec.seed, 0);
      v.sub = sub_shape(patches::bass_drive(timbre));
      v.sub.inc = static_cast<float>(spec.freq_hz / kSr);
      break;
    case Instrument::kick: {
      using namespace patches::kick;
      v.kernel = Kernel::kick;
      const double start_hz = patches::kick_start_hz(timbre);
      v.kick.end_inc = static_cast<float>(spec.freq_hz / kSr);
      v.kick.sweep_cycles = static_cast<float>((start_hz - spec.freq_hz) * kSweepTimeConstantS);
      v.kick.sweep_decay_log2 = static_cast<float>(-kLog2e / (kSweepTimeConstantS * kSr));
      break;
    }
    case Instrument::air:
    case Instrument::brush:
      v.kernel = Kernel::noise;
      v.noise_key = voice::noise_key(spec.seed);
      break;
  }
  return v;
}

}  // namespace auralis::synthesis::cpu
