// The effects and master chain after either engine. Per 256-frame step of the session timeline:
// layer buses (pad low-pass + chorus, pinked and band-passed air, band-passed brush, lead and
// ornaments through the ping-pong, mono sub), reverb send -> plate, then master high-pass, slow
// loudness gain, glue compressor, true-peak limiter. Slow controls (LFO phase, smoothed cutoff,
// air band, loudness gain) change only on the absolute 256-frame grid, so any split of the
// timeline into windows gives bit-identical output.
#include "auralis/synthesis/mixer.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include "cpu/fast_math.hpp"
#include "dsp/biquad.hpp"
#include "dsp/block_lti.hpp"
#include "dsp/chorus.hpp"
#include "dsp/compressor.hpp"
#include "dsp/dsp_common.hpp"
#include "dsp/limiter.hpp"
#include "dsp/loudness_control.hpp"
#include "dsp/loudness_meter.hpp"
#include "dsp/ping_pong_delay.hpp"
#include "dsp/plate_reverb.hpp"
#include "patches.hpp"

namespace auralis::synthesis {

namespace {

using music::Layer;

// Control grid (frames): slow controls and filter coefficients change every 5.3 ms, often
// enough for LFOs under 0.1 Hz and the texture sweep, rarely enough that their math is cheap.
constexpr int kStep = 256;
constexpr float kRate = static_cast<float>(kSampleRate);

// Reverb sends (linear, post-fader; the levels themselves are the patches'): pads and air wide,
// the lead and the ornaments through their echo, the ornaments a little more (bells and plucks
// ring into the room), percussion less, the sub not at all.
constexpr float kPadSend = 0.5f;
constexpr float kLeadSend = 0.4f;
constexpr float kOrnamentExtraSend = 0.3f;
constexpr float kPercussionSend = 0.25f;
constexpr float kAirSend = 0.5f;
// Percussion bus gains, dB: the brush band-pass keeps about a quarter of its noise's power, and
// both must be heard at high energy (the percussion alone peaks near -20 LUFS short-term).
constexpr float kKickBusDb = 5;
constexpr float kBrushBusDb = 10;

// Pad low-pass: two cascaded SVF stages (24 dB/oct), LFO +-0.75 octave.
constexpr float kPadQ1 = 0.7f, kPadQ2 = 1.0f;
constexpr float kPadLfoOctaves = 0.75f;
constexpr float kPadCutoffGlideS = 2.0f;  // brightness changes glide, never jump
// A live brightness change (MixControls::brightness_shift) glides much faster, so a listener
// moving a slider hears it at once but without a step: a one-pole of 35 ms, 95% in ~105 ms.
constexpr double kShiftGlideS = 0.035;
const double kShiftCoef = 1.0 - std::exp(-kStep / (kShiftGlideS * kRate));
constexpr float kMuteRampS = 0.1f;  // a layer switched off live fades out (or back in) this fast
const double kPadLowLog2 = std::log2(30.0), kPadHighLog2 = std::log2(18000.0);
// Cutoff movement that triggers a filter redesign: 1/300 octave (4 cents), far below what a
// sweep on a pad or on noise lets anyone hear as a step.
constexpr double kRedesignOctaves = 1.0 / 300;
// Air band-pass: its centre wanders around the phrase's air centre (brightness) by up to
// +-kAirWanderOctaves, as a sum of two slow sines of absolute time whose periods share nothing
// with the phrase: no swell falls on the phrase clock.
constexpr float kAirQ = 1.4f;
constexpr double kAirWanderOctaves = 1.0;
constexpr double kAirWanderPeriodsS[2] = {47.0, 29.0};
constexpr double kAirWanderWeights[2] = {0.6, 0.4};
// Brush band-pass 2-6 kHz: centre sqrt(2k * 6k), Q = centre / bandwidth.
constexpr float kBrushCentreHz = 3464, kBrushQ = 0.87f;
constexpr float kMasterHighpassHz = 25;
constexpr float kSilenceFadeS = 6.0f;  // process_silence(): tails fade to nothing
constexpr float kResumeFadeS = 0.25f;  // real input after silence fades back in

// Initial master gain by the session's energy, so the slow loudness control starts near its
// target instead of gliding there over the first minutes: the gain it settles at in the first
// section (which plays at 0 dB), as bench/music_report measures it ("settled gain"), at
// energies 0, 0.5 and 1, linear between.
double initial_gain_db(double energy) {
  constexpr double kSettled[3] = {1.0, -0.1, -2.7};  // 30-minute renders, seeds 11/22/33
  const double x = std::clamp(energy, 0.0, 1.0) * 2;
  const int i = std::min(static_cast<int>(x), 1);
  return kSettled[i] + (kSettled[i + 1] - kSettled[i]) * (x - i);
}

// The air band-pass centre as log2(Hz) at absolute `frame`.
double air_centre_log2(std::int64_t frame, const MixControls& c) {
  const double t = static_cast<double>(frame) / kSampleRate;
  double wander = 0;
  for (int k = 0; k < 2; ++k) {
    const double cycles = t / kAirWanderPeriodsS[k];
    wander +=
        kAirWanderWeights[k] * cpu::sin_cycles(static_cast<float>(cycles - std::floor(cycles)));
  }
  return std::log2(std::max(c.air_centre_hz, 50.0)) + kAirWanderOctaves * wander;
}

// True when the n samples are all +-0 (a bit-or reduction, vectorised).
inline __attribute__((always_inline)) bool all_zero(const float* x, int n) {
  std::uint32_t bits = 0;
  for (int i = 0; i < n; ++i) bits |= std::bit_cast<std::uint32_t>(x[i]);
  return (bits & 0x7fffffffu) == 0;
}

}  // namespace

struct Mixer::State {
  // Layer buses: block state-space filters (dsp/block_lti.hpp), stereo, straight from the
  // stems' planes into the bus buffers, each layer's level folded into its filter.
  dsp::BlockLti<4, 2> pad_filter;      // two cascaded SVF low-pass stages (24 dB/oct)
  dsp::BlockLti<5, 2> texture_filter;  // pinking, then the wandering SVF band-pass
  dsp::BlockLti<2, 2> brush_filter;    // SVF band-pass 2-6 kHz
  dsp::StereoChorus pad_chorus{kRate};
  dsp::PingPongDelay lead_delay{kRate};
  dsp::PlateReverb reverb{kRate};
  // Master.
  dsp::BlockLti<2, 2> master_highpass;
  dsp::LoudnessControl loudness;
  dsp::Compressor glue{kRate};
  dsp::Limiter limiter{kRate};
  dsp::LoudnessMeter meter;

