#include "auralis/music/composer.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <stdexcept>

#include "chords.hpp"
#include "form.hpp"
#include "melody.hpp"
#include "ornaments.hpp"
#include "progression.hpp"
#include "rhythm.hpp"
#include "rng.hpp"
#include "tables.hpp"
#include "theory.hpp"
#include "voicing.hpp"

namespace auralis::music {
namespace {

void throw_if_invalid(const SessionParams& params) {
  if (auto error = validate(params)) {
    throw std::invalid_argument(error->field + ": " + error->message);
  }
}

bool chord_in_scale(const Chord& chord, const Scale& scale) {
  return (chord.pcs() & ~scale.mask) == 0;
}

// Draws for a pivot chord before a key change goes ahead without one.
constexpr int kPivotDraws = 12;

// `chord`, or its plain triad, when it also belongs to `old`'s scale (a pivot between keys).
bool shared_with(Chord& chord, const Scale& scale, const Scale& old) {
  if (chord_in_scale(chord, old)) return true;
  Chord triad = chord;
  if (!fit_chord(ChordType::maj, chord.root_pc, scale, triad.type) || !chord_in_scale(triad, old))
    return false;
  chord = triad;
  return true;
}

// FNV-1a over the phrase's harmony: chord voicings and bass notes in order.
std::uint64_t harmony_fingerprint(const std::vector<Voicing>& voicings,
                                  const std::vector<int>& bass_notes) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  const auto mix = [&h](int value) {
    h ^= static_cast<std::uint64_t>(static_cast<std::uint32_t>(value));
    h *= 0x100000001B3ULL;
  };
  mix(static_cast<int>(voicings.size()));
  for (std::size_t i = 0; i < voicings.size(); ++i) {
    for (int k = 0; k < voicings[i].count; ++k) mix(voicings[i].midi[static_cast<std::size_t>(k)]);
    mix(-bass_notes[i]);
  }
  return h;
}

int chords_for(const Section& section, double session_energy) {
  const std::size_t c = section.c();
  return session_energy > tables::kChordsMoreAboveEnergy[c] ? tables::kChordsEnergetic[c]
                                                            : tables::kChordsCalm[c];
}

}  // namespace

struct Composer::State {
  SessionParams params;
  std::uint64_t next_index = 0;
  double time_s = 0;  // session time of the next phrase's start

  // Where the drifting key and tempo stand now.
  int key_pc = 0;
  int fifths_from_home = 0;
  double tempo_bpm = 70;

  // Form: the section in progress and what the ornaments carry across phrases.
  bool has_section = false;
  Section section;
  int section_phrase = 0;
  FormMemory form;
  std::vector<Loop> loops;
  EventClock events;

  // What the previous phrase left: its last chord, pad voicing and bass note; the cell memory.
  bool has_previous = false;
  std::vector<std::pair<int, int>> pad_sounding;  // (MIDI, voice slot) of pad notes held to its end
  Chord previous_chord;
  Voicing previous_voicing;
  int previous_bass_midi = tables::kBassStartMidi;
  std::vector<Chord> previous_progression;
  std::vector<int> previous_columns;
  std::vector<Voicing> previous_voicings;
  int previous_key_pc = 0;
  Mode previous_mode = Mode::aeolian;
  bool previous_restated = false;
  bool pad_rested = false;
  std::deque<std::uint64_t> recent_harmony;  // fingerprints, newest first
  CellMemory cells;

  VoicingCache voicings;

  // A mid-phrase key change: the chord at this bar of the next phrase is shared with this scale.
  struct Pivot {
    int bar = 0;
    Scale shared_with;
  };
  std::optional<Pivot> pivot;

  void advance_form();
  void drift(Rng& rng, Mode mode, double target_bpm);
  int entry_column(Mode mode, const Scale& scale) const;
  Phrase compose();
};

// A new section when the last one is played out.
void Composer::State::advance_form() {
  if (has_section && section_phrase < section.phrases) return;
  const std::uint32_t index = has_section ? section.index + 1 : 0;
  const double phrase_s = tables::kBarsPerPhrase * tables::kBeatsPerBar * 60.0 / params.tempo_bpm;
  section = plan_section(params, index, time_s, phrase_s, form);
  section_phrase = 0;
  has_section = true;
  loops =
      plan_loops(params.seed, section,
                 std::clamp(params.brightness + tables::kBrightnessOffset[section.c()], 0.0, 1.0));
}

