#include "auralis/synthesis/timeline.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "auralis/music/composer.hpp"
#include "synthesis/reference_phrase.hpp"

namespace auralis::synthesis {
namespace {

using testing::reference_phrase;

TEST(Timeline, PhraseFramesAreTheDurationInWholeFrames) {
  const auto phrase = reference_phrase();
  EXPECT_EQ(phrase_frames(phrase), std::llround(32 * 60.0 / 70.0 * kSampleRate));
}

TEST(Timeline, JobsCoverConsecutivePhrasesExactly) {
  Timeline timeline;
  const auto first = timeline.place(reference_phrase(0));
  const auto second = timeline.place(reference_phrase(1));
  EXPECT_EQ(first.start_frame, 0);
  EXPECT_EQ(first.frames, phrase_frames(reference_phrase(0)));
  EXPECT_EQ(second.start_frame, first.start_frame + first.frames);
  EXPECT_EQ(timeline.next_phrase_frame(), second.start_frame + second.frames);
  EXPECT_EQ(second.controls.phrase_start_frame, second.start_frame);
  EXPECT_EQ(second.controls.phrase_frames, second.frames);
}

TEST(Timeline, NotesLandAtPhraseStartPlusRoundedOnset) {
  Timeline timeline;
  timeline.place(reference_phrase(0));
  const auto phrase = reference_phrase(1);
  const auto job = timeline.place(phrase);
  // The first pad note of phrase 1 (the carried tails come first in the job).
  const auto& note = phrase.notes.front();
  ASSERT_EQ(note.layer, music::Layer::pad);
  bool found = false;
  for (const auto& v : job.voices) {
    if (v.layer == music::Layer::pad && v.start_frame == job.start_frame &&
        std::abs(v.freq_hz - 440.0 * std::exp2((note.midi - 69) / 12.0)) < 1e-9) {
      found = true;
      EXPECT_EQ(v.gate_frames, std::llround(note.duration_s * kSampleRate));
    }
  }
  EXPECT_TRUE(found) << "the first pad note of phrase 1 was not placed at the phrase start";
}

TEST(Timeline, TiedPadNoteContinuesTheCarriedVoiceAcrossTheJoin) {
  music::SessionParams params;
  params.seed = 31;
  params.energy = 0.5;
  music::Composer composer(params);
  Timeline timeline;
  RenderJob before = timeline.place(composer.next());
  int checked = 0;
  for (int k = 1; k < 12; ++k) {
    const auto phrase = composer.next();
    const RenderJob job = timeline.place(phrase);
    const std::int64_t join = job.start_frame;
    for (const auto& note : phrase.notes) {
      if (!note.tied) continue;
      const double hz = 440.0 * std::exp2((note.midi - 69) / 12.0);
      int continued = 0, attacking = 0;
      for (const auto& v : job.voices) {
        if (v.layer != music::Layer::pad || std::abs(v.freq_hz - hz) > 1e-9) continue;
        if (v.start_frame == join) ++attacking;
        if (v.start_frame < join && v.start_frame + v.gate_frames > join) {
          ++continued;
          EXPECT_EQ(v.start_frame + v.gate_frames,
                    join + std::llround(note.duration_s * kSampleRate));
          // The same voice as in the phrase before: same onset, phases and pan.
          bool same = false;
          for (const auto& b : before.voices)
            same = same || (b.start_frame == v.start_frame && b.seed == v.seed && b.pan == v.pan &&
                            std::llabs(b.start_frame + b.gate_frames - join) <= 2);  // rounding
          EXPECT_TRUE(same) << "midi " << note.midi;
        }
      }
      EXPECT_EQ(continued, 1) << "phrase " << k << " midi " << note.midi;
      EXPECT_EQ(attacking, 0) << "phrase " << k << " midi " << note.midi << ": retriggered";
      ++checked;
    }
    before = job;
  }
  EXPECT_GT(checked, 3);
}

TEST(Timeline, TiedNoteWithNothingToContinueAttacks) {
  music::SessionParams params;
  params.seed = 31;
  params.energy = 0.5;
  music::Composer composer(params);
  composer.next();
  music::Phrase phrase;
  do phrase = composer.next();
  while (std::none_of(phrase.notes.begin(), phrase.notes.end(),
                      [](const music::Note& n) { return n.tied; }));
  Timeline fresh;  // as after a restart: the phrase before was never placed
  const RenderJob job = fresh.place(phrase);
  for (const auto& note : phrase.notes) {
    if (!note.tied) continue;
    const double hz = 440.0 * std::exp2((note.midi - 69) / 12.0);
    EXPECT_TRUE(std::any_of(job.voices.begin(), job.voices.end(),
                            [&](const VoiceSpec& v) {
                              return v.layer == music::Layer::pad &&
                                     std::abs(v.freq_hz - hz) < 1e-9 && v.start_frame == 0;
                            }))
        << "midi " << note.midi;
  }
}

TEST(Timeline, ReleaseTailsCarryIntoTheNextPhrase) {
  Timeline timeline;
  const auto first = timeline.place(reference_phrase(0));
  const auto second = timeline.place(reference_phrase(1));
  const std::int64_t join = second.start_frame;
  std::size_t tails_in_first = 0;
  for (const auto& v : first.voices) tails_in_first += v.end_frame() > join ? 1 : 0;
  std::size_t carried = 0;
  for (const auto& v : second.voices) {
    if (v.start_frame < join) {
      ++carried;
      EXPECT_GT(v.end_frame(), join) << "a voice that ended before the join was carried";
    }
  }
  EXPECT_GT(tails_in_first, 0u) << "the last pad chord's release should cross the join";
  EXPECT_EQ(carried, tails_in_first) << "every tail crossing the join must be in the next job";
}

TEST(Timeline, EveryVoiceOverlapsItsWindow) {
  Timeline timeline;
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto job = timeline.place(reference_phrase(i));
    for (const auto& v : job.voices) {
      EXPECT_LT(v.start_frame, job.start_frame + job.frames);
      EXPECT_GT(v.end_frame(), job.start_frame);
    }
  }
}

TEST(Timeline, SeedsAreDeterministicAndDistinct) {
  Timeline a, b;
  const auto ja = a.place(reference_phrase(3));
  const auto jb = b.place(reference_phrase(3));
  ASSERT_EQ(ja.voices.size(), jb.voices.size());
  for (std::size_t i = 0; i < ja.voices.size(); ++i) {
    EXPECT_EQ(ja.voices[i].seed, jb.voices[i].seed);
    if (i > 0) {
      EXPECT_NE(ja.voices[i].seed, ja.voices[i - 1].seed);
    }
  }
}

TEST(Timeline, PadVoicesAreSpreadAcrossTheStereoField) {
  Timeline timeline;
  const auto job = timeline.place(reference_phrase(0));
  int left = 0, right = 0;
  for (const auto& v : job.voices) {
    if (v.layer != music::Layer::pad) continue;
    EXPECT_GE(std::abs(v.pan), 0.3f - 1e-6f);
    EXPECT_LE(std::abs(v.pan), 0.5f + 1e-6f);
    (v.pan < 0 ? left : right)++;
  }
  EXPECT_GT(left, 0);
  EXPECT_GT(right, 0);
}

TEST(Timeline, MixControlsFollowThePhrase) {
  Timeline timeline;
  auto phrase = reference_phrase(0);
  phrase.brightness = 1.0;
  phrase.energy = 1.0;
  phrase.level_db = -4.5;
  const auto job = timeline.place(phrase);
  EXPECT_NEAR(job.controls.pad_cutoff_hz, 850.0 * std::exp2(2.6), 1e-6);
  EXPECT_NEAR(job.controls.air_centre_hz, 700.0 * std::exp2(2.0), 1e-6);
  EXPECT_NEAR(job.controls.filter_lfo_hz, 0.10, 1e-12);
  EXPECT_DOUBLE_EQ(job.controls.level_db, -4.5);
  EXPECT_DOUBLE_EQ(job.controls.energy, 1.0);
  EXPECT_DOUBLE_EQ(job.controls.tempo_bpm, 70.0);
}

TEST(Timeline, PadAttackShortensWithEnergy) {
  Timeline calm, energetic;
  const auto a = calm.place(reference_phrase(0, 0.0));
  const auto b = energetic.place(reference_phrase(0, 1.0));
  ASSERT_EQ(a.voices.front().layer, music::Layer::pad);
  EXPECT_NEAR(a.voices.front().attack_s, 4.0f, 1e-6f);
  EXPECT_NEAR(b.voices.front().attack_s, 1.5f, 1e-6f);
}

}  // namespace
}  // namespace auralis::synthesis
