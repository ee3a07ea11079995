// The one sound-design definition of every instrument (docs/music.md, "Sound design"), shared by
// both engines and the timeline: oscillator constants, envelopes, levels and panning. Every
// tuning constant of the dry voices lives here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "auralis/music/score.hpp"
#include "auralis/synthesis/render_job.hpp"

namespace auralis::synthesis::patches {

// Dry levels: gain of a full-velocity voice, in dB, per instrument. The balance they give is
// measured by bench/music_report (spectral centroid, low-end share, percussion loudness). Dry
// stems stay within +-1; the mixer's percussion buses lift the kick and the band-passed brush.
namespace level_db {
inline constexpr double warm_pad = -11;
inline constexpr double string_pad = -12;
inline constexpr double soft_lead = -6;
inline constexpr double electric_piano = -5;
inline constexpr double glass_bell = -8;
inline constexpr double pluck = -5;
inline constexpr double shimmer = -17;
inline constexpr double sub_bass = -21;
inline constexpr double air = -14;
inline constexpr double kick = 0;
inline constexpr double brush = 0;
}  // namespace level_db

// Pads: three band-limited saws per note (PolyBLEP), random start phases. The warm pad detunes
// them 0 / +-7 cents; the string ensemble plays two a little further apart and one an octave up,
// with a slower bow.
namespace pad {
inline constexpr int kSawsPerNote = 3;
inline constexpr double kDetuneCents = 7;
inline constexpr double kAttackCalmS = 4.0;       // at energy 0
inline constexpr double kAttackEnergeticS = 1.5;  // at energy 1
inline constexpr double kDecayS = 2.0;
inline constexpr double kSustain = 0.8;
inline constexpr double kReleaseCalmS = 8.0;
inline constexpr double kReleaseEnergeticS = 4.0;
inline constexpr double kCurve = 2.0;
inline constexpr double kPanMin = 0.3;  // voices alternate sides at +-0.3..0.5
inline constexpr double kPanMax = 0.5;
}  // namespace pad
namespace strings {
inline constexpr std::array<double, 3> kRatio = {1.0, 1.0, 2.0};
inline constexpr std::array<double, 3> kCents = {-11.0, 9.0, 4.0};
inline constexpr double kAttackCalmS = 5.5;
inline constexpr double kAttackEnergeticS = 2.5;
inline constexpr double kDecayS = 3.0;
inline constexpr double kSustain = 0.85;
inline constexpr double kReleaseCalmS = 7.0;
inline constexpr double kReleaseEnergeticS = 4.0;
}  // namespace strings

// Two-operator FM voices: carrier at the note, modulator at `ratio` x the note, index decaying
// from `index` (more with timbre) towards `floor` x it with time constant `decay_s`; vibrato 5 Hz
// faded in after a delay (the soft lead only).
struct FmPatch {
  double ratio;
  double index_min, index_max;  // initial index at timbre 0 and 1
  double floor;
  double decay_s;
  double vibrato_cents_min, vibrato_cents_max;  // 0: no vibrato
  double attack_calm_s, attack_energetic_s, decay_env_s, sustain, release_calm_s,
      release_energetic_s, curve;
};
namespace fm {
inline constexpr double kVibratoHz = 5.0;
inline constexpr double kVibratoDelayS = 0.7;
inline constexpr double kVibratoFadeS = 0.5;
inline constexpr FmPatch kSoftLead = {1.0,  0.5,  1.5, 0.3, 0.6, 5.0, 10.0,
                                      0.15, 0.03, 0.4, 0.6, 2.2, 1.2, 2.0};
inline constexpr FmPatch kElectricPiano = {1.0,   0.9,   2.6, 0.12, 0.35, 0.0, 0.0,
                                           0.004, 0.003, 2.8, 0.0,  0.8,  0.5, 3.0};
inline constexpr FmPatch kGlassBell = {3.5,   0.6,   1.9, 0.25, 1.1, 0.0, 0.0,
                                       0.003, 0.002, 4.5, 0.0,  1.6, 1.0, 3.0};
}  // namespace fm
const FmPatch* fm_patch(music::Instrument instrument);  // nullptr for a non-FM instrument

// Modal voices: up to four sine partials, each decaying at its own rate (the pluck: the string's
// overtones die first), or steady and beating against each other (the shimmer).
inline constexpr int kMaxPartials = 4;
struct Partials {
  int count = 0;
  std::array<double, kMaxPartials> ratio{};    // x the note's frequency
  std::array<double, kMaxPartials> amp{};      // relative amplitude
  std::array<double, kMaxPartials> decay_s{};  // time constant; 0 = steady
};
namespace pluck {
inline constexpr double kInharmonicity = 0.0004;  // f_k = k f sqrt(1 + B k^2)
inline constexpr double kDecayS = 1.4;            // first partial at 262 Hz
inline constexpr double kDecayPitchExponent = 0.3;
inline constexpr double kDecayPerPartial = 0.8;  // partial k decays (1 + this (k-1)) x faster
inline constexpr double kTiltDark = 0.3;         // amplitude ratio per partial at timbre 0
inline constexpr double kTiltBright = 0.75;      // ... and at timbre 1
inline constexpr double kAttackS = 0.003;
inline constexpr double kReleaseS = 0.5;
inline constexpr double kCurve = 2.0;
}  // namespace pluck
namespace shimmer {
inline constexpr double kBeatRatio = 1.0022;  // the pair beats ~2-4 Hz up there
inline constexpr double kOctaveAmpBright = 0.3;
inline constexpr double kAttackCalmS = 3.0;
inline constexpr double kAttackEnergeticS = 1.5;
inline constexpr double kReleaseCalmS = 6.0;
inline constexpr double kReleaseEnergeticS = 3.5;
inline constexpr double kPanSpread = 0.6;
}  // namespace shimmer
// The partials of a modal voice at `freq_hz` with `timbre` (pluck, shimmer).
Partials partials(music::Instrument instrument, double freq_hz, double timbre);

// Sub bass: sine through a tanh soft drive (normalised to unit peak), mono; brightness drives it
// harder (more upper harmonics), in steps so the CPU engine keeps a few shaper polynomials.
namespace bass {
inline constexpr double kDriveMin = 1.0;
inline constexpr double kDriveMax = 2.0;
inline constexpr double kDriveStep = 0.25;
inline constexpr double kAttackS = 0.1;
inline constexpr double kDecayS = 0.5;
inline constexpr double kSustain = 0.9;
inline constexpr double kReleaseS = 0.8;
inline constexpr double kCurve = 1.0;
}  // namespace bass
double bass_drive(double timbre);

// Air: white noise (the mixer pinks and band-passes it) under a slow swell.
namespace air {
inline constexpr double kSwellFraction = 0.45;  // attack = this x note length
inline constexpr double kAttackMinS = 0.5;
inline constexpr double kAttackMaxS = 6.0;
inline constexpr double kReleaseMinS = 2.0;
inline constexpr double kReleaseMaxS = 6.0;
inline constexpr double kCurve = 2.0;
inline constexpr double kPanSpread = 0.5;
}  // namespace air

// Kick: sine swept down to its final pitch (exponential, ~40 ms), from higher when brighter.
namespace kick {
inline constexpr double kStartHzDark = 130;
inline constexpr double kStartHzBright = 200;
inline constexpr double kEndHz = 55;
inline constexpr double kSweepTimeConstantS = 0.012;
inline constexpr double kAttackS = 0.001;
inline constexpr double kDecayS = 0.35;
inline constexpr double kReleaseS = 0.01;
inline constexpr double kCurve = 3.0;
}  // namespace kick
double kick_start_hz(double timbre);

// Brush: white noise (the mixer band-passes 2-6 kHz), 2 ms / 80..150 ms.
namespace brush {
inline constexpr double kAttackS = 0.002;
inline constexpr double kDecayMinS = 0.08;
inline constexpr double kDecayMaxS = 0.15;
inline constexpr double kReleaseS = 0.005;
inline constexpr double kCurve = 3.0;
inline constexpr double kPanSpread = 0.2;
}  // namespace brush

// Percussion humanisation (kick and brush).
namespace percussion {
inline constexpr double kTimingJitterS = 0.003;
inline constexpr double kVelocityJitter = 0.15;
}  // namespace percussion

// Lead and ornament placement in the stereo field.
inline constexpr double kLeadPanSpread = 0.15;
inline constexpr double kOrnamentPanSpread = 0.45;

// Bus controls handed to the mixer per phrase.
namespace mix {
inline constexpr double kPadCutoffBaseHz = 850;
inline constexpr double kPadCutoffOctavesPerBrightness = 2.6;
inline constexpr double kFilterLfoBaseHz = 0.02;
inline constexpr double kFilterLfoPerEnergyHz = 0.08;
inline constexpr double kAirCentreBaseHz = 700;
inline constexpr double kAirCentreOctavesPerBrightness = 2.0;
}  // namespace mix

// The voice for note `note_index` of `phrase`, placed with the phrase starting at absolute
// frame `phrase_start_frame`. Deterministic: the seed comes from the phrase and note indices.
VoiceSpec make_voice(const music::Phrase& phrase, const music::Note& note, std::size_t note_index,
                     std::int64_t phrase_start_frame);

// The per-phrase bus controls (pad cutoff, filter LFO, air band, dynamics, ...).
MixControls mix_controls(const music::Phrase& phrase, std::int64_t phrase_start_frame,
                         std::int64_t phrase_frames);

}  // namespace auralis::synthesis::patches
