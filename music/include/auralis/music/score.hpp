// The score: what the composer hands to synthesis for one 8-bar phrase.
// Pure data; times are relative to the phrase start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace auralis::music {

enum class Mode : std::uint8_t { phrygian, aeolian, dorian, mixolydian, ionian, lydian };

// Layers the synth renders. Kick and brush are the two percussion voices.
enum class Layer : std::uint8_t { pad, lead, bass, texture, kick, brush };
inline constexpr int kLayerCount = 6;

struct Note {
  Layer layer = Layer::pad;
  std::uint8_t voice = 0;  // pad voice slot (0 = lowest); 0 for other layers
  int midi = 60;           // MIDI pitch (texture/brush: nominal, no pitch)
  float velocity = 0.8f;   // 0..1
  double onset_s = 0;      // from phrase start
  double duration_s = 0;   // gate length; the patch's release follows it
  double onset_beats = 0;
  double duration_beats = 0;
  // Pad: continues the previous phrase's note of this pitch across the join (onset 0, no new
  // attack): MUSIC.md's held common tones, which a phrase join must not retrigger either.
  bool tied = false;
};

struct ChordEvent {
  std::string name;  // display name, e.g. "Dm9"
  int root_pc = 0;   // pitch class of the chord root, 0 = C
  int degree = 1;    // scale degree of the root, 1..7
  int bar = 0;       // 0-based bar in the phrase
  double onset_beats = 0;
  double onset_s = 0;
  std::vector<int> pitches;  // pad voicing, MIDI, ascending
};

struct Phrase {
  std::uint64_t index = 0;  // 0-based phrase number in the session
  int key_pc = 0;           // tonic pitch class, 0 = C
  Mode mode = Mode::aeolian;
  double tempo_bpm = 70;
  int bars = 8;
  int beats_per_bar = 4;
  double duration_s = 0;  // bars * beats_per_bar * 60 / tempo_bpm
  // Sound-shaping parameters in force for this phrase (synthesis maps them to patches).
  double energy = 0.5;
  double brightness = 0.5;
  double density = 0.5;
  std::vector<ChordEvent> chords;
  std::vector<Note> notes;  // sorted by onset_s
};

const char* mode_name(Mode mode);      // "dorian"
const char* pitch_class_name(int pc);  // "C", "C#", ... "B"
const char* layer_name(Layer layer);   // "pad"

}  // namespace auralis::music
