// The effects and master chain after either engine. Per 64-frame step of the session timeline:
// layer buses (pad low-pass + chorus, pinked and swept texture, band-passed brush, lead
// ping-pong, mono sub), reverb send -> plate, then master high-pass, slow loudness gain, glue
// compressor, true-peak limiter. Slow controls (LFO phase, smoothed cutoff, loudness gain)
// change only on the absolute 64-frame grid, so any split of the timeline into windows gives
// bit-identical output.
#include "auralis/synthesis/mixer.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "dsp/biquad.hpp"
#include "dsp/chorus.hpp"
#include "dsp/compressor.hpp"
#include "dsp/dsp_common.hpp"
#include "dsp/limiter.hpp"
#include "dsp/loudness_control.hpp"
#include "dsp/loudness_meter.hpp"
#include "dsp/ping_pong_delay.hpp"
#include "dsp/pink_noise.hpp"
#include "dsp/plate_reverb.hpp"
#include "dsp/svf.hpp"

namespace auralis::synthesis {

namespace {

using music::Layer;

// Control grid (frames): slow controls and filter coefficients change every 5.3 ms, often
// enough for LFOs under 0.1 Hz and the texture sweep, rarely enough that their math is cheap.
constexpr int kStep = 256;
constexpr float kRate = static_cast<float>(kSampleRate);

// Every level of the mix in one place (dB unless stated).
struct MixLevels {
  float pad_db = 0;
  float lead_db = 0;
  float bass_db = 0;
  float texture_db = 0;
  float kick_db = 0;
  float brush_db = 0;
  float reverb_return_db = 0;
  // Reverb sends (linear, post-fader), from the sound-design sheet.
  float pad_send = 0.5f;
  float lead_send = 0.4f;
  float percussion_send = 0.25f;
  float texture_send = 0.5f;
};
constexpr MixLevels kLevels{};

// Pad low-pass: two cascaded SVF stages (24 dB/oct), LFO +-0.75 octave.
constexpr float kPadQ1 = 0.7f, kPadQ2 = 1.0f;
constexpr float kPadLfoOctaves = 0.75f;
constexpr float kPadCutoffGlideS = 2.0f;  // brightness changes glide, never jump
// Texture band-pass sweep: 4 kHz -> 300 Hz over the first 10% of a phrase (after the join's
// swell), then back up to 4 kHz into the next join.
constexpr float kTextureLowHz = 300, kTextureHighHz = 4000, kTextureQ = 1.4f;
constexpr double kTextureFallFraction = 0.1;
// Brush band-pass 2-6 kHz: centre sqrt(2k * 6k), Q = centre / bandwidth.
constexpr float kBrushCentreHz = 3464, kBrushQ = 0.87f;
constexpr float kMasterHighpassHz = 25;
constexpr float kSilenceFadeS = 6.0f;  // process_silence(): tails fade to nothing
constexpr float kResumeFadeS = 0.25f;  // real input after silence fades back in

// Initial master gain for a session's energy (calibrated against the 3-minute checks) so the
// slow controller starts close to -16 LUFS instead of gliding there over minutes.
double initial_gain_db(double energy) {
  (void)energy;
  return 0;
}

double texture_centre_hz(std::int64_t frame, const MixControls& c) {
  if (c.phrase_frames <= 0) return std::sqrt(kTextureLowHz * kTextureHighHz);
  double pos =
      static_cast<double>(frame - c.phrase_start_frame) / static_cast<double>(c.phrase_frames);
  pos = std::clamp(pos, 0.0, 1.0);
  double octave_pos;  // 0 = low, 1 = high
  if (pos < kTextureFallFraction) {
    // Raised-cosine fall from the join's 4 kHz.
    octave_pos = 0.5 + 0.5 * std::cos(dsp::kPi * pos / kTextureFallFraction);
  } else {
    const double rise = (pos - kTextureFallFraction) / (1 - kTextureFallFraction);
    octave_pos = rise * rise;  // slow start, accelerating into the join
  }
  return kTextureLowHz * std::pow(kTextureHighHz / kTextureLowHz, octave_pos);
}

}  // namespace

struct Mixer::State {
  // Layer buses.
  dsp::PinkFilter<2> texture_pink;
  dsp::SvfBank<8> bus_filters;  // lanes: pad L/R (stage 1), texture L/R, brush L/R, unused x2
  dsp::SvfBank<2> pad_stage2;
  dsp::StereoChorus pad_chorus{kRate};
  dsp::PingPongDelay lead_delay{kRate};
  dsp::PlateReverb reverb{kRate};
  // Master.
  dsp::BiquadBank<2> master_highpass;
  dsp::LoudnessControl loudness;
  dsp::Compressor glue{kRate};
  dsp::Limiter limiter{kRate};
  dsp::LoudnessMeter meter;

