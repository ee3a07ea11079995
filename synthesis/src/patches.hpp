// The one sound-design definition of every layer (MUSIC.md "Sound design"), shared by both
// engines and the timeline: oscillator constants, envelopes, levels and panning. Every tuning
// constant of the dry voices lives here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "auralis/music/score.hpp"
#include "auralis/synthesis/render_job.hpp"

namespace auralis::synthesis::patches {

// Dry layer levels: gain of a full-velocity voice, in dB. Tuned on the composer's phrases
// (energy .2-.9) for a dry mix around -19 dBFS RMS where the pad is the bed (~-23), the sub sits
// just under it, the lead reads clearly (~-26), texture swells peak near -30 (before the Mixer
// pinks and band-passes it) and percussion stays soft (kick peaks ~-17, brush ~-25 dBFS).
// Bus trims after this belong to the Mixer.
namespace level_db {
inline constexpr double pad = -10;
inline constexpr double lead = -11;
inline constexpr double bass = -14;
inline constexpr double texture = -12;
inline constexpr double kick = -9;
inline constexpr double brush = -14;
}  // namespace level_db

// Pad: three band-limited saws per note (PolyBLEP), detuned 0 / +-7 cents, random start phases.
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

// Lead: 2-op FM, ratio 1:1, index decaying from 0.5..1.5 (by timbre) towards a floor; vibrato
// 5 Hz, 5..10 cents (by timbre) faded in after 0.7 s.
namespace lead {
inline constexpr double kIndexMin = 0.5;
inline constexpr double kIndexMax = 1.5;
inline constexpr double kIndexFloor = 0.3;   // fraction of the initial index left
inline constexpr double kIndexDecayS = 0.6;  // time constant of the index decay
inline constexpr double kVibratoHz = 5.0;
inline constexpr double kVibratoCentsMin = 5.0;
inline constexpr double kVibratoCentsMax = 10.0;
inline constexpr double kVibratoDelayS = 0.7;
inline constexpr double kVibratoFadeS = 0.5;
inline constexpr double kAttackCalmS = 0.15;
inline constexpr double kAttackEnergeticS = 0.03;
inline constexpr double kDecayS = 0.4;
inline constexpr double kSustain = 0.6;
inline constexpr double kReleaseCalmS = 3.0;
inline constexpr double kReleaseEnergeticS = 1.5;
inline constexpr double kCurve = 2.0;
inline constexpr double kPanSpread = 0.15;
}  // namespace lead

// Sub bass: sine through a tanh(1.5 x) soft drive (normalised to unit peak), mono.
namespace bass {
inline constexpr double kDrive = 1.5;
inline constexpr double kAttackS = 0.1;
inline constexpr double kDecayS = 0.5;
inline constexpr double kSustain = 0.9;
inline constexpr double kReleaseS = 0.8;
inline constexpr double kCurve = 1.0;
}  // namespace bass

// Texture: white noise (the Mixer pinks and band-passes it) under a slow swell.
namespace texture {
inline constexpr double kSwellFraction = 0.5;  // attack = this x note length
inline constexpr double kAttackMinS = 0.05;
inline constexpr double kAttackMaxS = 8.0;
inline constexpr double kReleaseMinS = 1.0;
inline constexpr double kReleaseMaxS = 6.0;
inline constexpr double kCurve = 2.0;
}  // namespace texture

// Kick: sine swept 120 -> 50 Hz (exponential, ~40 ms), 300 ms decay.
namespace kick {
inline constexpr double kStartHz = 120;
inline constexpr double kEndHz = 50;
inline constexpr double kSweepTimeConstantS = 0.010;  // 4 time constants = 40 ms
inline constexpr double kAttackS = 0.001;
inline constexpr double kDecayS = 0.3;
inline constexpr double kReleaseS = 0.01;
inline constexpr double kCurve = 3.0;
}  // namespace kick

// Brush: white noise (the Mixer band-passes 2-6 kHz), 2 ms / 80..150 ms.
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

// Pad low-pass centre and filter LFO rate, handed to the Mixer per phrase.
namespace mix {
inline constexpr double kPadCutoffBaseHz = 500;
inline constexpr double kPadCutoffOctavesPerBrightness = 2.5;
inline constexpr double kFilterLfoBaseHz = 0.02;
inline constexpr double kFilterLfoPerEnergyHz = 0.08;
}  // namespace mix

// The voice for note `note_index` of `phrase`, placed with the phrase starting at absolute
// frame `phrase_start_frame`. Deterministic: the seed comes from the phrase and note indices.
VoiceSpec make_voice(const music::Phrase& phrase, const music::Note& note, std::size_t note_index,
                     std::int64_t phrase_start_frame);

// The per-phrase bus controls (pad cutoff, filter LFO, ...).
MixControls mix_controls(const music::Phrase& phrase, std::int64_t phrase_start_frame,
                         std::int64_t phrase_frames);

}  // namespace auralis::synthesis::patches
