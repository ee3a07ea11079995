// The benches' way to replay one phrase on a continuing timeline: the same voices and controls
// moved to `start` (the Mixer's timeline only moves forward).
#pragma once

#include <cstdint>

#include "auralis/synthesis/render_job.hpp"

namespace auralis::bench {

inline synthesis::RenderJob phrase_at(const synthesis::RenderJob& job, std::int64_t start) {
  synthesis::RenderJob at = job;
  at.start_frame = start;
  at.controls.phrase_start_frame = start;
  for (auto& v : at.voices) v.start_frame += start - job.start_frame;
  return at;
}

}  // namespace auralis::bench
