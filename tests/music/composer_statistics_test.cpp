// The composer's objective checks (docs/music.md, "Checks") over 1,000 phrases for each of the six
// modes and three energies.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "auralis/music/composer.hpp"
#include "music/phrase_checks.hpp"

namespace auralis::music {
namespace {

using testing::fingerprint;
using testing::in_mode;
using testing::jaccard;
using testing::pad_sounding_at;
using testing::pc_bigrams;

constexpr int kPhrasesPerCell = 1000;

struct CellStats {
  long pad_notes = 0, pad_in_mode = 0;
  long bass_notes = 0, bass_in_mode = 0;
  long lead_notes = 0, lead_in_mode = 0;
  long changes = 0;
  double total_motion = 0;
  long changes_within_seven = 0;
  long pad_clashes = 0;         // semitone or tritone between two sounding pad voices
  long retriggered_common = 0;  // a held common tone struck again at a chord change
  double jaccard_sum = 0;
  long jaccard_pairs = 0;
  long repeats = 0;
};

// Brightness inside each mode's band, so the pad's voice count follows the mode's colour.
double brightness_for(Mode mode) {
  static constexpr double kBrightness[] = {0.07, 0.25, 0.45, 0.62, 0.8, 0.94};
  return kBrightness[static_cast<int>(mode)];
}

CellStats measure(Mode mode, double energy) {
  SessionParams params;
  params.mode = mode;
  params.energy = energy;
  params.brightness = brightness_for(mode);
  params.seed =
      1000 + static_cast<std::uint64_t>(mode) * 10 + static_cast<std::uint64_t>(energy * 9);
  params.key_pc = static_cast<int>(mode) * 5 % 12;
  Composer composer(params);

  CellStats s;
  std::vector<int> previous_voicing;
  std::set<std::pair<int, int>> previous_bigrams;
  std::set<std::vector<std::int64_t>> seen;
  for (int i = 0; i < kPhrasesPerCell; ++i) {
    const Phrase phrase = composer.next();
    for (const auto& note : phrase.notes) {
      const bool ok = in_mode(note.midi, phrase.key_pc, phrase.mode);
      if (note.layer == Layer::pad) {
        ++s.pad_notes;
        s.pad_in_mode += ok;
      } else if (note.layer == Layer::bass) {
        ++s.bass_notes;
        s.bass_in_mode += ok;
      } else if (note.layer == Layer::lead) {
        ++s.lead_notes;
        s.lead_in_mode += ok;
      }
    }
    for (std::size_t c = 0; c < phrase.chords.size(); ++c) {
      const auto& voicing = phrase.chords[c].pitches;
      if (!previous_voicing.empty() && voicing != previous_voicing &&
          voicing.size() == previous_voicing.size()) {
        int total = 0;
        int largest = 0;
        for (std::size_t v = 0; v < voicing.size(); ++v) {
          const int move = std::abs(voicing[v] - previous_voicing[v]);
          total += move;
          largest = std::max(largest, move);
        }
        ++s.changes;
        s.total_motion += total;
        s.changes_within_seven += largest <= 7;
      }
      // What actually sounds just after the change must be this voicing, clash-free.
      const double t = phrase.chords[c].onset_s + 0.01;
      const auto sounding = pad_sounding_at(phrase, t);
      for (std::size_t a = 0; a < sounding.size(); ++a) {
        for (std::size_t b = a + 1; b < sounding.size(); ++b) {
          const int interval = sounding[b] - sounding[a];
          s.pad_clashes += interval == 1 || interval == 6;
        }
      }
      if (c > 0) {
        for (const auto& note : phrase.notes) {
          if (note.layer == Layer::pad &&
              std::abs(note.onset_beats - phrase.chords[c].onset_beats) < 1e-9 &&
              std::find(previous_voicing.begin(), previous_voicing.end(), note.midi) !=
                  previous_voicing.end()) {
            ++s.retriggered_common;
          }
        }
      }
      previous_voicing = voicing;
    }
    auto bigrams = pc_bigrams(phrase);
    // Novelty between neighbours within a section; a section join is a contrast by design.
    if (i > 0 && phrase.section_phrase > 0) {
      s.jaccard_sum += jaccard(previous_bigrams, bigrams);
      ++s.jaccard_pairs;
    }
    previous_bigrams = std::move(bigrams);
    s.repeats += !seen.insert(fingerprint(phrase)).second;
  }
  return s;
}

class ComposerStatistics : public ::testing::TestWithParam<std::tuple<Mode, double>> {};

TEST_P(ComposerStatistics, MeetsTheCompositionChecks) {
  const auto [mode, energy] = GetParam();
  const CellStats s = measure(mode, energy);
  const double pad_ratio = static_cast<double>(s.pad_in_mode) / static_cast<double>(s.pad_notes);
  const double bass_ratio = static_cast<double>(s.bass_in_mode) / static_cast<double>(s.bass_notes);
  const double lead_ratio =
      s.lead_notes ? static_cast<double>(s.lead_in_mode) / static_cast<double>(s.lead_notes) : 1;
  const double mean_motion = s.total_motion / static_cast<double>(s.changes);
  const double within_seven =
      static_cast<double>(s.changes_within_seven) / static_cast<double>(s.changes);
  const double mean_jaccard = s.jaccard_sum / static_cast<double>(s.jaccard_pairs);
  const double repeat_rate = static_cast<double>(s.repeats) / kPhrasesPerCell;
  std::printf(
      "  %-10s energy %.2f: pad %.4f bass %.4f lead %.4f | changes %ld mean motion %.2f "
      "<=7: %.4f | jaccard %.3f repeats %.3f | lead notes %ld\n",
      mode_name(mode), energy, pad_ratio, bass_ratio, lead_ratio, s.changes, mean_motion,
      within_seven, mean_jaccard, repeat_rate, s.lead_notes);

  EXPECT_GT(s.pad_notes, 0);
  EXPECT_EQ(s.pad_in_mode, s.pad_notes) << "pad notes outside the sounding mode";
  EXPECT_EQ(s.bass_in_mode, s.bass_notes) << "bass notes outside the sounding mode";
  EXPECT_GT(s.lead_notes, 0);
  EXPECT_GE(lead_ratio, 0.95) << "lead notes in the sounding mode";
  EXPECT_GT(s.changes, kPhrasesPerCell);
  EXPECT_LE(mean_motion, 6.0) << "mean total pad motion per chord change, semitones";
  EXPECT_GE(within_seven, 0.95) << "changes where no pad voice moves more than 7 semitones";
  EXPECT_EQ(s.pad_clashes, 0) << "semitones or tritones between sounding pad voices";
  EXPECT_EQ(s.retriggered_common, 0) << "held common tones retriggered at a chord change";
  EXPECT_GE(mean_jaccard, 0.3) << "consecutive phrases too different (pc bigram Jaccard)";
  EXPECT_LE(mean_jaccard, 0.7) << "consecutive phrases too alike (pc bigram Jaccard)";
  EXPECT_LT(repeat_rate, 0.05) << "exact phrase repeats";
}

std::string cell_name(const ::testing::TestParamInfo<std::tuple<Mode, double>>& cell) {
  return std::string(mode_name(std::get<0>(cell.param))) + "_energy" +
         std::to_string(static_cast<int>(std::get<1>(cell.param) * 100));
}

INSTANTIATE_TEST_SUITE_P(SixModesThreeEnergies, ComposerStatistics,
                         ::testing::Combine(::testing::Values(Mode::phrygian, Mode::aeolian,
                                                              Mode::dorian, Mode::mixolydian,
                                                              Mode::ionian, Mode::lydian),
                                            ::testing::Values(0.15, 0.5, 0.85)),
                         cell_name);

}  // namespace
}  // namespace auralis::music
