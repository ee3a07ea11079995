#include "live_edit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "auralis/music/replan.hpp"

namespace auralis::devices {
namespace {

constexpr float kMuteReleaseS = 0.1f;  // a switched-off layer fades within the 150 ms
constexpr float kKeep = std::numeric_limits<float>::quiet_NaN();

std::uint64_t next_composition() {
  static std::atomic<std::uint64_t> next{1};
  return next++;
}

// False: drop the voice (it starts after the change on a layer switched off).
bool edit_voice(synthesis::VoiceSpec& v, float base_timbre, std::int64_t from, double shift,
                const music::LayerSwitches& layers) {
  const bool on = music::layer_switch_on(v.layer, v.instrument, layers);
  if (v.start_frame >= from) {
    if (!on) return false;
    if (!std::isnan(base_timbre))
      v.timbre = static_cast<float>(std::clamp(base_timbre + shift, 0.0, 1.0));
    return true;
  }
  if (!on && v.start_frame + v.gate_frames > from) {
    v.gate_frames = std::max<std::int64_t>(from - v.start_frame, 1);
    v.release_s = std::min(v.release_s, kMuteReleaseS);
  }
  return true;
}

// The buses a live switch mutes. The ornament bus carries the lead's answers and loops and the
// texture's shimmer: it is muted only when both are off (else its notes are let go one by one).
std::uint8_t muted_buses(const music::LayerSwitches& s) {
  using music::Layer;
  const auto bit = [](Layer l) { return static_cast<std::uint8_t>(1u << static_cast<int>(l)); };
  std::uint8_t m = 0;
  if (!s.pad) m |= bit(Layer::pad);
  if (!s.lead) m |= bit(Layer::lead);
  if (!s.bass) m |= bit(Layer::bass);
  if (!s.texture) m |= bit(Layer::texture);
  if (!s.percussion) m |= bit(Layer::kick) | bit(Layer::brush);
  if (!s.lead && !s.texture) m |= bit(Layer::ornament);
  return m;
}

}  // namespace

LiveJob LiveJob::place(synthesis::Timeline& timeline, const music::Phrase& phrase,
                       const music::SessionParams& params) {
  LiveJob live;
  live.job = timeline.place(phrase);
  live.job.controls.composition = next_composition();
  live.job.controls.muted_layers = muted_buses(params.layers);
  live.composed_with = params;
  live.sound = params;
  live.base_timbre.reserve(live.job.voices.size());
  for (const auto& v : live.job.voices)
    live.base_timbre.push_back(v.start_frame >= live.job.start_frame ? v.timbre : kKeep);
  return live;
}

void LiveJob::edit(std::int64_t from, const music::SessionParams& params) {
  const double shift = std::clamp(params.brightness - composed_with.brightness, -1.0, 1.0);
  job.controls.brightness_shift = shift;
  job.controls.muted_layers = muted_buses(params.layers);
  std::size_t out = 0;
  for (std::size_t i = 0; i < job.voices.size(); ++i) {
    if (!edit_voice(job.voices[i], base_timbre[i], from, shift, params.layers)) continue;
    job.voices[out] = job.voices[i];
    base_timbre[out] = base_timbre[i];
    ++out;
  }
  job.voices.resize(out);
  base_timbre.resize(out);
  sound = params;
}

void LiveJob::keep_before(const synthesis::RenderJob& old, std::int64_t frame) {
  synthesis::keep_voices(old, frame, job);
  for (std::size_t i = 0; i < job.voices.size(); ++i)
    if (job.voices[i].start_frame < frame) base_timbre[i] = kKeep;
}

void LiveJob::transition(std::int64_t splice_frame, double bar_s) {
  constexpr std::int64_t kSlack = 4;  // frames of rounding between a note's end and the splice
  const auto release = static_cast<float>(bar_s / 2);
  const auto attack = static_cast<float>(bar_s / 4);
  for (auto& v : job.voices) {
    const bool sustained = v.layer == music::Layer::pad || v.layer == music::Layer::bass;
    if (!sustained) continue;
    const std::int64_t gate_end = v.start_frame + v.gate_frames;
    if (v.start_frame < splice_frame && std::llabs(gate_end - splice_frame) <= kSlack)
      v.release_s = std::min(v.release_s, release);
    else if (v.start_frame >= splice_frame && v.start_frame - splice_frame <= kSlack)
      v.attack_s = std::min(v.attack_s, attack);
  }
}

void edit_carried(synthesis::Timeline& timeline, std::int64_t from,
                  const music::SessionParams& params) {
  timeline.edit_carried(
      [&](synthesis::VoiceSpec& v) { return edit_voice(v, kKeep, from, 0.0, params.layers); });
}

synthesis::RenderJob slice_job(const synthesis::RenderJob& job, std::int64_t from,
                               std::int64_t frames) {
  synthesis::RenderJob out;
  out.start_frame = from;
  out.frames = frames;
  out.controls = job.controls;
  for (const auto& v : job.voices)
    if (v.start_frame < from + frames && v.end_frame() > from) out.voices.push_back(v);
  return out;
}

bool live_sound_equal(const music::SessionParams& a, const music::SessionParams& b) {
  const auto& x = a.layers;
  const auto& y = b.layers;
  return a.brightness == b.brightness && x.pad == y.pad && x.lead == y.lead && x.bass == y.bass &&
         x.texture == y.texture && x.percussion == y.percussion;
}

bool musical_change(const music::SessionParams& a, const music::SessionParams& b) {
  return a.key_pc != b.key_pc || a.mode != b.mode || a.tempo_bpm != b.tempo_bpm ||
         a.energy != b.energy || a.density != b.density || a.deja_vu != b.deja_vu ||
         a.seed != b.seed || !live_sound_equal(a, b);
}

}  // namespace auralis::devices
