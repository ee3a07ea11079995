// Every musical constant of the composer, in one place (numbers from /work/shared/MUSIC.md).
// Tune here, not in the algorithms.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace auralis::music::tables {

// ---- Modes and scales (semitones from the tonic), dark -> bright, in `Mode` order.
inline constexpr std::array<std::array<int, 7>, 6> kModeSteps = {{
    {0, 1, 3, 5, 7, 8, 10},  // phrygian
    {0, 2, 3, 5, 7, 8, 10},  // aeolian
    {0, 2, 3, 5, 7, 9, 10},  // dorian
    {0, 2, 4, 5, 7, 9, 10},  // mixolydian
    {0, 2, 4, 5, 7, 9, 11},  // ionian
    {0, 2, 4, 6, 7, 9, 11},  // lydian
}};
inline constexpr std::array<int, 5> kMajorPentatonic = {0, 2, 4, 7, 9};
inline constexpr std::array<int, 5> kMinorPentatonic = {0, 3, 5, 7, 10};

// brightness -> mode: below kBrightnessModeUpper[i] picks Mode(i); above the last, lydian.
inline constexpr std::array<double, 5> kBrightnessModeUpper = {0.15, 0.35, 0.55, 0.70, 0.88};

// ---- Chord colour c = kColourBase + kColourPerBrightness * brightness blends the chord family
// weights (triad, sus, add9, 7th, 9th) from kFamilyWeightsAtZero (c = 0) to kFamilyWeightsAtOne.
inline constexpr double kColourBase = 0.3;
inline constexpr double kColourPerBrightness = 0.5;
inline constexpr std::array<double, 5> kFamilyWeightsAtZero = {0.45, 0.15, 0.15, 0.20, 0.05};
inline constexpr std::array<double, 5> kFamilyWeightsAtOne = {0.10, 0.15, 0.25, 0.25, 0.25};

// ---- Progressions: first-order Markov chains over six chord columns.
// Minor family columns: i III iv v VI VII (Dorian's iv is a major IV by its scale).
inline constexpr std::array<int, 6> kMinorFamilyDegrees = {1, 3, 4, 5, 6, 7};
inline constexpr std::array<std::array<double, 6>, 6> kMinorTransitions = {{
    {0.05, 0.15, 0.25, 0.10, 0.30, 0.15},
    {0.20, 0.05, 0.20, 0.10, 0.20, 0.25},
    {0.30, 0.10, 0.05, 0.15, 0.20, 0.20},
    {0.35, 0.10, 0.15, 0.00, 0.30, 0.10},
    {0.25, 0.20, 0.20, 0.05, 0.05, 0.25},
    {0.35, 0.25, 0.10, 0.05, 0.25, 0.00},
}};
// Major family columns: I ii iii IV V vi (Lydian's ii is a major II by its scale).
inline constexpr std::array<int, 6> kMajorFamilyDegrees = {1, 2, 3, 4, 5, 6};
inline constexpr std::array<std::array<double, 6>, 6> kMajorTransitions = {{
    {0.05, 0.15, 0.10, 0.35, 0.10, 0.25},
    {0.20, 0.05, 0.10, 0.25, 0.30, 0.10},
    {0.10, 0.10, 0.05, 0.30, 0.10, 0.35},
    {0.35, 0.10, 0.10, 0.05, 0.15, 0.25},
    {0.30, 0.05, 0.10, 0.20, 0.05, 0.30},
    {0.15, 0.20, 0.10, 0.35, 0.15, 0.05},
}};
// Mixolydian's dominant column is its bVII (its v is minor and weak).
inline constexpr int kMixolydianDominantColumn = 4;
inline constexpr int kMixolydianDominantDegree = 7;
// Phrase-final chords on these root degrees weigh kPhraseFinalWeight times more.
inline constexpr std::array<int, 3> kPhraseFinalDegrees = {1, 4, 6};
inline constexpr double kPhraseFinalWeight = 2.0;

// Period form: a phrase may restate the previous phrase's progression (never two restatements
// in a row), with p = kRestateCalm at energy 0 .. kRestateEnergetic at energy 1, when the chain
// allows the previous last chord to lead back to its first chord.
inline constexpr double kRestateCalm = 0.75;
inline constexpr double kRestateEnergetic = 0.1;

// The lead never sits out a phrase whose harmony (chords, voicings, bass) was heard in one of
// the last kHarmonyMemoryPhrases phrases: a phrase is never repeated exactly.
inline constexpr std::size_t kHarmonyMemoryPhrases = 256;

