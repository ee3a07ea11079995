// Re-planning from a bar (music/replan.hpp): the bars before stay note for note, the new plan
// takes over on the bar line with its key and harmony, the tempo glides across that bar.
#include "auralis/music/replan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "auralis/music/composer.hpp"

namespace auralis::music {
namespace {

struct Pair {
  Phrase old;
  Phrase fresh;
};

// The same phrase composed twice from the same state: as planned, and with `changed`.
Pair compose_pair(const SessionParams& changed) {
  SessionParams p;
  p.seed = 3;
  p.tempo_bpm = 70;
  p.mode = Mode::aeolian;
  Composer composer(p);
  composer.next();  // a phrase before, so the one re-planned continues something
  Composer replica = composer;
  replica.set_params(changed);
  return {composer.next(), replica.next()};
}

TEST(Replan, BarsBeforeTheSpliceKeepTheirNotes) {
  SessionParams changed;
  changed.seed = 3;
  changed.tempo_bpm = 70;
  changed.mode = Mode::aeolian;
  changed.key_pc = 8;
  const auto [old, fresh] = compose_pair(changed);
  const BarTimes bars = even_bar_times(old);
  const int bar = 3;
  const SplicedPhrase s = splice_phrase(old, bars, fresh, bar);
  const double splice_s = bars.onset_s[bar];
  std::size_t kept = 0;
  while (kept < old.notes.size() && old.notes[kept].onset_s < splice_s) ++kept;
  ASSERT_GE(s.phrase.notes.size(), kept);
  for (std::size_t i = 0; i < kept; ++i) {
    // Same note, same index (synthesis derives a voice's phases from it); at most shortened.
    EXPECT_EQ(s.phrase.notes[i].midi, old.notes[i].midi) << i;
    EXPECT_EQ(s.phrase.notes[i].onset_s, old.notes[i].onset_s) << i;
    EXPECT_LE(s.phrase.notes[i].onset_s + s.phrase.notes[i].duration_s,
              std::max(splice_s, old.notes[i].onset_s + old.notes[i].duration_s) + 1e-9);
  }
  for (std::size_t i = kept; i < s.phrase.notes.size(); ++i)
    EXPECT_GE(s.phrase.notes[i].onset_s, splice_s - 1e-9) << "a new note before the splice";
  EXPECT_EQ(s.phrase.key_pc, 8);
  EXPECT_EQ(s.phrase.index, old.index);
  // The harmony: the old chords before the bar, a chord on the bar line, the new ones after.
  bool on_the_line = false;
  for (const auto& c : s.phrase.chords) {
    if (c.bar < bar) {
      EXPECT_LT(c.onset_s, splice_s);
    }
    on_the_line = on_the_line || (c.bar == bar && std::fabs(c.onset_s - splice_s) < 1e-9);
  }
  EXPECT_TRUE(on_the_line) << "no chord struck on the splice";
  // Struck on the bar line: the pad of the new harmony.
  bool pad_on_line = false;
  for (std::size_t i = kept; i < s.phrase.notes.size(); ++i)
    pad_on_line = pad_on_line || (s.phrase.notes[i].layer == Layer::pad &&
                                  std::fabs(s.phrase.notes[i].onset_s - splice_s) < 1e-9);
  EXPECT_TRUE(pad_on_line);
}

// The pad chord sounding at `bar`: every pitch class in `scale_pcs`?
bool chord_at_bar_in(const Phrase& phrase, int bar, const std::vector<int>& scale_pcs) {
  const ChordEvent* at = nullptr;
  for (const auto& c : phrase.chords)
    if (c.bar <= bar) at = &c;
  if (!at) return false;
  for (int midi : at->pitches)
    if (std::find(scale_pcs.begin(), scale_pcs.end(), midi % 12) == scale_pcs.end()) return false;
  return true;
}

// A key changed mid-phrase modulates through a chord both keys share: D aeolian -> A aeolian
// (a fifth: four shared triads) with the pivot asked for at the splice bar, over 40 seeds.
TEST(Replan, KeyChangeGoesThroughASharedChord) {
  const std::vector<int> d_aeolian{2, 4, 5, 7, 9, 10, 0};
  const int bar = 3;
  int with_pivot = 0, without = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SessionParams p;
    p.seed = seed;
    p.tempo_bpm = 70;
    p.key_pc = 2;
    p.mode = Mode::aeolian;
    Composer composer(p);
    composer.next();
    const Phrase old = Composer(composer).next();
    SessionParams changed = p;
    changed.key_pc = 9;
    Composer plain = composer;
    plain.set_params(changed);
    Composer pivoting = composer;
    pivoting.set_params(changed);
    pivoting.pivot_at_bar(bar, old.key_pc, old.mode);
    const Phrase direct = plain.next();
    const Phrase pivoted = pivoting.next();
    EXPECT_EQ(pivoted.key_pc, direct.key_pc);  // the new key (or where its drift took it)
    without += chord_at_bar_in(direct, bar, d_aeolian);
    with_pivot += chord_at_bar_in(pivoted, bar, d_aeolian);
  }
  std::printf("pivot chords: %d of 40 asked, %d of 40 not asked\n", with_pivot, without);
  EXPECT_GE(with_pivot, 36) << "pivot chords in 40 key changes (" << without << " without asking)";
  EXPECT_GT(with_pivot, without);
}

// Energy 0.1 -> 0.9 from bar 3: the new notes of bars 3-4 come in softer than composed, rising
// to their own loudness; from bar 5 on they are as composed.
TEST(Replan, EnergyRampsOverTwoBars) {
  SessionParams changed;
  changed.seed = 3;
  changed.tempo_bpm = 70;
  changed.mode = Mode::aeolian;
  changed.energy = 0.9;
  SessionParams calm = changed;
  calm.energy = 0.1;
  Composer composer(calm);
  composer.next();
  Composer replica = composer;
  replica.set_params(changed);
  const Phrase old = composer.next();
  const Phrase fresh = replica.next();
  ASSERT_LT(old.energy, fresh.energy);
  const BarTimes bars = even_bar_times(old);
  const int bar = 3;
  const SplicedPhrase s = splice_phrase(old, bars, fresh, bar);
  std::size_t kept = 0;
  while (kept < old.notes.size() && old.notes[kept].onset_s < bars.onset_s[bar]) ++kept;
  const double ramp_end = s.bars.onset_s[bar + 2];
  int softer = 0, in_ramp = 0, after = 0;
  for (std::size_t i = kept; i < s.phrase.notes.size(); ++i) {
    const Note& n = s.phrase.notes[i];
    // The same note as composed: same layer and pitch, nearest onset in fresh's own timing.
    const Note* same = nullptr;
    for (const auto& f : fresh.notes)
      if (f.layer == n.layer && f.midi == n.midi && f.onset_beats == n.onset_beats) same = &f;
    if (!same) continue;
    if (n.onset_s < ramp_end - 1e-9) {
      ++in_ramp;
      softer += n.velocity < same->velocity - 1e-6 || same->velocity <= 0.02f;
    } else {
      ++after;
      EXPECT_FLOAT_EQ(n.velocity, same->velocity);
    }
  }
  EXPECT_GT(in_ramp, 3);
  EXPECT_EQ(softer, in_ramp);
  EXPECT_GT(after, 3);
}

TEST(Replan, TempoGlidesAcrossTheFirstReplannedBar) {
  SessionParams changed;
  changed.seed = 3;
  changed.tempo_bpm = 110;
  changed.mode = Mode::aeolian;
  const auto [old, fresh] = compose_pair(changed);
  const BarTimes bars = even_bar_times(old);
  const int bar = 2;
  const SplicedPhrase s = splice_phrase(old, bars, fresh, bar);
  ASSERT_EQ(s.bars.onset_s.size(), static_cast<std::size_t>(old.bars + 1));
  const double old_bar = bars.onset_s[1] - bars.onset_s[0];
  const double glide_bar = s.bars.onset_s[bar + 1] - s.bars.onset_s[bar];
  const double new_bar = s.bars.onset_s[bar + 2] - s.bars.onset_s[bar + 1];
  EXPECT_NEAR(new_bar, 4 * 60.0 / fresh.tempo_bpm, 1e-9);
  // Between the two: the glide takes longer than a bar at the new tempo, less than at the old.
  EXPECT_GT(glide_bar, new_bar);
  EXPECT_LT(glide_bar, old_bar);
  EXPECT_NEAR(s.phrase.duration_s, s.bars.onset_s.back(), 1e-12);
  for (int b = 0; b <= bar; ++b) EXPECT_EQ(s.bars.onset_s[b], bars.onset_s[b]);
}

TEST(Replan, LayerSwitchesFollowTheComposersGating) {
  LayerSwitches s;
  s.texture = false;
  EXPECT_FALSE(layer_switch_on(Layer::ornament, Instrument::shimmer, s));
  EXPECT_TRUE(layer_switch_on(Layer::ornament, Instrument::glass_bell, s));
  s = {};
  s.lead = false;
  EXPECT_FALSE(layer_switch_on(Layer::ornament, Instrument::pluck, s));
  EXPECT_TRUE(layer_switch_on(Layer::ornament, Instrument::shimmer, s));
  s = {};
  s.percussion = false;
  EXPECT_FALSE(layer_switch_on(Layer::kick, Instrument::kick, s));
  EXPECT_FALSE(layer_switch_on(Layer::brush, Instrument::brush, s));
  EXPECT_TRUE(layer_switch_on(Layer::pad, Instrument::warm_pad, s));
}

}  // namespace
}  // namespace auralis::music
