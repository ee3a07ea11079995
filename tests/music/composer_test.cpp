// The composer's behaviour as synthesis and the scheduler see it: determinism, snapshots,
// layer switches, timing fields, drift and modulation, texture and percussion.
#include "auralis/music/composer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>

#include "auralis/music/score_format.hpp"
#include "music/phrase_checks.hpp"

namespace auralis::music {
namespace {

std::vector<Phrase> compose(const SessionParams& params, int count) {
  Composer composer(params);
  std::vector<Phrase> out;
  for (int i = 0; i < count; ++i) out.push_back(composer.next());
  return out;
}

std::vector<Note> layer_notes(const Phrase& phrase, Layer layer) {
  std::vector<Note> out;
  for (const auto& n : phrase.notes) {
    if (n.layer == layer) out.push_back(n);
  }
  return out;
}

// Order-sensitive hash of everything in a score (values rounded to what can be heard).
std::uint64_t score_hash(const std::vector<Phrase>& phrases) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  const auto mix = [&h](std::int64_t v) {
    h ^= static_cast<std::uint64_t>(v);
    h *= 0x100000001B3ULL;
  };
  for (const auto& p : phrases) {
    mix(p.key_pc);
    mix(static_cast<int>(p.mode));
    mix(std::llround(p.tempo_bpm * 1000));
    for (const auto& c : p.chords) {
      mix(c.root_pc);
      mix(c.bar);
      for (int m : c.pitches) mix(m);
    }
    for (const auto& n : p.notes) {
      mix(static_cast<int>(n.layer));
      mix(n.voice);
      mix(n.midi);
      mix(std::llround(n.velocity * 1000));
      mix(std::llround(n.onset_s * 1e6));
      mix(std::llround(n.duration_s * 1e6));
      mix(n.tied ? 1 : 0);
    }
  }
  return h;
}

TEST(Composer, IdenticalInputsGiveIdenticalScores) {
  SessionParams p;
  p.seed = 77;
  p.energy = 0.8;
  const auto a = compose(p, 50);
  const auto b = compose(p, 50);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(to_json(a[i]), to_json(b[i])) << i;
  p.seed = 78;
  EXPECT_NE(score_hash(compose(p, 50)), score_hash(a)) << "another seed, another piece";
}

TEST(Composer, ScoreIsPinnedAcrossMachines) {
  // Own PRNG, no std distributions, no FMA contraction: the same numbers everywhere. When the
  // music is retuned on purpose, print the new value and update it here.
  SessionParams p;
  p.seed = 2024;
  p.energy = 0.6;
  p.brightness = 0.7;
  const std::uint64_t hash = score_hash(compose(p, 20));
  EXPECT_EQ(hash, 0x2d692eaedf12cbbdULL) << "score hash 0x" << std::hex << hash;
}

TEST(Composer, CopySnapshotsTheWholeState) {
  SessionParams p;
  p.seed = 5;
  p.energy = 0.6;
  Composer original(p);
  for (int i = 0; i < 7; ++i) original.next();
  Composer copy = original;
  EXPECT_EQ(copy.next_index(), 7u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(to_json(original.next()), to_json(copy.next()));
  // Re-composing from a snapshot with new parameters leaves the original untouched.
  Composer snapshot = original;
  Composer reference = original;
  SessionParams brighter = p;
  brighter.brightness = 0.9;
  snapshot.set_params(brighter);
  snapshot.next();
  EXPECT_EQ(to_json(original.next()), to_json(reference.next()));
  Composer assigned(SessionParams{});
  assigned = original;
  EXPECT_EQ(to_json(assigned.next()), to_json(original.next()));
}

TEST(Composer, PhraseIndexAdvancesAndParamsApplyFromTheNextPhrase) {
  SessionParams p;
  p.energy = 0.1;
  Composer composer(p);
  EXPECT_EQ(composer.next().index, 0u);
  EXPECT_EQ(composer.next().index, 1u);
  p.energy = 0.9;
  composer.set_params(p);
  EXPECT_EQ(composer.next_index(), 2u);
  const Phrase phrase = composer.next();
  EXPECT_EQ(phrase.index, 2u);
  EXPECT_DOUBLE_EQ(phrase.energy, 0.9);
  EXPECT_EQ(phrase.chords.size(), 8u);
}

TEST(Composer, TimingFieldsAgree) {
  SessionParams p;
  p.energy = 0.9;
  p.tempo_bpm = 96;
  for (const auto& phrase : compose(p, 30)) {
    EXPECT_EQ(phrase.bars, 8);
    EXPECT_EQ(phrase.beats_per_bar, 4);
    EXPECT_NEAR(phrase.duration_s, 32 * 60.0 / phrase.tempo_bpm, 1e-9);
    const double spb = 60.0 / phrase.tempo_bpm;
    double last_onset = -1;
    for (const auto& n : phrase.notes) {
      EXPECT_GE(n.onset_s, last_onset) << "notes sorted by onset";
      last_onset = n.onset_s;
      EXPECT_GE(n.onset_s, 0);
      EXPECT_GT(n.duration_s, 0);
      EXPECT_NEAR(n.onset_s, n.onset_beats * spb, 1e-9);
      EXPECT_NEAR(n.duration_s, n.duration_beats * spb, 1e-9);
      EXPECT_GE(n.velocity, 0.0f);
      EXPECT_LE(n.velocity, 1.0f);
      if (n.layer != Layer::texture) {
        EXPECT_LE(n.onset_s + n.duration_s, phrase.duration_s + 0.5) << layer_name(n.layer);
      }
    }
    for (std::size_t c = 0; c < phrase.chords.size(); ++c) {
      const auto& chord = phrase.chords[c];
      EXPECT_EQ(chord.bar, static_cast<int>(c));
      EXPECT_NEAR(chord.onset_s, chord.onset_beats * spb, 1e-9);
      EXPECT_TRUE(std::is_sorted(chord.pitches.begin(), chord.pitches.end()));
      EXPECT_FALSE(chord.name.empty());
    }
  }
}

TEST(Composer, PadVoicesAndRangesFollowMusicMd) {
  SessionParams p;
  p.brightness = 0.2;  // colour 0.4: four voices
  for (const auto& phrase : compose(p, 50)) {
    for (const auto& c : phrase.chords) EXPECT_EQ(c.pitches.size(), 4u);
    for (const auto& n : phrase.notes) {
      if (n.layer == Layer::pad) {
        EXPECT_GE(n.midi, 48);
        EXPECT_LE(n.midi, 79);
      } else if (n.layer == Layer::bass) {
        EXPECT_GE(n.midi, 28);
        EXPECT_LE(n.midi, 43);
      } else if (n.layer == Layer::lead) {
        EXPECT_GE(n.midi, 60);
        EXPECT_LE(n.midi, 84);
      }
    }
  }
  p.brightness = 0.8;  // colour 0.7: five voices
  for (const auto& phrase : compose(p, 50)) {
    for (const auto& c : phrase.chords) EXPECT_EQ(c.pitches.size(), 5u);
  }
}

TEST(Composer, PadCommonTonesAreHeldAcrossPhraseJoins) {
  // MUSIC.md: held common tones are not retriggered, at a phrase join as inside a phrase. A pad
  // pitch sounding at the end of a phrase and in the next phrase's first chord comes back as
  // one tied note at beat 0 (the same sound going on); any other pad note at beat 0 is new.
  for (double energy : {0.2, 0.5, 0.9}) {
    SessionParams p;
    p.seed = 31;
    p.energy = energy;
    const auto phrases = compose(p, 40);
    int ties = 0;
    for (std::size_t k = 0; k < phrases.size(); ++k) {
      std::set<int> sounding_at_end_before;
      if (k > 0) {
        const auto& prev = phrases[k - 1];
        const double end = prev.bars * prev.beats_per_bar;
        for (const auto& n : layer_notes(prev, Layer::pad))
          if (std::abs(n.onset_beats + n.duration_beats - end) < 1e-9)
            sounding_at_end_before.insert(n.midi);
      }
      const auto& first = phrases[k].chords.front().pitches;
      for (const auto& n : layer_notes(phrases[k], Layer::pad)) {
        if (n.onset_beats != 0) {
          EXPECT_FALSE(n.tied) << "phrase " << k << ": a tie after beat 0";
          continue;
        }
        const bool common = sounding_at_end_before.count(n.midi) > 0;
        EXPECT_EQ(n.tied, common) << "phrase " << k << " midi " << n.midi << " energy " << energy;
        EXPECT_NE(std::find(first.begin(), first.end(), n.midi), first.end());
        ties += n.tied ? 1 : 0;
      }
      // Every common tone is there (tied), none is dropped.
      for (int m : first)
        if (sounding_at_end_before.count(m)) {
          const auto notes = layer_notes(phrases[k], Layer::pad);
          EXPECT_TRUE(std::any_of(notes.begin(), notes.end(),
                                  [&](const Note& n) { return n.midi == m && n.tied; }))
              << "phrase " << k << ": common tone " << m << " missing";
        }
    }
    EXPECT_GT(ties, 10) << "energy " << energy << ": joins share common tones often";
  }
  // The first phrase has nothing to continue; a switched-off pad leaves nothing to tie to.
  SessionParams p;
  p.seed = 31;
  Composer composer(p);
  for (const auto& n : composer.next().notes) EXPECT_FALSE(n.tied);
  p.layers.pad = false;
  composer.set_params(p);
  composer.next();
  p.layers.pad = true;
  composer.set_params(p);
  for (const auto& n : composer.next().notes) EXPECT_FALSE(n.tied);
}

TEST(Composer, BassPlaysTheChordRoot) {
  SessionParams p;
  p.energy = 0.5;
  for (const auto& phrase : compose(p, 100)) {
    for (const auto& n : layer_notes(phrase, Layer::bass)) {
      const auto chord =
          std::find_if(phrase.chords.rbegin(), phrase.chords.rend(),
                       [&](const ChordEvent& c) { return c.onset_beats <= n.onset_beats + 1e-9; });
      ASSERT_NE(chord, phrase.chords.rend());
      EXPECT_EQ(n.midi % 12, chord->root_pc);
    }
  }
}

TEST(Composer, HarmonicRhythmFollowsEnergy) {
  for (auto [energy, chords] : {std::pair{0.1, 2u}, std::pair{0.5, 4u}, std::pair{0.9, 8u}}) {
    SessionParams p;
    p.energy = energy;
    for (const auto& phrase : compose(p, 5)) EXPECT_EQ(phrase.chords.size(), chords);
  }
}

TEST(Composer, SwitchedOffLayersAreSilentAndTheOthersUnchanged) {
  SessionParams all;
  all.energy = 0.8;
  all.density = 0.8;
  all.seed = 9;
  const auto full = compose(all, 20);
  const std::pair<Layer, bool LayerSwitches::*> switches[] = {
      {Layer::pad, &LayerSwitches::pad},
      {Layer::lead, &LayerSwitches::lead},
      {Layer::bass, &LayerSwitches::bass},
      {Layer::texture, &LayerSwitches::texture},
      {Layer::kick, &LayerSwitches::percussion}};
  for (const auto& [layer, member] : switches) {
    SessionParams p = all;
    p.layers.*member = false;
    const auto muted = compose(p, 20);
    for (std::size_t i = 0; i < full.size(); ++i) {
      EXPECT_TRUE(layer_notes(muted[i], layer).empty()) << layer_name(layer);
      if (layer == Layer::kick) {
        EXPECT_TRUE(layer_notes(muted[i], Layer::brush).empty());
      }
      // Every other layer is note-for-note what it was.
      for (int other = 0; other < kLayerCount; ++other) {
        const auto o = static_cast<Layer>(other);
        if (o == layer || (layer == Layer::kick && o == Layer::brush)) continue;
        EXPECT_EQ(layer_notes(muted[i], o).size(), layer_notes(full[i], o).size())
            << layer_name(layer) << " off changed " << layer_name(o);
      }
      EXPECT_EQ(muted[i].chords.size(), full[i].chords.size());
    }
  }
  SessionParams none = all;
  none.layers = LayerSwitches{false, false, false, false, false};
  for (const auto& phrase : compose(none, 5)) {
    EXPECT_TRUE(phrase.notes.empty());
    EXPECT_FALSE(phrase.chords.empty()) << "the chord metadata stays";
  }
}

TEST(Composer, PercussionOnlyAboveTheEnergyThreshold) {
  SessionParams p;
  p.energy = 0.4;
  for (const auto& phrase : compose(p, 100)) {
    EXPECT_TRUE(layer_notes(phrase, Layer::kick).empty());
    EXPECT_TRUE(layer_notes(phrase, Layer::brush).empty());
  }
  p.energy = 0.9;
  std::size_t kicks = 0, brushes = 0;
  std::set<int> velocities;
  for (const auto& phrase : compose(p, 100)) {
    const double spb = 60.0 / phrase.tempo_bpm;
    for (const auto& n : phrase.notes) {
      if (n.layer != Layer::kick && n.layer != Layer::brush) continue;
      (n.layer == Layer::kick ? kicks : brushes) += 1;
      velocities.insert(static_cast<int>(n.velocity * 1000));
      // Within 3 ms of the eighth-note grid.
      const double grid_s = std::round(n.onset_s / (spb / 2)) * (spb / 2);
      EXPECT_LE(std::abs(n.onset_s - grid_s), 0.003 + 1e-9);
      EXPECT_LE(n.velocity, 0.8f) << "soft";
    }
  }
  EXPECT_GT(kicks, 100u);
  EXPECT_GT(brushes, 100u);
  EXPECT_GT(velocities.size(), 50u) << "velocity jitter";
}

TEST(Composer, TextureSwellsIntoTheJoin) {
  SessionParams p;
  for (const auto& phrase : compose(p, 20)) {
    const auto swells = layer_notes(phrase, Layer::texture);
    ASSERT_FALSE(swells.empty());
    const double end = swells.back().onset_s + swells.back().duration_s;
    EXPECT_GE(end, phrase.duration_s);
    EXPECT_LE(end, phrase.duration_s + 60.0 / phrase.tempo_bpm) << "at or just after the join";
  }
}

TEST(Composer, TempoDriftsAtMostTwoBpmAPhraseAndStaysInRange) {
  for (double tempo : {40.0, 70.0, 120.0}) {
    SessionParams p;
    p.tempo_bpm = tempo;
    const auto phrases = compose(p, 400);
    EXPECT_DOUBLE_EQ(phrases.front().tempo_bpm, tempo);
    std::set<long> distinct;
    for (std::size_t i = 1; i < phrases.size(); ++i) {
      EXPECT_LE(std::abs(phrases[i].tempo_bpm - phrases[i - 1].tempo_bpm), 2.0 + 1e-9);
      EXPECT_GE(phrases[i].tempo_bpm, 40.0);
      EXPECT_LE(phrases[i].tempo_bpm, 120.0);
      EXPECT_LE(std::abs(phrases[i].tempo_bpm - tempo), 6.0 + 1e-9);
      distinct.insert(std::lround(phrases[i].tempo_bpm * 100));
    }
    EXPECT_GT(distinct.size(), 10u) << "the tempo drifts";
  }
}

TEST(Composer, KeyModulatesByFifthsThroughASharedChord) {
  SessionParams p;
  p.energy = 1.0;
  p.key_pc = 0;
  p.mode = Mode::ionian;
  const auto phrases = compose(p, 1000);
  int modulations = 0;
  for (std::size_t i = 1; i < phrases.size(); ++i) {
    const int from = phrases[i - 1].key_pc;
    const int to = phrases[i].key_pc;
    EXPECT_EQ(phrases[i].mode, Mode::ionian);
    if (from == to) continue;
    ++modulations;
    const int step = (to - from + 12) % 12;
    EXPECT_TRUE(step == 7 || step == 5) << "by a fifth, got " << step;
    // The pivot: the previous phrase's last chord lies in the new key too.
    for (int m : phrases[i - 1].chords.back().pitches) {
      EXPECT_TRUE(testing::in_mode(m, to, Mode::ionian)) << "pivot chord outside the new key";
    }
    // Never further than two fifths from home.
    const int fifths = ((to * 7) % 12 + 12) % 12;  // position on the circle from C
    EXPECT_TRUE(fifths <= 2 || fifths >= 10) << "key " << to;
  }
  // p = 0.08 + 0.1 * energy, less the joins where no chord is shared.
  EXPECT_GT(modulations, 60);
  EXPECT_LT(modulations, 220);
}

TEST(Composer, FirstChordContinuesFromThePreviousPhrase) {
  // The voicing across a phrase join moves as smoothly as within a phrase.
  SessionParams p;
  p.energy = 0.5;
  const auto phrases = compose(p, 300);
  double total = 0;
  for (std::size_t i = 1; i < phrases.size(); ++i) {
    const auto& a = phrases[i - 1].chords.back().pitches;
    const auto& b = phrases[i].chords.front().pitches;
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t v = 0; v < a.size(); ++v) total += std::abs(a[v] - b[v]);
  }
  EXPECT_LE(total / (phrases.size() - 1), 6.0);
}

TEST(Composer, LeadSitsOutAboutAQuarterOfPhrasesAndArches) {
  SessionParams p;
  p.energy = 0.85;
  p.brightness = 0.5;
  const auto phrases = compose(p, 2000);
  int silent = 0;
  double early = 0, middle = 0;
  int early_n = 0, middle_n = 0;
  for (const auto& phrase : phrases) {
    const auto lead = layer_notes(phrase, Layer::lead);
    silent += lead.empty();
    for (const auto& n : lead) {
      if (n.onset_beats < 4) {
        early += n.midi;
        ++early_n;
      } else if (n.onset_beats >= 18 && n.onset_beats < 24) {
        middle += n.midi;
        ++middle_n;
      }
    }
  }
  const double silent_share = silent / static_cast<double>(phrases.size());
  EXPECT_GT(silent_share, 0.08);
  EXPECT_LT(silent_share, 0.3);
  EXPECT_GT(middle / middle_n, early / early_n + 1.0) << "arch contour peaks mid-phrase";
}

TEST(Composer, LeadEndsLongOnAChordTone) {
  SessionParams p;
  p.energy = 0.5;
  int endings = 0;
  for (const auto& phrase : compose(p, 300)) {
    const auto lead = layer_notes(phrase, Layer::lead);
    if (lead.empty()) continue;
    const auto& last = lead.back();
    if (last.onset_beats < 24) continue;  // the ending note was dropped for a clash
    EXPECT_NEAR(last.onset_beats + last.duration_beats, 32.0, 1e-9) << "held to the join";
    const auto& pad = phrase.chords.back().pitches;
    const bool chord_tone =
        std::any_of(pad.begin(), pad.end(), [&](int m) { return m % 12 == last.midi % 12; }) ||
        last.midi % 12 == phrase.chords.back().root_pc ||
        last.midi % 12 == (phrase.chords.back().root_pc + 7) % 12;
    EXPECT_TRUE(chord_tone) << "ending " << last.midi << " over " << phrase.chords.back().name;
    ++endings;
  }
  EXPECT_GT(endings, 150);
}

TEST(ScoreFormat, DescribeAndJson) {
  SessionParams p;
  p.energy = 0.9;
  Composer composer(p);
  const Phrase phrase = composer.next();
  const std::string text = describe(phrase);
  EXPECT_NE(text.find("phrase 0"), std::string::npos) << text;
  EXPECT_NE(text.find("D "), std::string::npos) << text;
  EXPECT_NE(text.find(mode_name(phrase.mode)), std::string::npos) << text;
  EXPECT_NE(text.find("BPM"), std::string::npos) << text;
  EXPECT_NE(text.find(phrase.chords.front().name), std::string::npos) << text;
  EXPECT_NE(text.find("bar 8"), std::string::npos) << text;
  EXPECT_NE(text.find("pad "), std::string::npos) << text;
  EXPECT_NE(text.find("kick "), std::string::npos) << text;
  const std::string json = to_json(phrase);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  for (const char* key : {"\"index\":0", "\"key\":\"D\"", "\"mode\":", "\"tempo_bpm\":",
                          "\"chords\":[", "\"notes\":[", "\"layer\":\"pad\"", "\"pitches\":["}) {
    EXPECT_NE(json.find(key), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace auralis::music
