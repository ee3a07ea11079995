// Block state-space designs: the direct-form modules rewritten as (A, B, C, D), and the block
// matrices (powers of A, impulse response), computed in double and stored in float.
#include "dsp/block_lti.hpp"

#include <algorithm>
#include <cmath>

namespace auralis::synthesis::dsp {

namespace block_lti_detail {
// The same test the target_clones resolvers make for "arch=x86-64-v4".
#if AURALIS_HAVE_DSP_CLONES
const bool wide_clones = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v4") != 0;
}();
#else
const bool wide_clones = false;
#endif
}  // namespace block_lti_detail

double svf_prewarp(double cutoff_hz, double sample_rate_hz) {
  const double fc = std::clamp(cutoff_hz, 1.0, 0.49 * sample_rate_hz);
  return std::tan(kPi * fc / sample_rate_hz);
}

StateSpace<2> svf_from_prewarp(double g, double q, double m0, double m1_per_k, double m2) {
  // The trapezoidal SVF (Simper/Zavalishin), states (ic1, ic2):
  //   v1 = a1 ic1 - a2 ic2 + a2 x,  v2 = a2 ic1 + (1 - a3) ic2 + a3 x,
  //   ic1' = 2 v1 - ic1,  ic2' = 2 v2 - ic2,  y = m0 x + m1 v1 + m2 v2.
  const double k = 1.0 / std::max(q, 0.05);
  const double a1 = 1.0 / (1.0 + g * (g + k));
  const double a2 = g * a1;
  const double a3 = g * a2;
  const double m1 = m1_per_k * k;
  StateSpace<2> s;
  s.a = {{{2 * a1 - 1, -2 * a2}, {2 * a2, 1 - 2 * a3}}};
  s.b = {2 * a2, 2 * a3};
  s.c = {m1 * a1 + m2 * a2, -m1 * a2 + m2 * (1 - a3)};
  s.d = m0 + m1 * a2 + m2 * a3;
  return s;
}

StateSpace<2> svf_state_space(double cutoff_hz, double q, double sample_rate_hz, double m0,
                              double m1_per_k, double m2) {
  return svf_from_prewarp(svf_prewarp(cutoff_hz, sample_rate_hz), q, m0, m1_per_k, m2);
}

StateSpace<2> svf_lowpass(double cutoff_hz, double q, double sample_rate_hz) {
  return svf_state_space(cutoff_hz, q, sample_rate_hz, 0, 0, 1);
}

StateSpace<2> svf_bandpass(double centre_hz, double q, double sample_rate_hz) {
  return svf_state_space(centre_hz, q, sample_rate_hz, 0, 1, 0);
}

StateSpace<2> biquad_state_space(double b0, double b1, double b2, double a1, double a2) {
  // Transposed direct form II: y = s1 + b0 x, s1' = s2 + b1 x - a1 y, s2' = b2 x - a2 y.
  StateSpace<2> s;
  s.a = {{{-a1, 1}, {-a2, 0}}};
  s.b = {b1 - a1 * b0, b2 - a2 * b0};
  s.c = {1, 0};
  s.d = b0;
  return s;
}

StateSpace<3> pink_state_space() {
  // b_k' = p_k b_k + w q_k; out = G (b0' + b1' + b2' + 0.1848 w).
  constexpr double p[3] = {0.99765, 0.96300, 0.57000};
  constexpr double q[3] = {0.0990460, 0.2965164, 1.0526913};
  const double gain = 0.22;  // near unity gain on white noise (raw: ~4.5)
  StateSpace<3> s;
  double direct = 0.1848;
  for (int k = 0; k < 3; ++k) {
    s.a[k][k] = p[k];
    s.b[k] = q[k];
    s.c[k] = gain * p[k];
    direct += q[k];
  }
  s.d = gain * direct;
  return s;
}

template <int N, int C>
AURALIS_DSP_CLONES void BlockLti<N, C>::set(const StateSpace<N>& sys) {
  // Runs every control step (256 frames) for the swept filters: vector iterations (C A^j,
  // A^j B) and three squarings for A^8, O(8 N^2 + 3 N^3) in all.
  using Vec = std::array<double, N>;
  using Mat = std::array<std::array<double, N>, N>;
  std::array<Vec, kBlock> ca{}, ab{};  // C A^j and A^j B, j = 0..7
  ca[0] = sys.c;
  ab[0] = sys.b;
  for (int j = 1; j < kBlock; ++j)
    for (int r = 0; r < N; ++r) {
      double row = 0, col = 0;
      for (int m = 0; m < N; ++m) {
        row += ca[j - 1][m] * sys.a[m][r];
        col += sys.a[r][m] * ab[j - 1][m];
      }
      ca[j][r] = row;
      ab[j][r] = col;
    }
  auto square = [](const Mat& m) {
    Mat out{};
    for (int r = 0; r < N; ++r)
      for (int k = 0; k < N; ++k) {
        double acc = 0;
        for (int i = 0; i < N; ++i) acc += m[r][i] * m[i][k];
        out[r][k] = acc;
      }
    return out;
  };
  const Mat a8 = square(square(square(sys.a)));
  std::array<double, kBlock> h{};  // impulse response: D, C B, C A B, ...
  h[0] = sys.d;
  for (int k = 1; k < kBlock; ++k) {
    double acc = 0;
    for (int r = 0; r < N; ++r) acc += sys.c[r] * ab[k - 1][r];
    h[k] = acc;
  }
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < kBlock; ++j) v_[i][j] = static_cast<float>(ca[j][i]);
  for (int m = 0; m < kBlock; ++m)
    for (int j = 0; j < kBlock; ++j) t_[m][j] = j >= m ? static_cast<float>(h[j - m]) : 0.0f;
  // With one state its update rows fill every lane: the new state comes out spread across the
  // register, as the next block multiplies by it (no shuffle on the loop-carried chain).
  for (int i = 0; i < N; ++i)
    for (int r = 0; r < kWidth; ++r)
      a8_[i][r] = r < N || N == 1 ? static_cast<float>(a8[N == 1 ? 0 : r][i]) : 0.0f;
  for (int m = 0; m < kBlock; ++m)
    for (int r = 0; r < kWidth; ++r)
      g_[m][r] = r < N || N == 1 ? static_cast<float>(ab[kBlock - 1 - m][N == 1 ? 0 : r]) : 0.0f;
  if constexpr (kRow > kBlock) {
    auto repeat = [](auto& rows) {
      for (auto& row : rows) std::copy_n(row.begin(), kBlock, row.begin() + kBlock);
    };
    repeat(v_);
    repeat(t_);
    repeat(a8_);
    repeat(g_);
  }
}

template void BlockLti<1, 2>::set(const StateSpace<1>&);
template void BlockLti<2, 1>::set(const StateSpace<2>&);
template void BlockLti<2, 2>::set(const StateSpace<2>&);
template void BlockLti<3, 1>::set(const StateSpace<3>&);
template void BlockLti<4, 1>::set(const StateSpace<4>&);
template void BlockLti<4, 2>::set(const StateSpace<4>&);
template void BlockLti<5, 2>::set(const StateSpace<5>&);

}  // namespace auralis::synthesis::dsp