  // Slow controls (updated on the 256-frame grid only).
  bool started = false;
  double pad_log2_cutoff = 10;
  double lfo_phase = 0;  // radians
  float master_gain = 1;
  std::uint64_t meter_blocks_seen = 0;
  float fade = 1;  // silence fade-out / resume fade-in
  std::int64_t next_frame = 0;
  double designed_pad_log2 = -100, designed_texture_log2 = -100;  // current designs (log2 Hz)
  double texture_log2 = 0;      // the air band-pass centre for this step (log2 Hz)
  double level_db = 0;          // the loudness target offset in force
  double shift = 0;             // the live brightness shift in force (brightness units)
  bool fast_pad_glide = false;  // a live re-plan took over: the cutoff glides to it fast
  // Live layer mutes: each bus's gain at the start and the end of the current control step.
  std::array<float, music::kLayerCount> bus_gain_from{1, 1, 1, 1, 1, 1, 1},
      bus_gain{1, 1, 1, 1, 1, 1, 1};
  bool buses_at_unity = true;
  std::uint64_t composition = 0;
  bool gain_held = false;  // hold_master_gain_db(): the loudness control is bypassed
  // Pure functions of their inputs, kept to skip libm calls per control step.
  double pad_target_hz = -1, pad_target_log2 = 0;
  double master_gain_db = 0;

  // Scratch for one step (no allocation while processing).
  alignas(32) std::array<float, kStep> pad_l{}, pad_r{}, lead_l{}, lead_r{}, tex_l{}, tex_r{},
      brush_l{}, brush_r{}, send{}, wet_l{}, wet_r{}, mix_l{}, mix_r{}, zeros{};
  // A fading layer's input for one step (live mutes only).
  alignas(32) std::array<std::array<float, kStep>, music::kLayerCount * 2> faded{};