  // Slow controls (updated on the 64-frame grid only).
  bool started = false;
  double pad_log2_cutoff = 10;
  double lfo_phase = 0;  // radians
  float master_gain = 1;
  std::uint64_t meter_blocks_seen = 0;
  float fade = 1;  // silence fade-out / resume fade-in
  std::int64_t next_frame = 0;

  // Scratch for one step (no allocation while processing).
  alignas(32) std::array<float, kStep * 8> lanes{};
  alignas(32) std::array<float, kStep * 2> pair{};
  alignas(32) std::array<float, kStep> pad_l{}, pad_r{}, lead_l{}, lead_r{}, tex_l{}, tex_r{},
      brush_l{}, brush_r{}, kick_l{}, kick_r{}, bass{}, send{}, wet_l{}, wet_r{}, mix_l{}, mix_r{};

  State() {
    bus_filters.set_bandpass(4, kBrushCentreHz, kBrushQ, kRate);
    bus_filters.set_bandpass(5, kBrushCentreHz, kBrushQ, kRate);
    bus_filters.set_lowpass(6, 1000, 0.7f, kRate);
    bus_filters.set_lowpass(7, 1000, 0.7f, kRate);
    master_highpass.set_all(dsp::BiquadCoefs::highpass(kMasterHighpassHz, 0.707f, kRate));
  }

  void start(const MixControls& c) {
    started = true;
    pad_log2_cutoff = std::log2(std::max(c.pad_cutoff_hz, 20.0));
    loudness.set_gain_db(initial_gain_db(c.energy));
    master_gain = dsp::db_to_gain(static_cast<float>(loudness.gain_db()));
  }

  // Slow controls advance once per grid step, at its first frame.
  void advance_controls(const MixControls& c) {
    const double target = std::log2(std::clamp(c.pad_cutoff_hz, 20.0, 20000.0));
    pad_log2_cutoff += (target - pad_log2_cutoff) * (kStep / (kPadCutoffGlideS * kRate));
    lfo_phase += dsp::kTwoPi * c.filter_lfo_hz * kStep / kRate;
    if (lfo_phase > dsp::kTwoPi) lfo_phase -= dsp::kTwoPi;
    master_gain = dsp::db_to_gain(static_cast<float>(loudness.gain_db()));
    lead_delay.set_delay_s(static_cast<float>(0.375 * 60.0 / std::clamp(c.tempo_bpm, 20.0, 300.0)));
  }

  void set_coefficients(std::int64_t grid_frame, const MixControls& c) {
    const double cutoff = std::exp2(pad_log2_cutoff + kPadLfoOctaves * std::sin(lfo_phase));
    const auto fc = static_cast<float>(std::clamp(cutoff, 30.0, 18000.0));
    bus_filters.set_lowpass(0, fc, kPadQ1, kRate);
    bus_filters.copy_lane(0, 1);
    pad_stage2.set_lowpass(0, fc, kPadQ2, kRate);
    pad_stage2.copy_lane(0, 1);
    const auto tex = static_cast<float>(texture_centre_hz(grid_frame, c));
    bus_filters.set_bandpass(2, tex, kTextureQ, kRate);
    bus_filters.copy_lane(2, 3);
  }

