#include "auralis/synthesis/timeline.hpp"

#include <algorithm>
#include <cmath>

#include "patches.hpp"

namespace auralis::synthesis {

std::int64_t phrase_frames(const music::Phrase& phrase) {
  double seconds = phrase.duration_s;
  if (seconds <= 0 && phrase.tempo_bpm > 0) {
    seconds = phrase.bars * phrase.beats_per_bar * 60.0 / phrase.tempo_bpm;
  }
  return std::max<std::int64_t>(std::llround(seconds * kSampleRate), 0);
}

RenderJob Timeline::place(const music::Phrase& phrase) {
  RenderJob job;
  job.start_frame = next_frame_;
  job.frames = phrase_frames(phrase);
  job.controls = patches::mix_controls(phrase, job.start_frame, job.frames);
  const std::int64_t end = job.start_frame + job.frames;

  // Tails of earlier phrases first, then this phrase's notes; a voice that lies wholly after
  // this window (a late onset rounded past the end) is only carried.
  std::vector<VoiceSpec> pending;
  pending.swap(carried_);
  pending.reserve(pending.size() + phrase.notes.size());
  for (std::size_t i = 0; i < phrase.notes.size(); ++i) {
    pending.push_back(patches::make_voice(phrase, phrase.notes[i], i, job.start_frame));
  }
  job.voices.reserve(pending.size());
  for (const auto& v : pending) {
    if (v.start_frame < end && v.end_frame() > job.start_frame) job.voices.push_back(v);
    if (v.end_frame() > end) carried_.push_back(v);
  }
  next_frame_ = end;
  return job;
}

}  // namespace auralis::synthesis