// Harmonic rhythm: chords per 8-bar phrase by energy.
inline constexpr double kFewChordsBelowEnergy = 0.3;
inline constexpr double kManyChordsAboveEnergy = 0.7;
inline constexpr int kChordsPerPhraseCalm = 2;
inline constexpr int kChordsPerPhraseMiddle = 4;
inline constexpr int kChordsPerPhraseEnergetic = 8;

// ---- Phrase shape.
inline constexpr int kBarsPerPhrase = 8;
inline constexpr int kBeatsPerBar = 4;

// ---- Pad voicing.
inline constexpr int kPadLowMidi = 48;
inline constexpr int kPadHighMidi = 79;
inline constexpr int kPadVoices = 4;
inline constexpr int kPadVoicesRich = 5;
inline constexpr double kPadRichAboveColour = 0.6;
inline constexpr int kNeighbourMinSemitones = 1;
inline constexpr int kNeighbourMaxSemitones = 12;
inline constexpr int kLowRegisterMidi = 55;  // below it, neighbours at least kLowRegisterMin apart
inline constexpr int kLowRegisterMinSemitones = 5;
// Intervals never allowed between two pad voices: semitone, tritone, and the minor ninth
// (a semitone an octave apart, which beats as harshly in a sustained pad).
inline constexpr std::array<int, 3> kPadForbiddenIntervals = {1, 6, 13};
inline constexpr int kLargeMoveSemitones = 7;
inline constexpr double kLargeMovePenalty = 3.0;
inline constexpr double kPadCentreMidi = 62.0;
inline constexpr double kPadCentreWeight = 0.5;
inline constexpr double kVoicingCostSlack = 1.0;  // pick at random within min cost + slack
inline constexpr int kPadStartMidi = 62;          // register of the first chord of a session
inline constexpr double kPadVelocityBase = 0.45;
inline constexpr double kPadVelocityPerEnergy = 0.2;
inline constexpr double kPadVelocityJitter = 0.04;

// ---- Bass: the chord root, nearest the last bass note.
inline constexpr int kBassLowMidi = 28;
inline constexpr int kBassHighMidi = 43;
inline constexpr int kBassStartMidi = 36;
inline constexpr double kBassVelocityBase = 0.55;
inline constexpr double kBassVelocityPerEnergy = 0.2;
// Above this energy the bass restrikes the root on every bar of a long chord.
inline constexpr double kBassPulseAboveEnergy = 0.55;

// ---- Melody (lead).
inline constexpr int kLeadLowMidi = 60;
inline constexpr int kLeadHighMidi = 84;
inline constexpr double kLeadCentreMidi = 64.0;
inline constexpr double kLeadCentrePerBrightness = 8.0;
inline constexpr int kSlotsPerBar = 8;  // eighth notes
inline constexpr std::array<double, 8> kSlotWeights = {1.0, 0.2, 0.5, 0.2, 0.8, 0.2, 0.5, 0.2};
inline constexpr double kLeadDensityBase = 0.25;
inline constexpr double kLeadDensityPerEnergy = 0.5;
// The session's density parameter scales the lead density by (kDensityScaleBase + density):
// density 0.5 leaves MUSIC.md's figure unchanged.
inline constexpr double kDensityScaleBase = 0.5;
// A sparse lead (onset density below this) walks the pentatonic scale: no half steps.
inline constexpr double kPentatonicBelowLeadDensity = 0.4;
inline constexpr double kBarRestBase = 0.1;
inline constexpr double kBarRestPerCalm = 0.3;
inline constexpr double kSitOutPhrase = 0.25;
// Scale-degree steps and their probabilities (each sign for non-zero steps).
inline constexpr std::array<int, 6> kStepSizes = {0, 1, 2, 3, 4, 7};
inline constexpr std::array<double, 6> kStepWeights = {0.10, 0.26, 0.11, 0.05, 0.025, 0.005};
inline constexpr int kLeapDegrees = 3;
inline constexpr double kStepBackAfterLeap = 0.75;
inline constexpr double kStepBackBySecond = 0.7;  // else by a third
inline constexpr int kMotifMaxSpanDegrees = 6;    // motif stays within +-this of its first note
inline constexpr int kLeadMaxNoteSlots = 6;       // longest note inside a motif
inline constexpr double kArchPeakMin = 0.6;       // arch contour peaks at 60-70 % of the phrase
inline constexpr double kArchPeakMax = 0.7;
inline constexpr int kArchHeightMinDegrees = 2;
inline constexpr int kArchHeightMaxDegrees = 4;
inline constexpr double kChordToneSnap = 0.8;  // on strong slots
inline constexpr double kContrastNotInversion = 0.5;
inline constexpr double kVariationPerNote = 0.3;
inline constexpr std::size_t kMotifMemory = 4;
// Which remembered motif comes back: newest first, weighted toward the recent.
inline constexpr std::array<double, kMotifMemory> kMotifRecencyWeights = {4.0, 2.0, 1.0, 1.0};
inline constexpr double kMotifReuseCalm = 0.6;
inline constexpr double kMotifReuseEnergetic = 0.35;
inline constexpr double kLeadVelocityBase = 0.45;
inline constexpr double kLeadVelocityPerEnergy = 0.25;
inline constexpr double kLeadVelocityAccent = 0.08;
inline constexpr double kLeadVelocityJitter = 0.05;

