// Every musical constant of the composer, in one place; docs/music.md says what each part does
// and why. Tune here, not in the algorithms.
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

// ---- Form: sections of 3-8 minutes with their own character (docs/music.md, "Form"). Arrays
// are indexed by character: open (sparse, bright, quiet), drift (dark, low), song (the lead
// sings), bloom (full, bright, loudest, a pulse).
inline constexpr int kCharacterCount = 4;
inline constexpr std::array<double, 4> kSectionMinutesMin = {3.0, 3.0, 3.5, 3.0};
inline constexpr std::array<double, 4> kSectionMinutesMax = {4.5, 5.0, 6.5, 5.5};
// The next section's character: weights blended from energy 0 to energy 1, never the same
// character twice running; a drift at least every kDarkEverySections sections and an open or
// bloom at least every kBrightEverySections, so every half hour has its contrasts.
inline constexpr std::array<double, 4> kCharacterWeightCalm = {0.3, 0.2, 0.35, 0.15};
inline constexpr std::array<double, 4> kCharacterWeightEnergetic = {0.15, 0.1, 0.4, 0.35};
inline constexpr int kDarkEverySections = 4;
inline constexpr int kBrightEverySections = 3;
// Dynamics (dB against the long-term loudness target): base + per_energy x energy, a random part,
// and the section's arc; the long-term mean comes out near 0 dB. The first section sits at
// kFirstSectionLevelDb: a stream starts at about its nominal level.
inline constexpr std::array<double, 4> kLevelDb = {-2.5, -1.5, 1.0, 1.8};
inline constexpr std::array<double, 4> kLevelDbPerEnergy = {-1.5, -1.0, 0.0, 0.5};
inline constexpr double kLevelJitterDb = 0.6;
inline constexpr double kFirstSectionLevelDb = 0.0;
inline constexpr double kLevelPerIntensityDb = 1.5;  // x (intensity - 0.5)
// Colour and energy offsets from the session's values, and their swing with intensity.
inline constexpr std::array<double, 4> kBrightnessOffset = {0.12, -0.32, 0.0, 0.18};
inline constexpr double kBrightnessPerIntensity = 0.15;
inline constexpr std::array<double, 4> kEnergyOffset = {-0.15, -0.1, 0.0, 0.15};
inline constexpr double kEnergyPerIntensity = 0.2;
// Mode shifts (steps along dark -> bright) a section may take when no mode is given.
inline constexpr std::array<std::array<int, 2>, 4> kModeShifts = {
    {{0, 1}, {-1, -1}, {0, 0}, {1, 1}}};
inline constexpr std::array<double, 4> kTempoOffsetBpm = {-3.0, -4.0, 0.0, 3.0};
inline constexpr double kTempoJitterBpm = 2.0;
// Register: the pad's voicing centre and the lead's shift (semitones) per character.
inline constexpr std::array<double, 4> kPadCentreMidi = {65.0, 57.0, 62.0, 64.0};
inline constexpr std::array<int, 4> kLeadShift = {3, -2, 0, 2};
// Harmonic rhythm: chords per 8-bar phrase, the energetic count above an energy threshold.
inline constexpr std::array<int, 4> kChordsCalm = {2, 2, 2, 4};
inline constexpr std::array<int, 4> kChordsEnergetic = {2, 2, 4, 8};
inline constexpr std::array<double, 4> kChordsMoreAboveEnergy = {2.0, 2.0, 0.3, 0.7};
// Palette and who plays.
inline constexpr std::array<double, 4> kStringPadChance = {0.5, 0.0, 0.5, 1.0};
inline constexpr std::array<int, 4> kPadVoicesBase = {3, 4, 4, 4};  // +1 when the colour is rich
// A phrase where the pad rests (never a section's first two phrases, never twice running).
inline constexpr std::array<double, 4> kPadRestChance = {0.3, 0.0, 0.0, 0.0};
inline constexpr std::array<double, 4> kPadVelocity = {0.36, 0.46, 0.48, 0.52};
inline constexpr std::array<double, 4> kBassPhraseChance = {0.35, 1.0, 1.0, 1.0};
inline constexpr std::array<bool, 4> kPulse = {false, false, true, true};
inline constexpr double kPulseSongAboveEnergy = 0.6;  // a song section keeps a pulse only above
inline constexpr std::array<double, 4> kLeadSitOut = {0.3, 0.25, 0.06, 0.1};
inline constexpr std::array<double, 4> kLeadDensityScale = {0.6, 0.7, 1.0, 1.15};
inline constexpr std::array<int, 4> kLoops = {3, 1, 2, 2};
inline constexpr std::array<double, 4> kShimmerIntervalS = {22.0, 0.0, 45.0, 30.0};  // 0: none
inline constexpr std::array<double, 4> kAirIntervalS = {70.0, 28.0, 60.0, 50.0};
inline constexpr std::array<bool, 4> kAnswers = {false, false, true, true};
// The section's intensity arc: 0.3 at its edges, 1 at its peak (a fraction of the section).
inline constexpr double kArcPeakMin = 0.45;
inline constexpr double kArcPeakMax = 0.8;
inline constexpr double kArcFloor = 0.3;

