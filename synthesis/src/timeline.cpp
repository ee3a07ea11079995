#include "auralis/synthesis/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "patches.hpp"

namespace auralis::synthesis {

std::int64_t phrase_frames(const music::Phrase& phrase) {
  double seconds = phrase.duration_s;
  if (seconds <= 0 && phrase.tempo_bpm > 0) {
    seconds = phrase.bars * phrase.beats_per_bar * 60.0 / phrase.tempo_bpm;
  }
  return std::max<std::int64_t>(std::llround(seconds * kSampleRate), 0);
}

namespace {
// A tied note continues the carried voice of its layer and pitch whose gate ends at the join
// (within a few frames of rounding): its gate is lengthened to the tied note's end, everything
// else (start, phase seed, pan, envelope) stays, so the audio goes on as if it had never been
// split. Frames already rendered do not change: before its gate ends, a voice does not depend
// on where it ends.
constexpr std::int64_t kTieToleranceFrames = 48;  // 1 ms

bool extend_tied(std::vector<VoiceSpec>& carried, const VoiceSpec& tied, std::int64_t join) {
  for (auto& v : carried) {
    if (v.layer != tied.layer || v.freq_hz != tied.freq_hz) continue;
    if (std::llabs(v.start_frame + v.gate_frames - join) > kTieToleranceFrames) continue;
    v.gate_frames = tied.start_frame + tied.gate_frames - v.start_frame;
    return true;
  }
  return false;
}
}  // namespace

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
    const VoiceSpec voice = patches::make_voice(phrase, phrase.notes[i], i, job.start_frame);
    if (phrase.notes[i].tied && extend_tied(pending, voice, job.start_frame)) continue;
    pending.push_back(voice);  // a tie with nothing to continue (a restored session) attacks
  }
  job.voices.reserve(pending.size());
  for (const auto& v : pending) {
    if (v.start_frame < end && v.end_frame() > job.start_frame) job.voices.push_back(v);
    if (v.end_frame() > end) carried_.push_back(v);
  }
  next_frame_ = end;
  return job;
}

namespace {
void keep_old_voices(const std::vector<VoiceSpec>& old_voices, std::int64_t before_frame,
                     std::vector<VoiceSpec>& voices) {
  for (auto& v : voices) {
    if (v.start_frame >= before_frame) continue;
    for (const auto& o : old_voices) {
      if (o.seed != v.seed || o.start_frame != v.start_frame || o.layer != v.layer) continue;
      const std::int64_t gate = v.gate_frames;
      v = o;
      v.gate_frames = gate;
      break;
    }
  }
}
}  // namespace

void keep_voices(const RenderJob& old_job, std::int64_t before_frame, RenderJob& job) {
  keep_old_voices(old_job.voices, before_frame, job.voices);
}

void Timeline::keep_voices(const RenderJob& old_job, std::int64_t before_frame) {
  keep_old_voices(old_job.voices, before_frame, carried_);
}

}  // namespace auralis::synthesis
