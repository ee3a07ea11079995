#include "patches.hpp"

#include <algorithm>
#include <cmath>

#include "voice_model.hpp"

namespace auralis::synthesis::patches {
namespace {

double db_to_gain(double db) {
  return std::pow(10.0, db / 20.0);
}
double lerp(double a, double b, double x) {
  return a + (b - a) * std::clamp(x, 0.0, 1.0);
}
double midi_to_hz(int midi) {
  return 440.0 * std::exp2((midi - 69) / 12.0);
}
std::int64_t seconds_to_frames(double s) {
  return std::llround(s * kSampleRate);
}

// Streams of uniform draws per voice (see voice::uniform01); start phases use their own.
enum Draw : std::uint64_t { kPanDraw = 1, kTimingDraw, kVelocityDraw, kDecayDraw };

void set_envelope(VoiceSpec& v, double attack_s, double decay_s, double sustain, double release_s,
                  double curve) {
  v.attack_s = static_cast<float>(attack_s);
  v.decay_s = static_cast<float>(decay_s);
  v.sustain = static_cast<float>(sustain);
  v.release_s = static_cast<float>(release_s);
  v.curve = static_cast<float>(curve);
}

double instrument_level_db(music::Instrument instrument) {
  using music::Instrument;
  switch (instrument) {
    case Instrument::warm_pad:
      return level_db::warm_pad;
    case Instrument::string_pad:
      return level_db::string_pad;
    case Instrument::soft_lead:
      return level_db::soft_lead;
    case Instrument::electric_piano:
      return level_db::electric_piano;
    case Instrument::glass_bell:
      return level_db::glass_bell;
    case Instrument::pluck:
      return level_db::pluck;
    case Instrument::shimmer:
      return level_db::shimmer;
    case Instrument::sub_bass:
      return level_db::sub_bass;
    case Instrument::air:
      return level_db::air;
    case Instrument::kick:
      return level_db::kick;
    case Instrument::brush:
      return level_db::brush;
  }
  return -60;
}

}  // namespace

const FmPatch* fm_patch(music::Instrument instrument) {
  switch (instrument) {
    case music::Instrument::soft_lead:
      return &fm::kSoftLead;
    case music::Instrument::electric_piano:
      return &fm::kElectricPiano;
    case music::Instrument::glass_bell:
      return &fm::kGlassBell;
    default:
      return nullptr;
  }
}

Partials partials(music::Instrument instrument, double freq_hz, double timbre) {
  Partials p;
  if (instrument == music::Instrument::pluck) {
    using namespace pluck;
    p.count = kMaxPartials;
    const double tilt = lerp(kTiltDark, kTiltBright, timbre);
    const double first = kDecayS * std::pow(261.6 / std::max(freq_hz, 20.0), kDecayPitchExponent);
    for (int k = 0; k < p.count; ++k) {
      const double n = k + 1;
      p.ratio[static_cast<std::size_t>(k)] = n * std::sqrt(1.0 + kInharmonicity * n * n);
      p.amp[static_cast<std::size_t>(k)] = std::pow(tilt, k) / n;
      p.decay_s[static_cast<std::size_t>(k)] = first / (1.0 + kDecayPerPartial * k);
    }
  } else if (instrument == music::Instrument::shimmer) {
    p.count = 3;
    p.ratio = {1.0, shimmer::kBeatRatio, 2.0 * std::sqrt(shimmer::kBeatRatio), 0.0};
    p.amp = {0.6, 0.5, shimmer::kOctaveAmpBright * std::clamp(timbre, 0.0, 1.0), 0.0};
  }
  return p;
}

double bass_drive(double timbre) {
  using namespace bass;
  const double drive = lerp(kDriveMin, kDriveMax, timbre);
  return kDriveMin + kDriveStep * std::round((drive - kDriveMin) / kDriveStep);
}

double kick_start_hz(double timbre) {
  return lerp(kick::kStartHzDark, kick::kStartHzBright, timbre);
}

VoiceSpec make_voice(const music::Phrase& phrase, const music::Note& note, std::size_t note_index,
                     std::int64_t phrase_start_frame) {
  using music::Instrument;
  VoiceSpec v;
  v.layer = note.layer;
  v.instrument = note.instrument;
  v.seed = voice::mix64(voice::mix64(phrase.index) ^ (note_index + 1));
  v.start_frame = phrase_start_frame + seconds_to_frames(note.onset_s);
  v.gate_frames = std::max<std::int64_t>(seconds_to_frames(note.duration_s), 1);
  v.freq_hz = midi_to_hz(note.midi);
  // Brightness reaches every instrument through its timbre; a harder stroke is a little brighter.
  const double velocity = std::clamp(static_cast<double>(note.velocity), 0.0, 1.0);
  v.timbre = static_cast<float>(std::clamp(phrase.brightness + 0.2 * (velocity - 0.5), 0.0, 1.0));
  const double energy = std::clamp(phrase.energy, 0.0, 1.0);
  const auto draw = [&](Draw d) { return voice::uniform01(v.seed, d); };
  const auto signed_draw = [&](Draw d) { return 2.0 * draw(d) - 1.0; };

  double gain_db = instrument_level_db(note.instrument);
  double pan = 0;
  switch (note.instrument) {
    case Instrument::warm_pad:
    case Instrument::string_pad: {
      const double side = (note.voice % 2 == 0) ? -1.0 : 1.0;
      pan = side * lerp(pad::kPanMin, pad::kPanMax, draw(kPanDraw));
      if (note.instrument == Instrument::warm_pad) {
        set_envelope(v, lerp(pad::kAttackCalmS, pad::kAttackEnergeticS, energy), pad::kDecayS,
                     pad::kSustain, lerp(pad::kReleaseCalmS, pad::kReleaseEnergeticS, energy),
                     pad::kCurve);
      } else {
        set_envelope(v, lerp(strings::kAttackCalmS, strings::kAttackEnergeticS, energy),
                     strings::kDecayS, strings::kSustain,
                     lerp(strings::kReleaseCalmS, strings::kReleaseEnergeticS, energy),
                     pad::kCurve);
      }
      break;
    }
    case Instrument::soft_lead:
    case Instrument::electric_piano:
    case Instrument::glass_bell: {
      const FmPatch& p = *fm_patch(note.instrument);
      set_envelope(v, lerp(p.attack_calm_s, p.attack_energetic_s, energy), p.decay_env_s, p.sustain,
                   lerp(p.release_calm_s, p.release_energetic_s, energy), p.curve);
      pan = (note.layer == music::Layer::lead ? kLeadPanSpread : kOrnamentPanSpread) *
            signed_draw(kPanDraw);
      break;
    }
    case Instrument::pluck:
      set_envelope(v, pluck::kAttackS, 0.0, 1.0, pluck::kReleaseS, pluck::kCurve);
      pan = (note.layer == music::Layer::lead ? kLeadPanSpread : kOrnamentPanSpread) *
            signed_draw(kPanDraw);
      break;
    case Instrument::shimmer:
      set_envelope(v, lerp(shimmer::kAttackCalmS, shimmer::kAttackEnergeticS, energy), 0.0, 1.0,
                   lerp(shimmer::kReleaseCalmS, shimmer::kReleaseEnergeticS, energy), pad::kCurve);
      pan = shimmer::kPanSpread * signed_draw(kPanDraw);
      break;
    case Instrument::sub_bass:
      set_envelope(v, bass::kAttackS, bass::kDecayS, bass::kSustain, bass::kReleaseS, bass::kCurve);
      break;
    case Instrument::air: {
      const double swell_s = air::kSwellFraction * note.duration_s;
      set_envelope(v, std::clamp(swell_s, air::kAttackMinS, air::kAttackMaxS), 0.0, 1.0,
                   std::clamp(swell_s, air::kReleaseMinS, air::kReleaseMaxS), air::kCurve);
      pan = air::kPanSpread * signed_draw(kPanDraw);
      break;
    }
    case Instrument::kick:
    case Instrument::brush: {
      const bool is_kick = note.instrument == Instrument::kick;
      if (is_kick) {
        v.freq_hz = kick::kEndHz;
        set_envelope(v, kick::kAttackS, kick::kDecayS, 0.0, kick::kReleaseS, kick::kCurve);
      } else {
        pan = brush::kPanSpread * signed_draw(kPanDraw);
        set_envelope(v, brush::kAttackS,
                     lerp(brush::kDecayMinS, brush::kDecayMaxS, draw(kDecayDraw)), 0.0,
                     brush::kReleaseS, brush::kCurve);
      }
      // A hit is its attack and decay whatever the written length; humanised, but never moved
      // before the phrase start (that part of the timeline is already rendered).
      v.gate_frames = seconds_to_frames(static_cast<double>(v.attack_s) + v.decay_s);
      const auto jitter = seconds_to_frames(percussion::kTimingJitterS * signed_draw(kTimingDraw));
      v.start_frame = std::max(phrase_start_frame, v.start_frame + jitter);
      gain_db += 20.0 * std::log10(1.0 + percussion::kVelocityJitter * signed_draw(kVelocityDraw));
      break;
    }
  }
  v.gain = static_cast<float>(velocity * db_to_gain(gain_db));
  v.pan = static_cast<float>(pan);
  return v;
}

MixControls mix_controls(const music::Phrase& phrase, std::int64_t phrase_start_frame,
                         std::int64_t phrase_frames) {
  MixControls c;
  const double brightness = std::clamp(phrase.brightness, 0.0, 1.0);
  const double energy = std::clamp(phrase.energy, 0.0, 1.0);
  c.pad_cutoff_hz =
      mix::kPadCutoffBaseHz * std::exp2(mix::kPadCutoffOctavesPerBrightness * brightness);
  c.filter_lfo_hz = mix::kFilterLfoBaseHz + mix::kFilterLfoPerEnergyHz * energy;
  c.air_centre_hz =
      mix::kAirCentreBaseHz * std::exp2(mix::kAirCentreOctavesPerBrightness * brightness);
  c.level_db = phrase.level_db;
  c.energy = energy;
  c.tempo_bpm = phrase.tempo_bpm;
  c.phrase_start_frame = phrase_start_frame;
  c.phrase_frames = phrase_frames;
  return c;
}

}  // namespace auralis::synthesis::patches