// ---- Phrase shape.
inline constexpr int kBarsPerPhrase = 8;
inline constexpr int kBeatsPerBar = 4;

// ---- Pad voicing.
inline constexpr int kPadLowMidi = 48;
inline constexpr int kPadHighMidi = 79;
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
inline constexpr double kPadCentreWeight = 0.5;
inline constexpr double kVoicingCostSlack = 1.0;  // pick at random within min cost + slack
inline constexpr int kPadStartMidi = 62;          // register of the first chord of a session
// Staggered entries: a pad voice that changes note enters up to this many beats after the chord
// (lowest first, with a random part), so a new chord blooms instead of striking.
inline constexpr double kPadStaggerBeats = 1.0;
inline constexpr double kPadStaggerJitterBeats = 0.15;
inline constexpr double kPadVelocityPerEnergy = 0.2;
inline constexpr double kPadVelocityJitter = 0.04;

// ---- Bass: the chord root, nearest the last bass note; never below A1 (55 Hz), which small
// speakers lose.
inline constexpr int kBassLowMidi = 33;
inline constexpr int kBassHighMidi = 45;
inline constexpr int kBassStartMidi = 38;
inline constexpr double kBassVelocityBase = 0.55;
inline constexpr double kBassVelocityPerEnergy = 0.2;
// Above this energy the bass restrikes the root on every bar of a long chord.
inline constexpr double kBassPulseAboveEnergy = 0.55;