  State() {
    brush_filter.set(dsp::scaled(dsp::svf_bandpass(kBrushCentreHz, kBrushQ, kRate),
                                 dsp::db_to_gain(kBrushBusDb)));
    const auto hp = dsp::BiquadCoefs::highpass(kMasterHighpassHz, 0.707f, kRate);
    master_highpass.set(dsp::biquad_state_space(hp.b0, hp.b1, hp.b2, hp.a1, hp.a2));
  }

  void start(const MixControls& c, std::int64_t frame) {
    started = true;
    // The block filters' 8-frame grid sits on the absolute timeline, like the control grid.
    pad_filter.align(frame);
    texture_filter.align(frame);
    brush_filter.align(frame);
    master_highpass.align(frame);
    lead_delay.align(frame);
    reverb.align(frame);
    meter.align(frame);
    pad_log2_cutoff = std::log2(std::max(c.pad_cutoff_hz, 20.0));
    shift = c.brightness_shift;
    composition = c.composition;
    loudness.set_gain_db(initial_gain_db(c.energy));
    level_db = c.level_db;
    loudness.set_target_offset_db(level_db);
    if (!gain_held) {
      master_gain_db = loudness.gain_db();
      master_gain = dsp::db_to_gain(static_cast<float>(master_gain_db));
    }
  }

  // Slow controls advance once per grid step, at its first frame.
  void advance_controls(const MixControls& c) {
    if (c.pad_cutoff_hz != pad_target_hz) {
      pad_target_hz = c.pad_cutoff_hz;
      pad_target_log2 = std::log2(std::clamp(c.pad_cutoff_hz, 20.0, 20000.0));
    }
    if (!buses_at_unity || c.muted_layers != 0) {
      bool unity = true;
      for (int l = 0; l < music::kLayerCount; ++l) {
        const float target = (c.muted_layers >> l) & 1 ? 0.0f : 1.0f;
        bus_gain_from[l] = bus_gain[l];
        const float step = kStep / (kMuteRampS * kRate);
        bus_gain[l] = bus_gain[l] < target ? std::min(target, bus_gain[l] + step)
                                           : std::max(target, bus_gain[l] - step);
        unity = unity && bus_gain[l] == 1.0f && bus_gain_from[l] == 1.0f;
      }
      buses_at_unity = unity;
    }
    if (c.composition != composition) {
      // A new composition carries the change in its own brightness: the fast shift hands what
      // it held over to the slow glide, so the cutoff goes on from where it stands.
      composition = c.composition;
      pad_log2_cutoff +=
          patches::mix::kPadCutoffOctavesPerBrightness * (shift - c.brightness_shift);
      shift = c.brightness_shift;
      fast_pad_glide = c.live_replan;
    } else if (shift != c.brightness_shift) {
      shift += (c.brightness_shift - shift) * kShiftCoef;
      if (std::fabs(c.brightness_shift - shift) < 1e-6) shift = c.brightness_shift;
    }
    const double target = pad_target_log2;
    if (fast_pad_glide) {
      pad_log2_cutoff += (target - pad_log2_cutoff) * kShiftCoef;
      fast_pad_glide = std::fabs(target - pad_log2_cutoff) > kRedesignOctaves;
    } else {
      pad_log2_cutoff += (target - pad_log2_cutoff) * (kStep / (kPadCutoffGlideS * kRate));
    }
    lfo_phase += dsp::kTwoPi * c.filter_lfo_hz * kStep / kRate;
    if (lfo_phase > dsp::kTwoPi) lfo_phase -= dsp::kTwoPi;
    if (!gain_held && loudness.gain_db() != master_gain_db) {
      master_gain_db = loudness.gain_db();
      master_gain = dsp::db_to_gain(static_cast<float>(master_gain_db));
    }
    lead_delay.set_delay_s(static_cast<float>(0.375 * 60.0 / std::clamp(c.tempo_bpm, 20.0, 300.0)));
    if (c.level_db != level_db) {
      level_db = c.level_db;
      loudness.set_target_offset_db(level_db);
    }
  }

