// Per-voice constants of the CPU engine, computed once per render from a VoiceSpec and the
// patches (so the block loop only anchors phases and calls kernels).
#pragma once

#include <cstdint>

#include "auralis/synthesis/render_job.hpp"
#include "kernels.hpp"
#include "voice_model.hpp"

namespace auralis::synthesis::cpu {

// Which kernel renders an instrument.
enum class Kernel : std::uint8_t { saws, fm, modal, sub, kick, noise };

struct PreparedVoice {
  music::Layer layer = music::Layer::pad;
  Kernel kernel = Kernel::saws;
  std::int64_t start_frame = 0;
  std::int64_t end_frame = 0;
  voice::EnvelopeFrames env{};
  float gain_l = 0;
  float gain_r = 0;
  int oscillators = 0;  // phasors anchored per block (saws 3, FM 2, modal its partials, sub 1)
  double start_phase[kMaxPartials] = {};  // cycles at note-on
  double freq_hz[kMaxPartials] = {};
  SawParams saw{};      // inc / inv_inc filled, phase per block
  FmParams fm{};        // all but phases and t0 filled
  ModalParams modal{};  // all but phases and t0 filled
  SubParams sub{};
  KickParams kick{};
  std::uint32_t noise_key = 0;
};

PreparedVoice prepare_voice(const VoiceSpec& spec);

}  // namespace auralis::synthesis::cpu