// ---- Melody (lead): in its own register, an octave and more above the pad.
inline constexpr int kLeadLowMidi = 67;
inline constexpr int kLeadHighMidi = 93;
inline constexpr double kLeadCentreMidi = 78.0;  // at brightness 0.5, before the section's shift
inline constexpr double kLeadCentrePerBrightness = 6.0;
inline constexpr int kSlotsPerBar = 8;  // eighth notes
inline constexpr int kCellSlots = 2 * kSlotsPerBar;
// Onset weights per eighth: beats first, but the "and"s are alive (syncopation).
inline constexpr std::array<double, 8> kSlotWeights = {1.0, 0.25, 0.6, 0.35, 0.85, 0.3, 0.55, 0.4};
inline constexpr double kLeadDensityBase = 0.18;
inline constexpr double kLeadDensityPerEnergy = 0.36;
// The session's density parameter scales the lead density by (kDensityScaleBase + density):
// density 0.5 leaves it unchanged.
inline constexpr double kDensityScaleBase = 0.5;
// A sparse lead (onset density below this) walks the pentatonic scale: no half steps.
inline constexpr double kPentatonicBelowLeadDensity = 0.3;
inline constexpr double kBarRestBase = 0.08;
inline constexpr double kBarRestPerCalm = 0.25;
// Scale-degree steps and their probabilities (each sign for non-zero steps): mostly stepwise.
inline constexpr std::array<int, 6> kStepSizes = {0, 1, 2, 3, 4, 7};
inline constexpr std::array<double, 6> kStepWeights = {0.08, 0.30, 0.11, 0.04, 0.02, 0.005};
inline constexpr int kLeapDegrees = 3;
inline constexpr double kStepBackAfterLeap = 0.75;
inline constexpr double kStepBackBySecond = 0.7;  // else by a third
inline constexpr int kCellMaxSpanDegrees = 5;     // a cell stays within +-this of its first note
inline constexpr int kLeadMaxNoteSlots = 6;       // longest note inside a cell
inline constexpr double kStaccato = 0.15;         // a note shorter than the gap to the next
inline constexpr double kLateEntry = 0.4;         // the phrase's line enters 1-3 eighths late
inline constexpr double kArchPeakMin = 0.55;      // arch contour peaks at 55-75 % of the phrase
inline constexpr double kArchPeakMax = 0.75;
inline constexpr int kArchHeightMinDegrees = 2;
inline constexpr int kArchHeightMaxDegrees = 4;
inline constexpr double kChordToneSnap = 0.8;  // on strong slots
inline constexpr int kCellJoinReach = 2;  // a cell starts within this many degrees of the last note
// Cell variation (A'): each note moves a degree with this chance; one rhythm change with the
// next (a note shifted an eighth, split in two, or dropped).
inline constexpr double kVariationPerNote = 0.25;
inline constexpr double kRhythmVariation = 0.5;
// Motif memory (a deja-vu control): every new 2-bar cell is remembered; a cell slot recalls a
// remembered cell with p = deja_vu (the main motif preferring the last phrase's cells, the others
// cells at least kRecallMinAgePhrases old), and a
// recalled cell comes back mutated with kRecallMutation.
inline constexpr std::size_t kCellMemory = 32;
inline constexpr double kDejaVuCalm = 0.7;
inline constexpr double kDejaVuEnergetic = 0.55;
inline constexpr std::uint64_t kRecallMinAgePhrases = 5;
inline constexpr double kRecallOldWeight = 6.0;   // vs 1 for a recent cell
inline constexpr double kRecallLastWeight = 8.0;  // a cell of the phrase just before
inline constexpr double kRecallMutation = 0.5;
// Humanised timing: Gaussian-like spread around the grid, plus a slow push and pull.
inline constexpr double kLeadTimingSdS = 0.016;
inline constexpr double kLeadRubatoS = 0.010;
// Velocity that phrases: a base by energy and intensity, a swell toward the arch's peak, accents
// on strong slots and long notes, a little randomness.
inline constexpr double kLeadVelocityBase = 0.40;
inline constexpr double kLeadVelocityPerEnergy = 0.22;
inline constexpr double kLeadVelocityPerIntensity = 0.40;
inline constexpr double kLeadVelocitySwell = 0.18;
inline constexpr double kLeadVelocityAccent = 0.07;
inline constexpr double kLeadVelocityLong = 0.04;
inline constexpr double kLeadVelocityJitter = 0.07;
// Counter-melody: a two-bar window where the lead rests may be answered on the ornament layer by
// the last cell a third or a sixth lower (in scale degrees).
inline constexpr double kAnswerChance = 0.55;
inline constexpr std::array<int, 2> kAnswerShiftDegrees = {-2, -5};
inline constexpr double kAnswerVelocity = 0.75;  // relative to the lead's

// ---- Tempo and key drift at phrase joins.
inline constexpr double kTempoMinBpm = 40.0;
inline constexpr double kTempoMaxBpm = 120.0;
inline constexpr double kTempoDriftMaxBpm = 2.0;     // per phrase
inline constexpr double kTempoWanderMaxBpm = 8.0;    // from the session's tempo
inline constexpr double kTempoStepBpm = 1.0;         // random part of a phrase's drift
inline constexpr double kTempoPullToSection = 0.35;  // fraction of the offset pulled back
inline constexpr double kModulationBase = 0.08;      // p = base + per_energy * energy
inline constexpr double kModulationPerEnergy = 0.1;
inline constexpr int kFifthSemitones = 7;
inline constexpr int kMaxFifthsFromHome = 2;
inline constexpr double kModulateTowardHome = 0.75;

