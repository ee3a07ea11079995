// BlockLti's hot path, inline so that it compiles into the caller's AVX2 clone.
#pragma once

#include <algorithm>
#include <cstring>

// The vector helpers below are inlined into AVX2 clones; their by-value ABI never matters.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace auralis::synthesis::dsp {

namespace block_lti_detail {
using V8 = float __attribute__((vector_size(32)));
using V4 = float __attribute__((vector_size(16)));
template <int W>
using Vec = std::conditional_t<W == 4, V4, V8>;

template <typename V>
inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <typename V>
inline void store(float* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}
}  // namespace block_lti_detail

template <int N, int C>
inline __attribute__((always_inline)) void BlockLti<N, C>::run_block(const float* const* x,
                                                                     float* const* y, bool update) {
  using namespace block_lti_detail;
  using VS = Vec<kWidth>;
  for (int c = 0; c < C; ++c) {
    const float* xc = x[c];
    const VS s = load<VS>(state_[c].data());
    // Outputs: the state's contribution and the input's (lower-triangular Toeplitz), in two
    // accumulators each; a fixed order, so every call computes the same bits.
    V8 ys = load<V8>(v_[0].data()) * s[0];
    for (int i = 1; i < N; ++i) ys += load<V8>(v_[i].data()) * s[i];
    V8 ya = load<V8>(t_[0].data()) * xc[0];
    V8 yb = load<V8>(t_[1].data()) * xc[1];
    for (int m = 2; m < kBlock; m += 2) {
      ya += load<V8>(t_[m].data()) * xc[m];
      yb += load<V8>(t_[m + 1].data()) * xc[m + 1];
    }
    if (update) {  // before the store: `y` may be `x`
      VS ua = load<VS>(g_[0].data()) * xc[0];
      VS ub = load<VS>(g_[1].data()) * xc[1];
      for (int m = 2; m < kBlock; m += 2) {
        ua += load<VS>(g_[m].data()) * xc[m];
        ub += load<VS>(g_[m + 1].data()) * xc[m + 1];
      }
      VS sa = load<VS>(a8_[0].data()) * s[0];
      VS sb{};
      if constexpr (N > 1) sb = load<VS>(a8_[1].data()) * s[1];
      for (int i = 2; i < N; ++i) {
        if (i % 2 == 0)
          sa += load<VS>(a8_[i].data()) * s[i];
        else
          sb += load<VS>(a8_[i].data()) * s[i];
      }
      store(state_[c].data(), (sa + sb) + (ua + ub));
    }
    store(y[c], ys + (ya + yb));
  }
}

template <int N, int C>
inline __attribute__((always_inline)) void BlockLti<N, C>::process(const float* const* in,
                                                                   float* const* out,
                                                                   std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (pos_ == 0 && n - done >= kBlock) {
      // Whole blocks straight from the caller's buffers.
      const float* x[C];
      float* y[C];
      for (int c = 0; c < C; ++c) {
        x[c] = in[c] + done;
        y[c] = out[c] + done;
      }
      run_block(x, y, true);
      done += kBlock;
      continue;
    }
    // An open block: gather its inputs, compute it (unknown inputs are zero), emit the new part.
    const auto take = std::min<std::size_t>(n - done, static_cast<std::size_t>(kBlock - pos_));
    const float* x[C];
    alignas(32) float tmp[C][kBlock];
    float* y[C];
    for (int c = 0; c < C; ++c) {
      std::copy_n(in[c] + done, take, pending_[c].data() + pos_);
      x[c] = pending_[c].data();
      y[c] = tmp[c];
    }
    const bool complete = pos_ + static_cast<int>(take) == kBlock;
    run_block(x, y, complete);
    for (int c = 0; c < C; ++c) std::copy_n(tmp[c] + pos_, take, out[c] + done);
    if (complete) {
      for (auto& p : pending_) p.fill(0);
      pos_ = 0;
    } else {
      pos_ += static_cast<int>(take);
    }
    done += take;
  }
}

}  // namespace auralis::synthesis::dsp

#pragma GCC diagnostic pop