void Composer::State::drift(Rng& rng, Mode mode, double target_bpm) {
  // Tempo: a small random walk pulled toward the section's tempo.
  double delta = rng.uniform(-tables::kTempoStepBpm, tables::kTempoStepBpm) +
                 tables::kTempoPullToSection * (target_bpm - tempo_bpm);
  delta = std::clamp(delta, -tables::kTempoDriftMaxBpm, tables::kTempoDriftMaxBpm);
  tempo_bpm = std::clamp(tempo_bpm + delta, params.tempo_bpm - tables::kTempoWanderMaxBpm,
                         params.tempo_bpm + tables::kTempoWanderMaxBpm);
  tempo_bpm = std::clamp(tempo_bpm, tables::kTempoMinBpm, tables::kTempoMaxBpm);

  // Key: now and then up or down a fifth, through a chord both keys share.
  if (!rng.chance(tables::kModulationBase + tables::kModulationPerEnergy * params.energy)) return;
  int first = rng.sign();
  if (fifths_from_home != 0 && rng.chance(tables::kModulateTowardHome)) {
    first = fifths_from_home > 0 ? -1 : 1;
  }
  for (int direction : {first, -first}) {
    if (std::abs(fifths_from_home + direction) > tables::kMaxFifthsFromHome) continue;
    const int key = pitch_class(key_pc + direction * tables::kFifthSemitones);
    const Scale scale = make_scale(key, mode);
    if (!chord_in_scale(previous_chord, scale)) continue;
    if (column_for_degree(mode, scale.degree_of(previous_chord.root_pc)) < 0) continue;
    key_pc = key;
    fifths_from_home += direction;
    return;
  }
}

// The Markov column the previous phrase's last chord stands for in this key and mode.
int Composer::State::entry_column(Mode mode, const Scale& scale) const {
  if (!chord_in_scale(previous_chord, scale)) return 0;
  const int column = column_for_degree(mode, scale.degree_of(previous_chord.root_pc));
  return column < 0 ? 0 : column;
}

