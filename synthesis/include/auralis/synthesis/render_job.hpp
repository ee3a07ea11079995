// A render job: every voice sounding inside one window of a session's timeline.
// Voices are pure functions of absolute time (analytic phase, closed-form envelopes, counter-based
// noise), so any engine on any worker renders any window and phrase joins stay seamless.
#pragma once

#include <cstdint>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::synthesis {

inline constexpr int kSampleRate = 48000;

struct VoiceSpec {
  music::Layer layer = music::Layer::pad;  // the bus it is mixed into
  music::Instrument instrument = music::Instrument::warm_pad;
  std::int64_t start_frame = 0;  // absolute timeline frame of note-on
  std::int64_t gate_frames = 0;  // note-on to note-off; the release follows
  double freq_hz = 220;
  float gain = 0.5f;       // linear, velocity and layer level folded in
  float pan = 0;           // -1 (left) .. +1 (right)
  std::uint64_t seed = 0;  // start phases, noise stream, jitter
  float attack_s = 0.01f;
  float decay_s = 0.1f;
  float sustain = 1;  // 0..1
  float release_s = 0.1f;
  float curve = 1;      // envelope exponent: 1 linear, >1 convex
  float timbre = 0.5f;  // 0..1 brightness of the patch, fixed at note-on (FM index, partials, ...)

  std::int64_t end_frame() const;  // start + gate + release
};

// Per-window controls for the layer buses and effects (automation that is not per voice).
// Brightness reaches the buses through the pad cutoff and the air band; the voices carry it in
// their timbre.
struct MixControls {
  double pad_cutoff_hz = 1000;  // centre of the pad low-pass
  double filter_lfo_hz = 0.05;  // pad low-pass LFO rate
  double air_centre_hz = 1500;  // centre of the air (texture) band-pass, which wanders around it
  double level_db = 0;          // the phrase's dynamics: loudness target offset (docs/music.md)
  double energy = 0.5;          // the session's start-up gain is calibrated by energy
  double tempo_bpm = 70;        // for tempo-synced delay
  std::int64_t phrase_start_frame = 0;
  std::int64_t phrase_frames = 0;
  // A live brightness change not yet composed into the phrase (brightness units, -1..1): the
  // Mixer glides the pad cutoff and the air band to it within ~100 ms (docs/scheduler.md).
  double brightness_shift = 0;
  // Names the composition these controls come from. When it changes (a new or re-planned
  // phrase, whose own brightness now carries the change), the shift is folded into the slow
  // cutoff glide instead of being undone, so the sound does not dip and come back.
  std::uint64_t composition = 0;
  // A phrase re-planned by a live change: when its composition takes over, the pad cutoff
  // glides to its own as fast as the live shift does (~100 ms), not over the slow 2 s glide,
  // so a brightness change re-composed with the phrase is still heard at once.
  bool live_replan = false;
  // Layer buses switched off live (bit per music::Layer): the Mixer fades each over 100 ms,
  // release tails included, and fades it back in when the bit clears.
  std::uint8_t muted_layers = 0;
};

struct RenderJob {
  std::int64_t start_frame = 0;   // absolute timeline frame of the window's first sample
  std::int64_t frames = 0;        // window length
  std::vector<VoiceSpec> voices;  // every voice overlapping the window
  MixControls controls;
};

}  // namespace auralis::synthesis
