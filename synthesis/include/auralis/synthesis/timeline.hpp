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
  // After placing a re-planned phrase: its voices (and carried tails) that start before
  // `before_frame` are the ones `old_job` had, which may already be partly rendered; only a
  // gate the re-plan shortened is kept shorter (see keep_voices below).
  void keep_voices(const RenderJob& old_job, std::int64_t before_frame);
  // Applies `edit` to every carried voice; a voice it returns false for is dropped (a live
  // change: a layer switched off).
  template <typename Edit>
  void edit_carried(Edit&& edit) {
    std::erase_if(carried_, [&](VoiceSpec& v) { return !edit(v); });
  }

 private:
  std::int64_t next_frame_ = 0;
  std::vector<VoiceSpec> carried_;  // voices still sounding at next_frame_
};

// In `job`, voices starting before `before_frame` take their values from the same voice (same
// seed, start and layer) of `old_job`, except the gate, which the re-plan decides (a note let
// go at the splice, or held on): audio already rendered from `old_job` stays continuous.
void keep_voices(const RenderJob& old_job, std::int64_t before_frame, RenderJob& job);

// Frames of a phrase on the timeline (its duration rounded to whole frames).
std::int64_t phrase_frames(const music::Phrase& phrase);

}  // namespace auralis::synthesis