  void run_step(const Stems* stems, std::int64_t offset, int n, std::int64_t frame, float* out);
};

AURALIS_DSP_CLONES
void Mixer::State::run_step(const Stems* stems, std::int64_t offset, int n, std::int64_t frame,
                            float* out) {
  const auto un = static_cast<std::size_t>(n);
  auto plane = [&](Layer layer, int ch) -> const float* {
    return stems ? stems->plane(layer, ch).data() + offset : nullptr;
  };
  auto load = [&](Layer layer, float gain, float* l, float* r) {
    const float* sl = plane(layer, 0);
    const float* sr = plane(layer, 1);
    if (!sl) {
      std::fill_n(l, n, 0.0f);
      std::fill_n(r, n, 0.0f);
      return;
    }
    for (int i = 0; i < n; ++i) {
      l[i] = gain * sl[i];
      r[i] = gain * sr[i];
    }
  };

  static const float pad_gain = dsp::db_to_gain(kLevels.pad_db);
  static const float lead_gain = dsp::db_to_gain(kLevels.lead_db);
  static const float bass_gain = dsp::db_to_gain(kLevels.bass_db);
  static const float tex_gain = dsp::db_to_gain(kLevels.texture_db);
  static const float kick_gain = dsp::db_to_gain(kLevels.kick_db);
  static const float brush_gain = dsp::db_to_gain(kLevels.brush_db);
  static const float return_gain = dsp::db_to_gain(kLevels.reverb_return_db);

  load(Layer::pad, pad_gain, pad_l.data(), pad_r.data());
  load(Layer::texture, tex_gain, tex_l.data(), tex_r.data());
  load(Layer::brush, brush_gain, brush_l.data(), brush_r.data());
  load(Layer::lead, lead_gain, lead_l.data(), lead_r.data());
  load(Layer::kick, kick_gain, kick_l.data(), kick_r.data());
  {
    const float* bl = plane(Layer::bass, 0);
    const float* br = plane(Layer::bass, 1);
    for (int i = 0; i < n; ++i) bass[i] = bl ? 0.5f * bass_gain * (bl[i] + br[i]) : 0.0f;
  }

  // Texture: pink it, then the swept band-pass (in the shared filter bank).
  for (int i = 0; i < n; ++i) {
    pair[2 * i] = tex_l[i];
    pair[2 * i + 1] = tex_r[i];
  }
  texture_pink.process(std::span<float>(pair.data(), 2 * un));

  for (int i = 0; i < n; ++i) {
    float* f = &lanes[8 * i];
    f[0] = pad_l[i];
    f[1] = pad_r[i];
    f[2] = pair[2 * i];
    f[3] = pair[2 * i + 1];
    f[4] = brush_l[i];
    f[5] = brush_r[i];
    f[6] = 0;
    f[7] = 0;
  }
  bus_filters.process(std::span<float>(lanes.data(), 8 * un));
  for (int i = 0; i < n; ++i) {
    const float* f = &lanes[8 * i];
    pair[2 * i] = f[0];
    pair[2 * i + 1] = f[1];
    tex_l[i] = f[2];
    tex_r[i] = f[3];
    brush_l[i] = f[4];
    brush_r[i] = f[5];
  }
  pad_stage2.process(std::span<float>(pair.data(), 2 * un));
  for (int i = 0; i < n; ++i) {
    pad_l[i] = pair[2 * i];
    pad_r[i] = pair[2 * i + 1];
  }
  pad_chorus.process(std::span<float>(pad_l.data(), un), std::span<float>(pad_r.data(), un), frame);
  lead_delay.process(std::span<float>(lead_l.data(), un), std::span<float>(lead_r.data(), un));

  // Reverb send (mono, post-fader); the plate high-passes it at 200 Hz itself.
  for (int i = 0; i < n; ++i) {
    send[i] = 0.5f * (kLevels.pad_send * (pad_l[i] + pad_r[i]) +
                      kLevels.lead_send * (lead_l[i] + lead_r[i]) +
                      kLevels.percussion_send * (kick_l[i] + kick_r[i] + brush_l[i] + brush_r[i]) +
                      kLevels.texture_send * (tex_l[i] + tex_r[i]));
  }
  reverb.process(std::span<const float>(send.data(), un), std::span<float>(wet_l.data(), un),
                 std::span<float>(wet_r.data(), un));

  for (int i = 0; i < n; ++i) {
    pair[2 * i] =
        pad_l[i] + lead_l[i] + tex_l[i] + brush_l[i] + kick_l[i] + bass[i] + return_gain * wet_l[i];
    pair[2 * i + 1] =
        pad_r[i] + lead_r[i] + tex_r[i] + brush_r[i] + kick_r[i] + bass[i] + return_gain * wet_r[i];
  }
  master_highpass.process(std::span<float>(pair.data(), 2 * un));
  const float g = master_gain;
  for (int i = 0; i < n; ++i) {
    mix_l[i] = g * pair[2 * i];
    mix_r[i] = g * pair[2 * i + 1];
  }
  glue.process(std::span<float>(mix_l.data(), un), std::span<float>(mix_r.data(), un));
  limiter.process(std::span<float>(mix_l.data(), un), std::span<float>(mix_r.data(), un));

  // Silence fade (down while rendering nothing, back up when real input returns).
  const bool silent = stems == nullptr;
  const float fade_step = silent ? -1.0f / (kSilenceFadeS * kRate) : 1.0f / (kResumeFadeS * kRate);
  if (fade < 1.0f || silent) {
    for (int i = 0; i < n; ++i) {
      fade = std::clamp(fade + fade_step, 0.0f, 1.0f);
      mix_l[i] *= fade;
      mix_r[i] *= fade;
    }
  }
  meter.process(std::span<const float>(mix_l.data(), un), std::span<const float>(mix_r.data(), un));
  if (meter.blocks() != meter_blocks_seen) {
    meter_blocks_seen = meter.blocks();
    // Tails and fades are not music to normalise: hold the gain while they play.
    if (!silent && fade >= 1.0f) loudness.on_block(meter.momentary_energy());
  }
  for (int i = 0; i < n; ++i) {
    out[2 * i] = mix_l[i];
    out[2 * i + 1] = mix_r[i];
  }
}

Mixer::Mixer() : state_(std::make_unique<State>()) {}
Mixer::Mixer(const Mixer& other) : state_(std::make_unique<State>(*other.state_)) {}
Mixer& Mixer::operator=(const Mixer& other) {
  if (this != &other) state_ = std::make_unique<State>(*other.state_);
  return *this;
}
Mixer::Mixer(Mixer&&) noexcept = default;
Mixer& Mixer::operator=(Mixer&&) noexcept = default;
Mixer::~Mixer() = default;

namespace {
// Splits [start, start + frames) at the absolute 64-frame grid and calls fn(offset, n, frame).
template <typename Fn>
void for_each_step(std::int64_t start, std::int64_t frames, Fn&& fn) {
  std::int64_t done = 0;
  while (done < frames) {
    const std::int64_t frame = start + done;
    const std::int64_t into = ((frame % kStep) + kStep) % kStep;
    const std::int64_t n = std::min<std::int64_t>(kStep - into, frames - done);
    fn(done, static_cast<int>(n), frame, into == 0);
    done += n;
  }
}
}  // namespace

void Mixer::process(const RenderJob& job, const Stems& stems, std::span<float> out) {
  if (!state_) state_ = std::make_unique<State>();
  State& s = *state_;
  const dsp::DenormalGuard denormals;
  if (!s.started) s.start(job.controls);
  const std::int64_t frames =
      std::min<std::int64_t>(job.frames, static_cast<std::int64_t>(out.size() / 2));
  const std::int64_t have = std::min(frames, stems.frames());
  for_each_step(
      job.start_frame, frames, [&](std::int64_t offset, int n, std::int64_t frame, bool on_grid) {
        if (on_grid) s.advance_controls(job.controls);
        s.set_coefficients(frame - ((frame % kStep) + kStep) % kStep, job.controls);
        // Frames the stems do not cover (a short render) are treated as silence.
        const int real = static_cast<int>(std::clamp<std::int64_t>(have - offset, 0, n));
        if (real > 0) s.run_step(&stems, offset, real, frame, out.data() + 2 * offset);
        if (real < n)
          s.run_step(nullptr, 0, n - real, frame + real, out.data() + 2 * (offset + real));
      });
  s.next_frame = job.start_frame + frames;
}

void Mixer::process_silence(const MixControls& controls, std::int64_t frames,
                            std::span<float> out) {
  if (!state_) state_ = std::make_unique<State>();
  State& s = *state_;
  const dsp::DenormalGuard denormals;
  if (!s.started) s.start(controls);
  frames = std::min<std::int64_t>(frames, static_cast<std::int64_t>(out.size() / 2));
  for_each_step(s.next_frame, frames,
                [&](std::int64_t offset, int n, std::int64_t frame, bool on_grid) {
                  if (on_grid) s.advance_controls(controls);
                  s.set_coefficients(frame - ((frame % kStep) + kStep) % kStep, controls);
                  s.run_step(nullptr, 0, n, frame, out.data() + 2 * offset);
                });
  s.next_frame += frames;
}

}  // namespace auralis::synthesis