// ---- Tempo and key drift at phrase joins.
inline constexpr double kTempoMinBpm = 40.0;
inline constexpr double kTempoMaxBpm = 120.0;
inline constexpr double kTempoDriftMaxBpm = 2.0;     // per phrase
inline constexpr double kTempoWanderMaxBpm = 6.0;    // from the session's tempo
inline constexpr double kTempoStepBpm = 1.0;         // random part of a phrase's drift
inline constexpr double kTempoPullToSession = 0.25;  // fraction of the offset pulled back
inline constexpr double kModulationBase = 0.08;      // p = base + per_energy * energy
inline constexpr double kModulationPerEnergy = 0.1;
inline constexpr int kFifthSemitones = 7;
inline constexpr int kMaxFifthsFromHome = 2;
inline constexpr double kModulateTowardHome = 0.75;

// ---- Texture: noise swells into phrase joins.
inline constexpr double kSwellBeatsCalm = 8.0;       // at energy 0
inline constexpr double kSwellBeatsEnergetic = 4.0;  // at energy 1
inline constexpr double kSwellTailBeats = 0.5;       // past the join
inline constexpr double kSwellVelocityBase = 0.25;
inline constexpr double kSwellVelocityPerDensity = 0.25;
inline constexpr double kMidSwellAboveDensity = 0.6;  // an extra swell into bar 5
inline constexpr double kMidSwellChance = 0.5;
inline constexpr double kMidSwellLevel = 0.7;        // relative to the join swell
inline constexpr double kSwellVelocitySpread = 0.1;  // relative, per swell
inline constexpr int kTextureNominalMidi = 60;

// ---- Percussion: soft kick and brush, only above an energy threshold.
inline constexpr double kPercussionAboveEnergy = 0.4;
inline constexpr double kTimingJitterS = 0.003;
inline constexpr double kVelocityJitter = 0.15;  // relative
inline constexpr int kKickNominalMidi = 36;
inline constexpr int kBrushNominalMidi = 38;
inline constexpr double kKickDurationS = 0.3;
inline constexpr double kBrushDurationS = 0.12;
inline constexpr double kKickVelocityBase = 0.35;
inline constexpr double kKickVelocityPerIntensity = 0.25;
inline constexpr double kBrushVelocityBase = 0.2;
inline constexpr double kBrushVelocityPerIntensity = 0.25;
// Brush weights per eighth of a bar (backbeats on 2 and 4).
inline constexpr std::array<double, 8> kBrushSlotWeights = {0.3, 0.2, 0.9, 0.25,
                                                            0.3, 0.2, 0.9, 0.35};
inline constexpr double kKickDownbeatBase = 0.6;
inline constexpr double kKickBeatThreePerIntensity = 0.6;
inline constexpr double kKickPickupPerIntensity = 0.15;
inline constexpr double kPercussionHitDrop = 0.1;
// Brush hit chance per slot = weight * (base + per_intensity * intensity) * density scale.
inline constexpr double kBrushChanceBase = 0.3;
inline constexpr double kBrushChancePerIntensity = 0.6;
inline constexpr double kKickOffAccentLevel = 0.85;  // kicks off the downbeat
inline constexpr double kBrushOffbeatLevel = 0.75;   // brushes on the "and"
inline constexpr double kBassRestrikeLevel =
    0.85;  // bass restrikes within a chord  // per-bar variation of the phrase's groove

// ---- PRNG streams: each part of a phrase draws from its own stream, so switching a layer off
// leaves the others unchanged.
inline constexpr std::uint64_t kStreamDrift = 1;
inline constexpr std::uint64_t kStreamHarmony = 2;
inline constexpr std::uint64_t kStreamVoicing = 3;
inline constexpr std::uint64_t kStreamLead = 4;
inline constexpr std::uint64_t kStreamTexture = 5;
inline constexpr std::uint64_t kStreamPercussion = 6;

}  // namespace auralis::music::tables