Phrase Composer::State::compose() {
  const std::uint64_t index = next_index;
  advance_form();
  const std::size_t character = section.c();
  const PhraseShape shape = shape_phrase(params, section, section_phrase);
  const Mode mode = shape.mode;
  if (has_previous) {
    Rng drift_rng = Rng::for_stream(params.seed, index, tables::kStreamDrift);
    drift(drift_rng, mode, shape.tempo_bpm);
  }
  const Scale scale = make_scale(key_pc, mode);
  const double colour = chord_colour(shape.brightness);
  const PhraseClock clock{tempo_bpm, tables::kBarsPerPhrase, tables::kBeatsPerBar};

  Phrase phrase;
  phrase.index = index;
  phrase.key_pc = key_pc;
  phrase.mode = mode;
  phrase.tempo_bpm = tempo_bpm;
  phrase.bars = clock.bars;
  phrase.beats_per_bar = clock.beats_per_bar;
  phrase.duration_s = clock.total_beats() * clock.seconds_per_beat();
  phrase.energy = shape.energy;
  phrase.brightness = shape.brightness;
  phrase.density = params.density;
  phrase.level_db = shape.level_db;
  phrase.section = section.index;
  phrase.section_character = static_cast<std::uint8_t>(section.character);
  phrase.section_phrase = static_cast<std::uint16_t>(section_phrase);
  phrase.section_phrases = static_cast<std::uint16_t>(section.phrases);

  // Harmony: the chord sequence, continuing from the previous phrase's last chord.
  Rng harmony_rng = Rng::for_stream(params.seed, index, tables::kStreamHarmony);
  Rng voicing_rng = Rng::for_stream(params.seed, index, tables::kStreamVoicing);
  const int chord_count = chords_for(section, params.energy);
  const int bars_per_chord = clock.bars / chord_count;
  const int voices =
      std::min(tables::kPadVoicesRich,
               tables::kPadVoicesBase[character] + (colour > tables::kPadRichAboveColour ? 1 : 0));
  const double pad_centre = tables::kPadCentreMidi[character];
  int column = has_previous ? entry_column(mode, scale) : 0;
  // Period form: restate the previous progression now and then (never twice running).
  const double restate_p =
      tables::kRestateCalm + (tables::kRestateEnergetic - tables::kRestateCalm) * shape.energy;
  const bool restate =
      has_previous && !previous_restated &&
      previous_progression.size() == static_cast<std::size_t>(chord_count) &&
      previous_key_pc == key_pc && previous_mode == mode &&
      transition_weight(mode, previous_columns.back(), previous_columns.front()) > 0 &&
      harmony_rng.chance(restate_p);
  std::vector<int> columns;
  std::vector<Chord> chords;
  std::vector<Voicing> voicings_used;
  std::vector<int> bass_notes;
  for (int i = 0; i < chord_count; ++i) {
    const bool final = i == chord_count - 1;
    Chord chord;
    if (restate) {
      column = previous_columns[static_cast<std::size_t>(i)];
      chord = previous_progression[static_cast<std::size_t>(i)];
    } else {
      const int from_column = column;
      if (i > 0 || has_previous) column = next_column(mode, column, final, harmony_rng);
      chord = choose_chord(scale, column_degree(mode, column), colour, harmony_rng);
      if (pivot && i == pivot->bar / bars_per_chord) {
        // Draw again (a few times) for a chord the old key shares; none: a direct modulation.
        for (int tries = 0; tries < kPivotDraws && !shared_with(chord, scale, pivot->shared_with);
             ++tries) {
          if (i > 0 || has_previous) column = next_column(mode, from_column, final, harmony_rng);
          chord = choose_chord(scale, column_degree(mode, column), colour, harmony_rng);
        }
      }
    }
    columns.push_back(column);
    const Voicing& previous = voicings_used.empty() ? previous_voicing : voicings_used.back();
    Voicing voicing;
    const Voicing* preferred =
        restate && previous_voicings[static_cast<std::size_t>(i)].count == voices
            ? &previous_voicings[static_cast<std::size_t>(i)]
            : nullptr;
    while (!choose_voicing(voicings, chord, voices, previous, voicing_rng, voicing, preferred,
                           pad_centre)) {
      const ChordType reduced = reduced_type(chord.type);
      if (reduced == chord.type) {
        // Without extensions and still no voicing: fall back to the plain triad.
        ChordType triad = ChordType::maj;
        fit_chord(ChordType::maj, chord.root_pc, scale, triad);
        if (triad == chord.type) break;
        chord.type = triad;
      } else {
        chord.type = reduced;
      }
    }
    const int last_bass = bass_notes.empty() ? previous_bass_midi : bass_notes.back();
    chords.push_back(chord);
    voicings_used.push_back(voicing);
    bass_notes.push_back(choose_bass(chord.root_pc, last_bass));
  }
  const bool pad_rests =
      harmony_rng.chance(tables::kPadRestChance[character]) && section_phrase >= 2 && !pad_rested;
  const bool bass_plays = harmony_rng.chance(tables::kBassPhraseChance[character]);

  std::vector<ChordSpan> spans;
  for (int i = 0; i < chord_count; ++i) {
    const int bar = i * bars_per_chord;
    ChordEvent event;
    event.name = chords[static_cast<std::size_t>(i)].name();
    event.root_pc = chords[static_cast<std::size_t>(i)].root_pc;
    event.degree = chords[static_cast<std::size_t>(i)].degree;
    event.bar = bar;
    event.onset_beats = static_cast<double>(bar * clock.beats_per_bar);
    event.onset_s = event.onset_beats * clock.seconds_per_beat();
    event.pitches = voicings_used[static_cast<std::size_t>(i)].to_vector();
    phrase.chords.push_back(std::move(event));
    spans.push_back({bar * tables::kSlotsPerBar, (bar + bars_per_chord) * tables::kSlotsPerBar,
                     chords[static_cast<std::size_t>(i)].pcs(),
                     voicings_used[static_cast<std::size_t>(i)]});
  }

  // Pad: one note per voice, held (not retriggered) while its pitch stays in the voicing, also
  // across the join: the previous phrase's notes held to its end come in as held from beat 0.
  // A voice that changes note lets go at the chord and enters a little later, lowest first.
  const double beats_per_chord = static_cast<double>(bars_per_chord * clock.beats_per_bar);
  std::vector<std::pair<int, int>> pad_sounding_at_end;
  if (params.layers.pad) {
    struct Held {
      int midi;
      int voice;
      double onset_beats;
      bool tied;  // from the previous phrase
    };
    std::vector<Held> held;
    if (!pad_rests) {
      for (const auto& [midi, voice] : pad_sounding) held.push_back({midi, voice, 0.0, true});
    }
    const double velocity = tables::kPadVelocity[character] +
                            tables::kPadVelocityPerEnergy * (shape.energy - 0.5) +
                            0.08 * (shape.intensity - 0.5);
    const auto release = [&](const Held& h, double end_beats) {
      const double v =
          velocity + voicing_rng.uniform(-tables::kPadVelocityJitter, tables::kPadVelocityJitter);
      if (end_beats <= h.onset_beats) return;  // ended before it began: nothing left here
      Note note = make_note(clock, Layer::pad, section.pad, h.voice, h.midi, v, h.onset_beats,
                            end_beats - h.onset_beats);
      note.tied = h.tied;
      phrase.notes.push_back(note);
    };
    for (int i = 0; i < chord_count && !pad_rests; ++i) {
      const double onset = i * beats_per_chord;
      const Voicing& v = voicings_used[static_cast<std::size_t>(i)];
      std::vector<Held> next;
      for (const auto& h : held) {
        if (v.contains(h.midi)) {
          next.push_back(h);
        } else {
          release(h, onset);
        }
      }
      for (int slot = 0; slot < v.count; ++slot) {
        const int midi = v.midi[static_cast<std::size_t>(slot)];
        const bool already =
            std::any_of(next.begin(), next.end(), [&](const Held& h) { return h.midi == midi; });
        if (already) continue;
        const double stagger = tables::kPadStaggerBeats * slot / std::max(1, v.count - 1) +
                               voicing_rng.uniform(0.0, tables::kPadStaggerJitterBeats);
        next.push_back({midi, slot, onset + std::min(stagger, 0.5 * beats_per_chord), false});
      }
      held = std::move(next);
    }
    for (const auto& h : held) {
      pad_sounding_at_end.emplace_back(h.midi, h.voice);
      release(h, clock.total_beats());
    }
  }

  // Bass: the root per chord; restruck on each bar of a long chord when energetic.
  if (params.layers.bass && bass_plays) {
    const double velocity =
        tables::kBassVelocityBase + tables::kBassVelocityPerEnergy * shape.energy;
    const bool pulse =
        shape.energy > tables::kBassPulseAboveEnergy && section.character != Character::open;
    for (int i = 0; i < chord_count; ++i) {
      const double onset = i * beats_per_chord;
      const int strikes = pulse ? bars_per_chord : 1;
      const double length = beats_per_chord / strikes;
      for (int k = 0; k < strikes; ++k) {
        phrase.notes.push_back(make_note(
            clock, Layer::bass, Instrument::sub_bass, 0, bass_notes[static_cast<std::size_t>(i)],
            velocity * (k == 0 ? 1.0 : tables::kBassRestrikeLevel), onset + k * length, length));
      }
    }
  }

  // Lead: composed even when muted, so the cell memory does not depend on the switch.
  {
    Rng lead_rng = Rng::for_stream(params.seed, index, tables::kStreamLead);
    LeadSettings settings;
    settings.tonic_pc = key_pc;
    settings.mode = mode;
    settings.energy = shape.energy;
    settings.brightness = shape.brightness;
    settings.density = params.density;
    settings.intensity = shape.intensity;
    settings.density_scale = tables::kLeadDensityScale[character];
    settings.deja_vu = params.deja_vu.value_or(
        tables::kDejaVuCalm + (tables::kDejaVuEnergetic - tables::kDejaVuCalm) * params.energy);
    settings.register_shift = tables::kLeadShift[character];
    settings.sit_out = tables::kLeadSitOut[character];
    settings.answers = tables::kAnswers[character];
    settings.phrase_slots = clock.bars * tables::kSlotsPerBar;
    settings.phrase_index = index;
    // A harmony heard lately needs a melody, so a phrase is never repeated exactly.
    const std::uint64_t harmony = harmony_fingerprint(voicings_used, bass_notes);
    const bool heard =
        std::find(recent_harmony.begin(), recent_harmony.end(), harmony) != recent_harmony.end();
    recent_harmony.push_front(harmony);
    if (recent_harmony.size() > tables::kHarmonyMemoryPhrases) recent_harmony.pop_back();
    settings.may_sit_out = !restate && !heard;
    const LeadPhrase lead = compose_lead(settings, spans, cells, lead_rng);
    if (params.layers.lead) {
      const double beats_per_slot = static_cast<double>(clock.beats_per_bar) / tables::kSlotsPerBar;
      const auto emit = [&](const LeadNote& n, Layer layer, Instrument instrument) {
        Note note = make_note(clock, layer, instrument, 0, n.midi, n.velocity,
                              n.slot * beats_per_slot, n.length_slots * beats_per_slot);
        note.onset_s = std::max(0.0, note.onset_s + n.offset_s);  // as played
        phrase.notes.push_back(note);
      };
      for (const auto& n : lead.lead) emit(n, Layer::lead, section.lead);
      for (const auto& n : lead.answer) emit(n, Layer::ornament, section.ornament);
    }
  }

  // Ornaments off the phrase clock: the section's loops, shimmer and air.
  {
    OrnamentContext ctx;
    ctx.seed = params.seed;
    ctx.phrase_index = index;
    ctx.phrase_start_s = time_s;
    ctx.clock = clock;
    ctx.section = &section;
    ctx.intensity = shape.intensity;
    ctx.chords = &phrase.chords;
    if (params.layers.lead) add_loop_notes(ctx, loops, phrase.notes);
    add_random_events(ctx, params.layers.texture, params.layers.texture, events, phrase.notes);
  }

  const bool pulse_section =
      tables::kPulse[character] && params.energy > tables::kPercussionAboveEnergy &&
      (section.character != Character::song || params.energy > tables::kPulseSongAboveEnergy);
  if (params.layers.percussion && pulse_section) {
    Rng percussion_rng = Rng::for_stream(params.seed, index, tables::kStreamPercussion);
    add_percussion(clock, shape.energy, params.density, percussion_rng, phrase.notes);
  }

  std::stable_sort(phrase.notes.begin(), phrase.notes.end(), [](const Note& a, const Note& b) {
    if (a.onset_s != b.onset_s) return a.onset_s < b.onset_s;
    if (a.layer != b.layer) return a.layer < b.layer;
    return a.midi < b.midi;
  });

  has_previous = true;
  previous_chord = chords.back();
  previous_progression = chords;
  previous_columns = columns;
  previous_voicings = voicings_used;
  previous_key_pc = key_pc;
  previous_mode = mode;
  previous_restated = restate;
  previous_voicing = voicings_used.back();
  pad_sounding = std::move(pad_sounding_at_end);
  pad_rested = pad_rests;
  previous_bass_midi = bass_notes.back();
  time_s += phrase.duration_s;
  ++section_phrase;
  ++next_index;
  return phrase;
}

