// BlockLti's hot path, inline so that it compiles into the caller's AVX2 clone.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

// The vector helpers below are inlined into AVX2 clones; their by-value ABI never matters.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace auralis::synthesis::dsp {

namespace block_lti_detail {

template <typename V>
inline __attribute__((always_inline)) V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <typename V>
inline __attribute__((always_inline)) void store(float* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}
// [a[k] x8 | b[k] x8] from a packed pair [a | b].
template <int K>
inline __attribute__((always_inline)) V16 lanes(V16 v) {
  return __builtin_shufflevector(v, v, K, K, K, K, K, K, K, K, 8 + K, 8 + K, 8 + K, 8 + K, 8 + K,
                                 8 + K, 8 + K, 8 + K);
}
template <int... K>
inline __attribute__((always_inline)) std::array<V16, sizeof...(K)> all_lanes(
    V16 v, std::integer_sequence<int, K...>) {
  return {lanes<K>(v)...};
}
}  // namespace block_lti_detail

// One block's arithmetic for vectors V (8 frames of one channel, or the packed pair): `sk[i]`
// and `xk[m]` are the state and inputs as multipliers (scalars, or lanes spread per channel).
// Outputs: the state's contribution and the input's (lower-triangular Toeplitz), in two
// accumulators each; a fixed order, so every call computes the same bits.
template <int N, int C>
template <typename V, typename States, typename Inputs>
inline __attribute__((always_inline)) V BlockLti<N, C>::block_math(const States& sk,
                                                                   const Inputs& xk, bool update,
                                                                   V& state) const {
  using block_lti_detail::load;
  V ys = load<V>(v_[0].data()) * sk[0];
  for (int i = 1; i < N; ++i) ys += load<V>(v_[i].data()) * sk[i];
  V ya = load<V>(t_[0].data()) * xk[0];
  V yb = load<V>(t_[1].data()) * xk[1];
  for (int m = 2; m < kBlock; m += 2) {
    ya += load<V>(t_[m].data()) * xk[m];
    yb += load<V>(t_[m + 1].data()) * xk[m + 1];
  }
  if (update) {
    V ua = load<V>(g_[0].data()) * xk[0];
    V ub = load<V>(g_[1].data()) * xk[1];
    for (int m = 2; m < kBlock; m += 2) {
      ua += load<V>(g_[m].data()) * xk[m];
      ub += load<V>(g_[m + 1].data()) * xk[m + 1];
    }
    if constexpr (N == 1) {
      // One state: the loop-carried chain is a single multiply-add on the input part (a
      // filter this small is latency-bound, not throughput-bound).
      state = load<V>(a8_[0].data()) * sk[0] + (ua + ub);
    } else {
      V sa = load<V>(a8_[0].data()) * sk[0];
      V sb = load<V>(a8_[1].data()) * sk[1];
      for (int i = 2; i < N; ++i) {
        if (i % 2 == 0)
          sa += load<V>(a8_[i].data()) * sk[i];
        else
          sb += load<V>(a8_[i].data()) * sk[i];
      }
      state = (sa + sb) + (ua + ub);
    }
  }
  return ys + (ya + yb);
}

template <int N, int C>
inline __attribute__((always_inline)) void BlockLti<N, C>::run_block(
    const float* const* x, float* const* y, bool update,
    std::array<block_lti_detail::V8, C>& state) {
  for (int c = 0; c < C; ++c) {
    const block_lti_detail::V8 s = state[c];
    // Computed before the store: `y` may be `x`.
    block_lti_detail::store(y[c], block_math(s, x[c], update, state[c]));
  }
}

// Stereo with 16-wide vectors: both channels' blocks side by side in one register, [left |
// right], every coefficient row used for both: the products and sums of run_block in the same
// order at half the multiply-adds (the bits can still differ from run_block's where the compiler
// fuses a different multiply-add). Only where the DSP clones are the AVX-512 ones: elsewhere
// 16-wide vectors would be split in two and gain nothing.
template <int N, int C>
inline __attribute__((always_inline)) void BlockLti<N, C>::run_block_packed(
    const float* const* x, float* const* y, bool update,
    block_lti_detail::V16& state) requires(C == 2) {
  using namespace block_lti_detail;
  const V8 xl = load<V8>(x[0]), xr = load<V8>(x[1]);
  const V16 xs =
      __builtin_shufflevector(xl, xr, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // With one state, the state register is kept spread per channel already (see set()): no
  // shuffle on the loop-carried chain.
  const auto sk = [&] {
    if constexpr (N == 1)
      return std::array<V16, 1>{state};
    else
      return all_lanes(state, std::make_integer_sequence<int, N>());
  }();
  const auto xk = all_lanes(xs, std::make_integer_sequence<int, kBlock>());
  const V16 out = block_math(sk, xk, update, state);
  store(y[0], __builtin_shufflevector(out, out, 0, 1, 2, 3, 4, 5, 6, 7));
  store(y[1], __builtin_shufflevector(out, out, 8, 9, 10, 11, 12, 13, 14, 15));
}

template <int N, int C>
inline __attribute__((always_inline)) void BlockLti<N, C>::process(const float* const* in,
                                                                   float* const* out,
                                                                   std::size_t n) {
  if constexpr (C == 2) {
    if (block_lti_detail::wide_clones) return process_blocks<true>(in, out, n);
  }
  process_blocks<false>(in, out, n);
}

template <int N, int C>
template <bool kPacked>
inline __attribute__((always_inline)) void BlockLti<N, C>::process_blocks(const float* const* in,
                                                                          float* const* out,
                                                                          std::size_t n) {
  // The state stays in registers from block to block (a store to memory and the reload were on
  // the loop-carried chain).
  using namespace block_lti_detail;
  using Registers = std::conditional_t<kPacked, V16, std::array<V8, C>>;
  Registers state;
  std::memcpy(&state, state_.data(), sizeof state);  // state_[c] are contiguous
  const auto run = [ this, &state ](const float* const* x, float* const* y, bool update)
      __attribute__((always_inline)) {
    if constexpr (kPacked)
      run_block_packed(x, y, update, state);
    else
      run_block(x, y, update, state);
  };
  std::size_t done = 0;
  alignas(32) float tmp[C][kBlock];
  while (done < n) {
    // Whole blocks straight from the caller's buffers; an open block gathers its inputs (the
    // unknown ones are zero), is computed whole and emits its new part. Both go through the
    // one call below, so the compiler fuses the same multiply-adds for both: a split never
    // changes a bit.
    const bool whole = pos_ == 0 && n - done >= kBlock;
    const auto take =
        whole ? kBlock : std::min<std::size_t>(n - done, static_cast<std::size_t>(kBlock - pos_));
    const bool complete = pos_ + static_cast<int>(take) == kBlock;
    const float* x[C];
    float* y[C];
    for (int c = 0; c < C; ++c) {
      if (whole) {
        x[c] = in[c] + done;
        y[c] = out[c] + done;
      } else {
        std::copy_n(in[c] + done, take, pending_[c].data() + pos_);
        x[c] = pending_[c].data();
        y[c] = tmp[c];
      }
    }
    run(x, y, complete);
    if (!whole) {
      for (int c = 0; c < C; ++c) std::copy_n(tmp[c] + pos_, take, out[c] + done);
      if (complete) {
        for (auto& p : pending_) p.fill(0);
        pos_ = 0;
      } else {
        pos_ += static_cast<int>(take);
      }
    }
    done += take;
  }
  std::memcpy(state_.data(), &state, sizeof state);
}

}  // namespace auralis::synthesis::dsp

#pragma GCC diagnostic pop
