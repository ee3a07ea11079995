#include <cmath>

#include "auralis/synthesis/render_job.hpp"
#include "voice_model.hpp"

namespace auralis::synthesis {

// The release reaches zero exactly here (see voice::envelope_frames), so nothing is cut.
std::int64_t VoiceSpec::end_frame() const {
  const float release_frames = voice::envelope_frames(*this).release;
  return start_frame + std::max<std::int64_t>(gate_frames, 0) +
         static_cast<std::int64_t>(std::ceil(release_frames));
}

}  // namespace auralis::synthesis
