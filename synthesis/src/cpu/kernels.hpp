// The CPU engine's vectorised block kernels. Every kernel works on offsets [begin, end) of one
// block aligned to the absolute frame grid (multiples of kBlockFrames); phases and times are
// given at the block's first frame, so a sample's value never depends on where a render window
// starts or ends (bit-identical renders across any window split).
#pragma once

#include <array>
#include <cstdint>

#include "voice_model.hpp"

namespace auralis::synthesis::cpu {

inline constexpr int kBlockFrames = 2048;

struct Range {
  int begin;
  int end;
};

// Pad: three PolyBLEP saws summed and scaled by 1/3.
struct SawParams {
  float phase[3];  // cycles at the block's first frame, [0,1)
  float inc[3];    // cycles per frame
  float inv_inc[3];
};
void pad_saws(const SawParams& p, Range r, float* out);

// Two-operator FM (soft lead, electric piano, glass bell): carrier and modulator phases, a
// decaying index and a delayed phase-modulation vibrato (which moves the modulator by `ratio`
// times as much, as if the whole voice were bent).
struct FmParams {
  float phase;             // carrier cycles at the block's first frame, [0,1)
  float inc;               // carrier cycles per frame
  float mod_phase;         // modulator cycles at the block's first frame, [0,1)
  float mod_inc;           // modulator cycles per frame
  float ratio;             // modulator / carrier frequency
  float t0_frames;         // frames since note-on at the block's first frame
  float vib_inc;           // vibrato cycles per frame
  float vib_amp_cycles;    // peak phase deviation of the vibrato, carrier cycles
  float vib_delay_frames;  // vibrato starts here...
  float vib_inv_fade;      // ...and reaches full depth after 1/vib_inv_fade frames
  float index_cycles;      // initial modulation index / (2 pi)
  float index_floor;       // fraction of the index left after the decay
  float index_decay_log2;  // -log2 e / time constant, per frame
};
void fm_voice(const FmParams& p, Range r, float* out);

// Modal voices (pluck, shimmer): sum of up to four sine partials, each with its own
// exponential decay from note-on (0: steady).
inline constexpr int kMaxPartials = 4;
struct ModalParams {
  int count;
  float t0_frames;            // frames since note-on at the block's first frame
  float phase[kMaxPartials];  // cycles at the block's first frame, [0,1)
  float inc[kMaxPartials];    // cycles per frame
  float amp[kMaxPartials];
  float decay_log2[kMaxPartials];  // -log2 e / time constant, per frame (0: steady)
};
void modal(const ModalParams& p, Range r, float* out);

// Sub bass: tanh(drive * sine) / tanh(drive), as sine * P(sine^2).
inline constexpr int kShapeTerms = 10;
struct SubParams {
  float phase;
  float inc;
  std::array<float, kShapeTerms> shape;  // P's coefficients, constant term first
};
// The coefficients of P for a drive (a few microseconds: compute once per patch).
std::array<float, kShapeTerms> soft_clip_shape(double drive);
void sub_bass(const SubParams& p, Range r, float* out);

// Kick: sine with an exponential pitch sweep, phase in closed form from note-on.
struct KickParams {
  float t0_frames;
  float end_inc;           // final cycles per frame
  float sweep_cycles;      // (start - end frequency) x time constant, cycles
  float sweep_decay_log2;  // -log2 e / time constant, per frame
};
void kick_sweep(const KickParams& p, Range r, float* out);

// Counter-based white noise: out[i] = voice::noise_sample(key, block_frame + i).
void white_noise(std::uint32_t key, std::int64_t block_frame, Range r, float* out);

// acc_{l,r}[i] += gain_{l,r} * env(t0 + i) * x[i], env the closed-form ADSR of voice_model.hpp
// (the sustain plateau costs one multiply); with `assign`, = instead of += over all of r (the
// first voice on a bus: nothing to clear first).
void envelope_mix(const voice::EnvelopeFrames& e, float t0_frames, float gain_l, float gain_r,
                  Range r, const float* x, float* acc_l, float* acc_r, bool assign = false);

}  // namespace auralis::synthesis::cpu
