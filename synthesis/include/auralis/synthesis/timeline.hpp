// A session's timeline: turns composed phrases into render jobs on one continuous frame axis,
// carrying voices whose release tails cross into later phrases. Copyable (a snapshot).
#pragma once

#include <cstdint>
#include <vector>

#include "auralis/music/score.hpp"
#include "auralis/synthesis/render_job.hpp"

namespace auralis::synthesis {

class Timeline {
 public:
  // The job for `phrase`, placed at next_phrase_frame(); advances the timeline.
  RenderJob place(const music::Phrase& phrase);
  std::int64_t next_phrase_frame() const { return next_frame_; }

 private:
  std::int64_t next_frame_ = 0;
  std::vector<VoiceSpec> carried_;  // voices still sounding at next_frame_
};

// Frames of a phrase on the timeline (its duration rounded to whole frames).
std::int64_t phrase_frames(const music::Phrase& phrase);

}  // namespace auralis::synthesis
