// The score: what the composer hands to synthesis for one 8-bar phrase.
// Pure data; times are relative to the phrase start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace auralis::music {

enum class Mode : std::uint8_t { phrygian, aeolian, dorian, mixolydian, ionian, lydian };

// Layers the synth renders, one mixer bus each. Kick and brush are the two percussion voices;
// ornament carries the voices off the phrase clock and around the lead: Eno-style loops,
// counter-melodies and the shimmer (docs/music.md, "Layers and instruments").
enum class Layer : std::uint8_t { pad, lead, bass, texture, kick, brush, ornament };
inline constexpr int kLayerCount = 7;

// The instrument (patch) a note is played on. A layer hosts several: the pad is a warm saw pad
// or a bowed string ensemble, the lead and the ornaments change instrument from section to
// section.
enum class Instrument : std::uint8_t {
  warm_pad,        // three detuned saws, low-passed on the pad bus
  string_pad,      // bowed ensemble: two detuned saws and one an octave up, slow bow swell
  soft_lead,       // 2-op FM 1:1, soft index, delayed vibrato (a flute-like voice)
  electric_piano,  // 2-op FM 1:1, bright struck index decaying fast, long decay
  glass_bell,      // 2-op FM 1:3.5 (inharmonic partials), long ring
  pluck,           // modal string: four partials, higher ones dying first
  shimmer,         // beating sine pairs high above the harmony
  sub_bass,        // sine through a soft clip
  air,             // noise, pinked and band-passed on the texture bus
  kick,
  brush,
};
inline constexpr int kInstrumentCount = 11;

// Beats are the written score (the grid a note belongs to); seconds are the performance (the lead
// is played a few ms around its grid, the loops run on their own clocks): synthesis plays
// onset_s / duration_s.
struct Note {
  Layer layer = Layer::pad;
  Instrument instrument = Instrument::warm_pad;
  std::uint8_t voice = 0;  // pad voice slot (0 = lowest); 0 for other layers
  int midi = 60;           // MIDI pitch (air/kick/brush: nominal, no pitch)
  float velocity = 0.8f;   // 0..1
  double onset_s = 0;      // from phrase start, as played
  double duration_s = 0;   // gate length; the patch's release follows it
  double onset_beats = 0;  // as written (on the grid)
  double duration_beats = 0;
  // Pad: continues the previous phrase's note of this pitch across the join (onset 0, no new
  // attack): held common tones (docs/music.md, "Voice leading"), which a phrase join must not
  // retrigger either.
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
  // Sound-shaping parameters in force for this phrase (synthesis maps them to patches): the
  // session's values moved by the section's arc (docs/music.md, "Form").
  double energy = 0.5;
  double brightness = 0.5;
  double density = 0.5;
  // Dynamics: where the phrase sits against the long-term loudness target, dB (the mixer's
  // loudness control follows it slowly; its long-term mean is about 0).
  double level_db = 0;
  // Form: which section the phrase belongs to, its character and the phrase's place in it.
  std::uint32_t section = 0;
  std::uint8_t section_character = 0;  // see section_character_name()
  std::uint16_t section_phrase = 0;    // 0-based phrase within the section
  std::uint16_t section_phrases = 1;   // phrases in the section
  std::vector<ChordEvent> chords;
  std::vector<Note> notes;  // sorted by onset_s
};

const char* mode_name(Mode mode);                    // "dorian"
const char* pitch_class_name(int pc);                // "C", "C#", ... "B"
const char* layer_name(Layer layer);                 // "pad"
const char* instrument_name(Instrument instrument);  // "glass_bell"
const char* section_character_name(int character);   // "open", "drift", "song", "bloom"

}  // namespace auralis::music