  void set_coefficients(std::int64_t grid_frame, const MixControls& c) {
    // A filter is redesigned only once its cutoff has moved by kRedesignOctaves since the last
    // design: the sweeps and LFOs move a few cents per control step, and a design costs as much
    // as filtering a few hundred frames. A window split inside a step asks again for the same
    // design and is skipped the same way.
    const double lfo = cpu::sin_cycles(static_cast<float>(lfo_phase * (1.0 / dsp::kTwoPi)));
    const double pad_log2 =
        std::clamp(pad_log2_cutoff + patches::mix::kPadCutoffOctavesPerBrightness * shift +
                       kPadLfoOctaves * lfo,
                   kPadLowLog2, kPadHighLog2);
    if (std::fabs(pad_log2 - designed_pad_log2) >= kRedesignOctaves) {
      designed_pad_log2 = pad_log2;
      const double g = dsp::svf_prewarp(std::exp2(pad_log2), kRate);
      pad_filter.set(dsp::cascade(dsp::svf_from_prewarp(g, kPadQ1, 0, 0, 1),
                                  dsp::svf_from_prewarp(g, kPadQ2, 0, 0, 1)));
    }
    // The texture filter rests (is skipped) through most steps: its design is brought up to
    // date only when it runs (design_texture()).
    texture_log2 =
        air_centre_log2(grid_frame, c) + patches::mix::kAirCentreOctavesPerBrightness * shift;
  }

  void design_texture() {
    if (std::fabs(texture_log2 - designed_texture_log2) < kRedesignOctaves) return;
    designed_texture_log2 = texture_log2;
    texture_filter.set(dsp::cascade(dsp::pink_state_space(),
                                    dsp::svf_bandpass(std::exp2(texture_log2), kAirQ, kRate)));
  }