// ---- Ornaments off the phrase clock (docs/music.md, "Events off the phrase clock").
// Eno loops: short figures (1-3 chord tones) that recur with their own periods, unrelated to the
// phrase length, each occurrence sounding with the loop's presence.
inline constexpr double kLoopPeriodMinS = 11.0;
inline constexpr double kLoopPeriodMaxS = 37.0;
inline constexpr double kLoopPeriodsApartS = 2.5;  // loops of one section differ at least so much
inline constexpr int kLoopMaxNotes = 3;
inline constexpr double kLoopNoteGapMinS = 0.35;
inline constexpr double kLoopNoteGapMaxS = 1.6;
inline constexpr double kLoopPresenceMin = 0.55;
inline constexpr double kLoopPresenceMax = 0.9;
inline constexpr double kLoopVelocityMin = 0.3;
inline constexpr double kLoopVelocityMax = 0.6;
inline constexpr double kLoopFadeFraction = 0.15;  // loops fade in and out at section edges
inline constexpr double kLoopFadeFloor = 0.4;      // from and to this level
inline constexpr double kLoopGateS = 2.0;
inline constexpr int kOrnamentLowMidi = 72;
inline constexpr int kOrnamentHighMidi = 96;
inline constexpr double kOrnamentCentreMidi = 82.0;
// Shimmer: beating sine pairs on chord tones high above, arriving at random times.
inline constexpr int kShimmerLowMidi = 84;
inline constexpr int kShimmerHighMidi = 98;
inline constexpr int kShimmerMaxNotes = 3;
inline constexpr double kShimmerStaggerMaxS = 2.5;
inline constexpr double kShimmerGateMinS = 4.0;
inline constexpr double kShimmerGateMaxS = 10.0;
inline constexpr double kShimmerVelocityMin = 0.3;
inline constexpr double kShimmerVelocityMax = 0.65;
// Air: soft filtered-noise breaths at random times (the texture bus colours them).
inline constexpr double kAirGateMinS = 5.0;
inline constexpr double kAirGateMaxS = 12.0;
inline constexpr double kAirVelocityMin = 0.15;
inline constexpr double kAirVelocityMax = 0.4;
inline constexpr int kAirNominalMidi = 60;
// Gaps between random events: interval x uniform(kEventGapMin, kEventGapMax).
inline constexpr double kEventGapMin = 0.35;
inline constexpr double kEventGapMax = 1.65;

// ---- Percussion: soft kick and brush, only above an energy threshold and in sections that
// carry a pulse.
inline constexpr double kPercussionAboveEnergy = 0.4;
inline constexpr double kTimingJitterS = 0.003;
inline constexpr double kVelocityJitter = 0.15;  // relative
inline constexpr int kKickNominalMidi = 36;
inline constexpr int kBrushNominalMidi = 38;
inline constexpr double kKickDurationS = 0.3;
inline constexpr double kBrushDurationS = 0.12;
inline constexpr double kKickVelocityBase = 0.42;
inline constexpr double kKickVelocityPerIntensity = 0.25;
inline constexpr double kBrushVelocityBase = 0.26;
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
inline constexpr double kBassRestrikeLevel = 0.85;   // bass restrikes within a chord

// ---- PRNG streams: each part of a phrase draws from its own stream, so switching a layer off
// leaves the others unchanged.
inline constexpr std::uint64_t kStreamDrift = 1;
inline constexpr std::uint64_t kStreamHarmony = 2;
inline constexpr std::uint64_t kStreamVoicing = 3;
inline constexpr std::uint64_t kStreamLead = 4;
inline constexpr std::uint64_t kStreamTexture = 5;
inline constexpr std::uint64_t kStreamPercussion = 6;
inline constexpr std::uint64_t kStreamForm = 7;      // per section, not per phrase
inline constexpr std::uint64_t kStreamLoops = 8;     // per section
inline constexpr std::uint64_t kStreamOrnament = 9;  // per phrase: loop occurrences, answers
inline constexpr std::uint64_t kStreamEvents = 10;   // per random event (shimmer, air)

}  // namespace auralis::music::tables
