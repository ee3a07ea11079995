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

}  // namespace

VoiceSpec make_voice(const music::Phrase& phrase, const music::Note& note, std::size_t note_index,
                     std::int64_t phrase_start_frame) {
  VoiceSpec v;
  v.layer = note.layer;
  v.seed = voice::mix64(voice::mix64(phrase.index) ^ (note_index + 1));
  v.start_frame = phrase_start_frame + seconds_to_frames(note.onset_s);
  v.gate_frames = std::max<std::int64_t>(seconds_to_frames(note.duration_s), 1);
  v.freq_hz = midi_to_hz(note.midi);
  v.timbre = static_cast<float>(std::clamp(phrase.brightness, 0.0, 1.0));
  const double energy = std::clamp(phrase.energy, 0.0, 1.0);
  const double velocity = std::clamp(static_cast<double>(note.velocity), 0.0, 1.0);
  const auto draw = [&](Draw d) { return voice::uniform01(v.seed, d); };
  const auto signed_draw = [&](Draw d) { return 2.0 * draw(d) - 1.0; };

  double gain_db = 0;
  double pan = 0;
  switch (note.layer) {
    case music::Layer::pad: {
      gain_db = level_db::pad;
      const double side = (note.voice % 2 == 0) ? -1.0 : 1.0;
      pan = side * lerp(pad::kPanMin, pad::kPanMax, draw(kPanDraw));
      set_envelope(v, lerp(pad::kAttackCalmS, pad::kAttackEnergeticS, energy), pad::kDecayS,
                   pad::kSustain, lerp(pad::kReleaseCalmS, pad::kReleaseEnergeticS, energy),
                   pad::kCurve);
      break;
    }
    case music::Layer::lead:
      gain_db = level_db::lead;
      pan = lead::kPanSpread * signed_draw(kPanDraw);
      set_envelope(v, lerp(lead::kAttackCalmS, lead::kAttackEnergeticS, energy), lead::kDecayS,
                   lead::kSustain, lerp(lead::kReleaseCalmS, lead::kReleaseEnergeticS, energy),
                   lead::kCurve);
      break;
    case music::Layer::bass:
      gain_db = level_db::bass;
      set_envelope(v, bass::kAttackS, bass::kDecayS, bass::kSustain, bass::kReleaseS, bass::kCurve);
      break;
    case music::Layer::texture: {
      gain_db = level_db::texture;
      const double swell_s = texture::kSwellFraction * note.duration_s;
      set_envelope(v, std::clamp(swell_s, texture::kAttackMinS, texture::kAttackMaxS), 0.0, 1.0,
                   std::clamp(swell_s, texture::kReleaseMinS, texture::kReleaseMaxS),
                   texture::kCurve);
      break;
    }
    case music::Layer::kick:
    case music::Layer::brush: {
      const bool is_kick = note.layer == music::Layer::kick;
      gain_db = is_kick ? level_db::kick : level_db::brush;
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
  c.energy = energy;
  c.brightness = brightness;
  c.tempo_bpm = phrase.tempo_bpm;
  c.phrase_start_frame = phrase_start_frame;
  c.phrase_frames = phrase_frames;
  return c;
}

}  // namespace auralis::synthesis::patches