Composer::Composer(const SessionParams& params) : state_(std::make_unique<State>()) {
  throw_if_invalid(params);
  state_->params = params;
  state_->key_pc = params.key_pc;
  state_->tempo_bpm = params.tempo_bpm;
}

Phrase Composer::next() {
  Phrase phrase = state_->compose();
  state_->pivot.reset();
  return phrase;
}

void Composer::pivot_at_bar(int bar, int key_pc, Mode mode) {
  state_->pivot = State::Pivot{std::max(bar, 0), make_scale(key_pc, mode)};
}

void Composer::set_params(const SessionParams& params) {
  throw_if_invalid(params);
  State& s = *state_;
  if (params.key_pc != s.params.key_pc) {
    s.key_pc = params.key_pc;  // a new home key: the drift starts again from it
    s.fifths_from_home = 0;
  }
  if (params.tempo_bpm != s.params.tempo_bpm) s.tempo_bpm = params.tempo_bpm;
  s.params = params;
}

const SessionParams& Composer::params() const {
  return state_->params;
}
std::uint64_t Composer::next_index() const {
  return state_->next_index;
}

Composer::Composer(const Composer& other) : state_(std::make_unique<State>(*other.state_)) {}
Composer& Composer::operator=(const Composer& other) {
  if (this != &other) state_ = std::make_unique<State>(*other.state_);
  return *this;
}
Composer::Composer(Composer&&) noexcept = default;
Composer& Composer::operator=(Composer&&) noexcept = default;
Composer::~Composer() = default;

}  // namespace auralis::music
