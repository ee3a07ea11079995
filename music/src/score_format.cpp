#include "auralis/music/score_format.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace auralis::music {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace

std::string describe(const Phrase& phrase) {
  std::string out;
  out += "phrase " + std::to_string(phrase.index) + ": " + pitch_class_name(phrase.key_pc) + " " +
         mode_name(phrase.mode) + ", " + fixed(phrase.tempo_bpm, 1) + " BPM, " +
         std::to_string(phrase.bars) + " bars of " + std::to_string(phrase.beats_per_bar) + " (" +
         fixed(phrase.duration_s, 2) + " s)\n";
  out += "  section " + std::to_string(phrase.section) + " (" +
         section_character_name(phrase.section_character) + ", phrase " +
         std::to_string(phrase.section_phrase + 1) + " of " +
         std::to_string(phrase.section_phrases) + "), energy " + fixed(phrase.energy, 2) +
         ", brightness " + fixed(phrase.brightness, 2) + ", density " + fixed(phrase.density, 2) +
         ", level " + fixed(phrase.level_db, 1) + " dB\n";
  out += "  chords:";
  for (const auto& chord : phrase.chords) {
    out += " [bar " + std::to_string(chord.bar + 1) + "] " + chord.name;
  }
  out += "\n  notes:";
  std::array<int, kLayerCount> counts{};
  for (const auto& note : phrase.notes) ++counts[static_cast<std::size_t>(note.layer)];
  for (int layer = 0; layer < kLayerCount; ++layer) {
    out += std::string(layer == 0 ? " " : ", ") + layer_name(static_cast<Layer>(layer)) + " " +
           std::to_string(counts[static_cast<std::size_t>(layer)]);
  }
  out += "\n";
  return out;
}

std::string to_json(const Phrase& phrase) {
  nlohmann::json chords = nlohmann::json::array();
  for (const auto& chord : phrase.chords) {
    chords.push_back({{"name", chord.name},
                      {"root_pc", chord.root_pc},
                      {"root", pitch_class_name(chord.root_pc)},
                      {"degree", chord.degree},
                      {"bar", chord.bar},
                      {"onset_beats", chord.onset_beats},
                      {"onset_s", chord.onset_s},
                      {"pitches", chord.pitches}});
  }
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& note : phrase.notes) {
    notes.push_back({{"layer", layer_name(note.layer)},
                     {"instrument", instrument_name(note.instrument)},
                     {"voice", note.voice},
                     {"midi", note.midi},
                     {"velocity", note.velocity},
                     {"onset_s", note.onset_s},
                     {"duration_s", note.duration_s},
                     {"onset_beats", note.onset_beats},
                     {"duration_beats", note.duration_beats},
                     {"tied", note.tied}});
  }
  const nlohmann::json j = {{"index", phrase.index},
                            {"key", pitch_class_name(phrase.key_pc)},
                            {"key_pc", phrase.key_pc},
                            {"mode", mode_name(phrase.mode)},
                            {"tempo_bpm", phrase.tempo_bpm},
                            {"bars", phrase.bars},
                            {"beats_per_bar", phrase.beats_per_bar},
                            {"duration_s", phrase.duration_s},
                            {"energy", phrase.energy},
                            {"brightness", phrase.brightness},
                            {"density", phrase.density},
                            {"level_db", phrase.level_db},
                            {"section", phrase.section},
                            {"section_character", section_character_name(phrase.section_character)},
                            {"section_phrase", phrase.section_phrase},
                            {"section_phrases", phrase.section_phrases},
                            {"chords", std::move(chords)},
                            {"notes", std::move(notes)}};
  return j.dump();
}

}  // namespace auralis::music
