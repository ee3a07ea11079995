// Hand-built phrases for the synthesis tests: the reference phrase is 8 bars at 70 BPM with every
// layer and every instrument, energy 0.6, the size the composer produces.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::synthesis::testing {

// The instrument a layer plays unless told otherwise.
inline music::Instrument default_instrument(music::Layer layer) {
  using L = music::Layer;
  using I = music::Instrument;
  switch (layer) {
    case L::pad:
      return I::warm_pad;
    case L::lead:
      return I::soft_lead;
    case L::bass:
      return I::sub_bass;
    case L::texture:
      return I::air;
    case L::kick:
      return I::kick;
    case L::brush:
      return I::brush;
    case L::ornament:
      return I::glass_bell;
  }
  return I::warm_pad;
}

inline music::Note make_note(music::Layer layer, int midi, double onset_beats, double beats,
                             double tempo_bpm, float velocity = 0.8f, std::uint8_t voice = 0) {
  music::Note n;
  n.layer = layer;
  n.instrument = default_instrument(layer);
  n.voice = voice;
  n.midi = midi;
  n.velocity = velocity;
  n.onset_beats = onset_beats;
  n.duration_beats = beats;
  n.onset_s = onset_beats * 60.0 / tempo_bpm;
  n.duration_s = beats * 60.0 / tempo_bpm;
  return n;
}

inline music::Phrase reference_phrase(std::uint64_t index = 0, double energy = 0.6) {
  music::Phrase p;
  p.index = index;
  p.key_pc = 2;
  p.mode = music::Mode::dorian;
  p.tempo_bpm = 70;
  p.bars = 8;
  p.beats_per_bar = 4;
  p.duration_s = p.bars * p.beats_per_bar * 60.0 / p.tempo_bpm;
  p.energy = energy;
  p.brightness = 0.5;
  p.density = 0.5;
  const double bpm = p.tempo_bpm;
  using L = music::Layer;
  // Four chords of two bars: Dm9, Bbmaj7, F6/9, C (voicings in MIDI 48..79).
  const std::vector<std::vector<int>> chords = {
      {50, 57, 60, 64, 65}, {50, 57, 62, 65, 69}, {53, 57, 62, 67, 69}, {52, 55, 60, 64, 67}};
  const int roots[] = {38, 34, 41, 36};
  for (int c = 0; c < 4; ++c) {
    for (std::size_t v = 0; v < chords[c].size(); ++v) {
      p.notes.push_back(
          make_note(L::pad, chords[c][v], c * 8.0, 8.0, bpm, 0.7f, static_cast<std::uint8_t>(v)));
      if (c >= 2) p.notes.back().instrument = music::Instrument::string_pad;
    }
    p.notes.push_back(make_note(L::bass, roots[c], c * 8.0, 4.0, bpm, 0.8f));
    p.notes.push_back(make_note(L::bass, roots[c], c * 8.0 + 4.0, 3.5, bpm, 0.7f));
  }
  // Lead: a sparse melody of eighths and quarters over the 32 beats.
  const int melody[] = {69, 72, 74, 72, 69, 67, 65, 67, 69, 74, 76, 74, 72, 69, 67, 69};
  for (int i = 0; i < 16; ++i) {
    p.notes.push_back(make_note(L::lead, melody[i], i * 2.0 + (i % 3 == 1 ? 0.5 : 0.0),
                                i % 4 == 3 ? 1.5 : 0.75, bpm, 0.75f));
  }
  // The lead's other instruments take over in the second half.
  for (auto& n : p.notes) {
    if (n.layer != L::lead || n.onset_beats < 16) continue;
    n.instrument = n.onset_beats < 22 ? music::Instrument::electric_piano
                                      : (n.onset_beats < 27 ? music::Instrument::pluck
                                                            : music::Instrument::glass_bell);
  }
  // Ornaments: a loop figure of bells and plucks, and a shimmer chord above.
  for (int k = 0; k < 5; ++k) {
    p.notes.push_back(make_note(L::ornament, 81 + 2 * (k % 3), 3.0 + 6.3 * k, 2.0, bpm, 0.5f));
    if (k % 2 == 1) p.notes.back().instrument = music::Instrument::pluck;
  }
  for (int k = 0; k < 2; ++k) {
    p.notes.push_back(make_note(L::ornament, 86 + 7 * k, 10.0 + k, 8.0, bpm, 0.5f));
    p.notes.back().instrument = music::Instrument::shimmer;
  }
  // Texture: a breath of air.
  p.notes.push_back(make_note(L::texture, 60, 24.0, 10.0, bpm, 0.5f));
  for (int beat = 0; beat < 32; ++beat) {
    if (beat % 2 == 0) p.notes.push_back(make_note(L::kick, 36, beat, 0.5, bpm, 0.8f));
    p.notes.push_back(make_note(L::brush, 60, beat + 0.5, 0.25, bpm, 0.5f));
  }
  std::stable_sort(p.notes.begin(), p.notes.end(),
                   [](const auto& a, const auto& b) { return a.onset_s < b.onset_s; });
  return p;
}

}  // namespace auralis::synthesis::testing
