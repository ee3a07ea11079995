// The block state-space filters against direct-form reference recursions (the same response to
// float rounding), and their split invariance: any split of the signal into
// calls gives bit-identical output.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "dsp/biquad.hpp"
#include "dsp/block_lti.hpp"
#include "synthesis/reference_filters.hpp"

namespace {

using namespace auralis::synthesis::dsp;
using auralis::synthesis::testing::ReferenceBiquad;
using auralis::synthesis::testing::ReferencePink;
using auralis::synthesis::testing::ReferenceSvf;

constexpr float kFs = 48000;

std::vector<float> noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<float> x(n);
  for (auto& v : x) v = u(rng);
  return x;
}

// Largest difference relative to the reference's peak.
double relative_error(const std::vector<float>& a, const std::vector<float>& ref) {
  double peak = 0, err = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    peak = std::max(peak, static_cast<double>(std::fabs(ref[i])));
    err = std::max(err, static_cast<double>(std::fabs(a[i] - ref[i])));
  }
  return err / peak;
}

TEST(DspBlockLti, CascadedSvfLowpassMatchesTheDirectForm) {
  const auto x = noise(48000, 1);
  std::vector<float> ref = x;
  ReferenceSvf s1, s2;
  s1.set_lowpass(900, 0.7f, kFs);
  s2.set_lowpass(900, 1.0f, kFs);
  s1.process(std::span<float>(ref));
  s2.process(std::span<float>(ref));
  BlockLti<4> f;
  f.set(cascade(svf_lowpass(900, 0.7, kFs), svf_lowpass(900, 1.0, kFs)));
  std::vector<float> y(x.size());
  f.process(x.data(), y.data(), x.size());
  EXPECT_LT(relative_error(y, ref), 1e-4);
}

TEST(DspBlockLti, PinkThenBandpassMatchesTheDirectForms) {
  const auto x = noise(48000, 2);
  std::vector<float> ref = x;
  ReferencePink pink;
  ReferenceSvf bp;
  bp.set_bandpass(700, 1.4f, kFs);
  pink.process(std::span<float>(ref));
  bp.process(std::span<float>(ref));
  BlockLti<5, 2> f;
  f.set(cascade(pink_state_space(), svf_bandpass(700, 1.4, kFs)));
  std::vector<float> y(x.size()), y2(x.size());
  const float* in[2] = {x.data(), x.data()};
  float* out[2] = {y.data(), y2.data()};
  f.process(in, out, x.size());
  EXPECT_LT(relative_error(y, ref), 1e-4);
  EXPECT_EQ(y, y2);
}

TEST(DspBlockLti, LowFrequencyBiquadIsAsAccurateAsTransposedDirectForm) {
  // The master 25 Hz high-pass: poles close to 1, the hard case for float filters. Both float
  // forms against the same recursion in double.
  const auto x = noise(96000, 3);
  const auto c = BiquadCoefs::highpass(25, 0.707f, kFs);
  std::vector<float> exact(x.size());
  double s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double y = c.b0 * static_cast<double>(x[i]) + s1;
    s1 = c.b1 * static_cast<double>(x[i]) - c.a1 * y + s2;
    s2 = c.b2 * static_cast<double>(x[i]) - c.a2 * y;
    exact[i] = static_cast<float>(y);
  }
  std::vector<float> direct = x;
  ReferenceBiquad hp(c);
  hp.process(std::span<float>(direct));
  BlockLti<2> f;
  f.set(biquad_state_space(c.b0, c.b1, c.b2, c.a1, c.a2));
  std::vector<float> y(x.size());
  f.process(x.data(), y.data(), x.size());
  const double block_error = relative_error(y, exact);
  const double direct_error = relative_error(direct, exact);
  EXPECT_LT(block_error, 1e-4) << "direct form: " << direct_error;
}

TEST(DspBlockLti, AnySplitGivesTheSameBits) {
  const auto x = noise(20000, 4);
  auto design = cascade(svf_lowpass(2000, 0.7, kFs), svf_lowpass(2000, 1.0, kFs));
  BlockLti<4> whole, split;
  whole.set(design);
  split.set(design);
  whole.align(3);
  split.align(3);
  std::vector<float> a(x.size()), b(x.size());
  whole.process(x.data(), a.data(), x.size());
  const std::size_t sizes[] = {1, 2, 3, 5, 7, 8, 9, 17, 64, 333};
  std::size_t done = 0;
  for (std::size_t k = 0; done < x.size(); ++k) {
    const std::size_t n = std::min(sizes[k % 10], x.size() - done);
    split.process(x.data() + done, b.data() + done, n);
    done += n;
  }
  EXPECT_EQ(a, b);
  // In place too.
  BlockLti<4> inplace;
  inplace.set(design);
  inplace.align(3);
  std::vector<float> c = x;
  inplace.process(c.data(), c.data(), c.size());
  EXPECT_EQ(a, c);
}

#if defined(__x86_64__) && !defined(__clang__)
// Both channels in one 16-wide register (the AVX-512 clones' path) against channel by channel,
// each compiled for x86-64-v4 as the DSP clones are: the same filter to float rounding (the
// compiler may fuse a different multiply-add into each), and any split of the packed path gives
// the same bits.
template <bool kPacked>
__attribute__((target("arch=x86-64-v4"))) void filter_v4(BlockLti<4, 2>& f, float* l, float* r,
                                                         std::size_t n) {
  float* io[2] = {l, r};
  f.process_blocks<kPacked>(io, io, n);
}

TEST(DspBlockLti, PackedStereoMatchesChannelByChannelAndSplitsAlike) {
  if (!__builtin_cpu_supports("x86-64-v4")) GTEST_SKIP() << "this CPU has no AVX-512 (x86-64-v4)";
  const auto design = cascade(svf_lowpass(900, 0.7, kFs), svf_lowpass(900, 1.0, kFs));
  const auto x_l = noise(9000, 7), x_r = noise(9000, 8);
  BlockLti<4, 2> channel_by_channel, packed_whole, packed_split;
  for (auto* f : {&channel_by_channel, &packed_whole, &packed_split}) f->set(design);
  auto a_l = x_l, a_r = x_r, b_l = x_l, b_r = x_r, c_l = x_l, c_r = x_r;
  filter_v4<false>(channel_by_channel, a_l.data(), a_r.data(), a_l.size());
  filter_v4<true>(packed_whole, b_l.data(), b_r.data(), b_l.size());
  const std::size_t sizes[] = {3, 8, 13, 64, 1, 200};
  std::size_t done = 0;
  for (std::size_t k = 0; done < c_l.size(); ++k) {
    const std::size_t n = std::min(sizes[k % 6], c_l.size() - done);
    filter_v4<true>(packed_split, c_l.data() + done, c_r.data() + done, n);
    done += n;
  }
  EXPECT_LT(relative_error(b_l, a_l), 1e-6);
  EXPECT_LT(relative_error(b_r, a_r), 1e-6);
  EXPECT_GT(relative_error(x_l, a_l), 0.1);  // it filtered
  EXPECT_EQ(b_l, c_l);
  EXPECT_EQ(b_r, c_r);
}
#endif

}  // namespace
