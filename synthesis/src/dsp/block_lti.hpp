// Linear recursive filters (SVF, biquad, pinking, and cascades or sums of them) run as a
// state-space system over blocks of 8 frames, vectorised along time instead of across lanes.
//
// For a system s[n+1] = A s[n] + B x[n], y[n] = C s[n] + D x[n] with N states, the 8 outputs
// of a block are  y[j] = sum_i (C A^j)_i s_i + sum_{m<=j} h[j-m] x[m]  (h the impulse response)
// and the state after it is  A^8 s + sum_m A^(7-m) B x[m]. Both are a handful of 8-wide
// multiply-adds, and the only loop-carried chain is the state update once per 8 frames, so a
// recursion that costs ~12 cycles of latency per sample in direct form costs ~2 per sample.
//
// Blocks sit on a fixed grid (set by align()). A call that ends inside a block computes that
// block from its start state with the missing inputs taken as zero, which changes none of the
// outputs it emits (each y[j] only sees x[m <= j], and the zero terms add exactly nothing), and
// finishes it in the next call: any split of the signal into calls gives the same output.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "dsp/dsp_common.hpp"

namespace auralis::synthesis::dsp {

namespace block_lti_detail {
using V16 = float __attribute__((vector_size(64)));
using V8 = float __attribute__((vector_size(32)));
// True where the loader picks the AVX-512 (x86-64-v4) clones of the DSP loops: there, stereo
// filters run both channels in one 16-wide register.
extern const bool wide_clones;
}  // namespace block_lti_detail

// A continuous-valued description in double: the design is done once per coefficient change.
template <int N>
struct StateSpace {
  std::array<std::array<double, N>, N> a{};  // a[row][col]
  std::array<double, N> b{}, c{};
  double d = 0;
};

// Building blocks (double precision designs matching the direct-form modules).
StateSpace<2> svf_state_space(double cutoff_hz, double q, double sample_rate_hz, double m0,
                              double m1_per_k, double m2);
StateSpace<2> svf_lowpass(double cutoff_hz, double q, double sample_rate_hz);
// The same SVF from its prewarped gain g = tan(pi fc / fs), for designs sharing one cutoff
// (one tan instead of one per stage).
double svf_prewarp(double cutoff_hz, double sample_rate_hz);
StateSpace<2> svf_from_prewarp(double g, double q, double m0, double m1_per_k, double m2);
StateSpace<2> svf_bandpass(double centre_hz, double q, double sample_rate_hz);
StateSpace<2> biquad_state_space(double b0, double b1, double b2, double a1, double a2);
// Paul Kellet's economy pinking filter (three leaky integrators), 3 states.
StateSpace<3> pink_state_space();

// y = second(first(x)).
template <int N1, int N2>
StateSpace<N1 + N2> cascade(const StateSpace<N1>& first, const StateSpace<N2>& second) {
  StateSpace<N1 + N2> s;
  for (int r = 0; r < N1; ++r) {
    for (int k = 0; k < N1; ++k) s.a[r][k] = first.a[r][k];
    s.b[r] = first.b[r];
    s.c[r] = second.d * first.c[r];
  }
  for (int r = 0; r < N2; ++r) {
    for (int k = 0; k < N1; ++k) s.a[N1 + r][k] = second.b[r] * first.c[k];
    for (int k = 0; k < N2; ++k) s.a[N1 + r][N1 + k] = second.a[r][k];
    s.b[N1 + r] = second.b[r] * first.d;
    s.c[N1 + r] = second.c[r];
  }
  s.d = second.d * first.d;
  return s;
}

template <int N>
StateSpace<N> scaled(StateSpace<N> s, double gain) {  // y = gain * system(x)
  for (auto& v : s.c) v *= gain;
  s.d *= gain;
  return s;
}

// One block filter per channel, run in lock-step over C channels (independent recursions
// overlap in the CPU). Copyable, allocation-free.
template <int N, int C = 1>
class BlockLti {
 public:
  static constexpr int kBlock = 8;
  // SIMD width of the state vector: 8 even for N <= 4, where 4-wide updates measured ~30%
  // slower (the block's 8-wide outputs and 4-wide updates mix badly on AVX2).
  static constexpr int kWidth = 8;

  // New coefficients for every channel. Takes effect from the current block's start, so call
  // it on the block grid (the mixer changes coefficients every 256 frames).
  void set(const StateSpace<N>& sys);
  // Puts the block grid at absolute frame 0 for a stream whose next sample is `frame`.
  void align(std::int64_t frame) { pos_ = static_cast<int>(((frame % kBlock) + kBlock) % kBlock); }
  void reset() {
    for (auto& s : state_) s.fill(0);
    for (auto& x : pending_) x.fill(0);
  }

  // For `n` frames of all-zero input: true when the filter is at rest (zero state, no inputs
  // held for an open block), after moving along the block grid as process() would. Its output
  // for them is zero then, and it stays at rest, so the caller may write zeros instead of
  // calling process(): the same bits, for a layer that is silent most of the time.
  bool skip_if_resting(std::size_t n) {
    for (const auto& s : state_)
      for (float v : s)
        if (v != 0) return false;
    for (const auto& p : pending_)
      for (float v : p)
        if (v != 0) return false;
    pos_ = static_cast<int>((static_cast<std::size_t>(pos_) + n) % kBlock);
    return true;
  }

  // Filters `n` frames of each channel: in[c] -> out[c] (in place allowed).
  void process(const float* const* in, float* const* out, std::size_t n);
  void process(const float* in, float* out, std::size_t n) { process(&in, &out, n); }

  // process() with the path chosen: kPacked runs stereo pairs 16-wide (what process() does where
  // block_lti_detail::wide_clones), else channel by channel. Each is split-invariant.
  template <bool kPacked>
  void process_blocks(const float* const* in, float* const* out, std::size_t n);

 private:
  template <typename V, typename States, typename Inputs>
  V block_math(const States& sk, const Inputs& xk, bool update, V& state) const;
  void run_block(const float* const* x, float* const* y, bool update,
                 std::array<block_lti_detail::V8, C>& state);
  void run_block_packed(const float* const* x, float* const* y, bool update,
                        block_lti_detail::V16& state) requires(C == 2);

  // Coefficient rows of 8; stereo filters store each twice, [row | row], for the packed path.
  static constexpr int kRow = C == 2 ? 2 * kBlock : kBlock;
  alignas(64) std::array<std::array<float, kRow>, N> v_{};          // (C A^j)_i, per i
  alignas(64) std::array<std::array<float, kRow>, kBlock> t_{};     // h[j - m], per m
  alignas(64) std::array<std::array<float, kRow>, N> a8_{};         // columns of A^8
  alignas(64) std::array<std::array<float, kRow>, kBlock> g_{};     // A^(7-m) B, per m
  alignas(64) std::array<std::array<float, kWidth>, C> state_{};    // at the block's start
  alignas(32) std::array<std::array<float, kBlock>, C> pending_{};  // inputs of an open block
  int pos_ = 0;                                                     // frames into that block
};

}  // namespace auralis::synthesis::dsp

#include "dsp/block_lti_impl.hpp"