  void run_step(const Stems* stems, std::int64_t offset, int n, std::int64_t frame, float* out);
};

AURALIS_DSP_CLONES
void Mixer::State::run_step(const Stems* stems, std::int64_t offset, int n, std::int64_t frame,
                            float* out) {
  const auto un = static_cast<std::size_t>(n);
  // A layer's channel plane for this step, or zeros (in L1) while rendering silence or where
  // the stems know the layer is silent: its samples need not come from memory then.
  auto plane = [&](Layer layer, int ch) -> const float* {
    const float* src = stems && !stems->silent(layer, offset, n)
                           ? stems->plane(layer, ch).data() + offset
                           : zeros.data();
    if (buses_at_unity || src == zeros.data()) return src;
    const auto l = static_cast<std::size_t>(layer);
    const float g0 = bus_gain_from[l], g1 = bus_gain[l];
    if (g0 == 1.0f && g1 == 1.0f) return src;
    if (g0 == 0.0f && g1 == 0.0f) return zeros.data();
    // The gain ramps across the control step on the absolute grid, however the step is split.
    const float into = static_cast<float>(((frame % kStep) + kStep) % kStep);
    float* dst = faded[2 * l + static_cast<std::size_t>(ch)].data();
    for (int i = 0; i < n; ++i) dst[i] = src[i] * (g0 + (g1 - g0) * ((into + i) / kStep));
    return static_cast<const float*>(dst);
  };

  {
    const float* in[2] = {plane(Layer::pad, 0), plane(Layer::pad, 1)};
    float* out2[2] = {pad_l.data(), pad_r.data()};
    pad_filter.process(in, out2, un);
  }
  // Texture and brush are silent in most steps (here 70-95% of them at energy 0.6): a filter
  // at rest on silent input is skipped (see BlockLti::skip_if_resting).
  // A resting filter's coefficients do not matter: `design` brings them up to date only when it
  // runs. (Designed on the next run instead of at a step's start, mid-step after a split: the
  // filter rested, all zeros, until then, so the bits are the same.)
  const auto filter_layer = [&](auto& filter, Layer layer, float* out_l, float* out_r,
                                auto&& design) __attribute__((always_inline)) {
    const float* in[2] = {plane(layer, 0), plane(layer, 1)};
    float* out2[2] = {out_l, out_r};
    const bool quiet = in[0] == zeros.data() || (all_zero(in[0], n) && all_zero(in[1], n));
    if (quiet && filter.skip_if_resting(un)) {
      std::fill_n(out_l, n, 0.0f);
      std::fill_n(out_r, n, 0.0f);
    } else {
      design();
      filter.process(in, out2, un);
    }
  };
  filter_layer(texture_filter, Layer::texture, tex_l.data(), tex_r.data(),
               [this] { design_texture(); });
  filter_layer(brush_filter, Layer::brush, brush_l.data(), brush_r.data(), [] {});
  pad_chorus.process(std::span<float>(pad_l.data(), un), std::span<float>(pad_r.data(), un), frame);
  // The lead bus: the lead and the ornaments through the echo (the ornaments' own plane is read
  // again for their extra reverb send).
  const float* orn_l = plane(Layer::ornament, 0);
  const float* orn_r = plane(Layer::ornament, 1);
  const bool ornaments = orn_l != zeros.data();
  {
    const float* sl = plane(Layer::lead, 0);
    const float* sr = plane(Layer::lead, 1);
    if (ornaments) {
      for (int i = 0; i < n; ++i) {
        lead_l[i] = sl[i] + orn_l[i];
        lead_r[i] = sr[i] + orn_r[i];
      }
      sl = lead_l.data();
      sr = lead_r.data();
    }
    lead_delay.process(std::span<const float>(sl, un), std::span<const float>(sr, un),
                       std::span<float>(lead_l.data(), un), std::span<float>(lead_r.data(), un));
  }

  static const float kick_gain = dsp::db_to_gain(kKickBusDb);
  const float* kick_sl = plane(Layer::kick, 0);
  const float* kick_sr = plane(Layer::kick, 1);
  const float* bass_sl = plane(Layer::bass, 0);
  const float* bass_sr = plane(Layer::bass, 1);
  // Reverb send (mono, post-fader; the plate high-passes it at 200 Hz itself) and the dry sum,
  // in one pass over the buses; the reverb return is added once the plate has run.
  for (int i = 0; i < n; ++i) {
    const float kl = kick_gain * kick_sl[i], kr = kick_gain * kick_sr[i];
    send[i] = 0.5f * (kPadSend * (pad_l[i] + pad_r[i]) + kLeadSend * (lead_l[i] + lead_r[i]) +
                      kOrnamentExtraSend * (orn_l[i] + orn_r[i]) +
                      kPercussionSend * (kl + kr + brush_l[i] + brush_r[i]) +
                      kAirSend * (tex_l[i] + tex_r[i]));
    const float bass = 0.5f * (bass_sl[i] + bass_sr[i]);
    mix_l[i] = pad_l[i] + lead_l[i] + tex_l[i] + brush_l[i] + kl + bass;
    mix_r[i] = pad_r[i] + lead_r[i] + tex_r[i] + brush_r[i] + kr + bass;
  }
  reverb.process(std::span<const float>(send.data(), un), std::span<float>(wet_l.data(), un),
                 std::span<float>(wet_r.data(), un));
  for (int i = 0; i < n; ++i) {
    mix_l[i] += wet_l[i];
    mix_r[i] += wet_r[i];
  }
  {
    float* io[2] = {mix_l.data(), mix_r.data()};
    master_highpass.process(io, io, un);
  }
  // The slow loudness gain, then the glue compressor, in one pass.
  glue.process(std::span<float>(mix_l.data(), un), std::span<float>(mix_r.data(), un), master_gain);
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
// Splits [start, start + frames) at the absolute 256-frame grid and calls fn(offset, n, frame).
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
  if (!s.started) s.start(job.controls, job.start_frame);
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

double Mixer::master_gain_db() const {
  return state_ ? state_->master_gain_db : 0.0;
}

void Mixer::hold_master_gain_db(double db) {
  if (!state_) state_ = std::make_unique<State>();
  state_->gain_held = true;
  state_->master_gain_db = db;
  state_->master_gain = dsp::db_to_gain(static_cast<float>(db));
}

void Mixer::process_silence(const MixControls& controls, std::int64_t frames,
                            std::span<float> out) {
  if (!state_) state_ = std::make_unique<State>();
  State& s = *state_;
  const dsp::DenormalGuard denormals;
  if (!s.started) s.start(controls, s.next_frame);
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
