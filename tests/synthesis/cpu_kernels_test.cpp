// The CPU engine's oscillator kernels against their closed forms evaluated per sample in double:
// the kernels take shortcuts (residuals added only around wraps, modulation interpolated between
// nodes, shaping as a polynomial) that must not change what they compute.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cpu/kernels.hpp"

namespace auralis::synthesis::cpu {
namespace {

double frac(double x) {
  return x - std::floor(x);
}

// One PolyBLEP saw, per sample, as the engine's patch defines it.
double blep_saw(double p, double dt) {
  const double a = std::max(1 - p / dt, 0.0);
  const double b = std::max(1 - (1 - p) / dt, 0.0);
  return 2 * p - 1 + a * a - b * b;
}

TEST(CpuKernels, PadSawsEqualThePerSamplePolyBlepSum) {
  // Frequencies from a low pad note to above fs/8 (where every sample may need a residual), and
  // ranges that start and end inside the block.
  const double freqs[] = {41.2, 130.8, 261.6, 523.3, 1046.5, 3520.0, 7040.0, 15000.0};
  const Range ranges[] = {{0, kBlockFrames}, {1, kBlockFrames - 1}, {517, 1293}, {2047, 2048}};
  std::vector<float> out(kBlockFrames);
  int checked = 0;
  for (const double f : freqs) {
    for (const double start : {0.0, 0.013, 0.5, 0.9999}) {
      SawParams p{};
      for (int k = 0; k < 3; ++k) {
        const double fk = f * std::exp2((k - 1) * 7.0 / 1200.0);
        p.phase[k] = static_cast<float>(frac(start + 0.31 * k));
        p.inc[k] = static_cast<float>(fk / 48000.0);
        p.inv_inc[k] = 1.0f / p.inc[k];
      }
      for (const Range r : ranges) {
        std::fill(out.begin(), out.end(), 123.0f);
        pad_saws(p, r, out.data());
        for (int i = 0; i < kBlockFrames; ++i) {
          if (i < r.begin || i >= r.end) {
            ASSERT_EQ(out[i], 123.0f) << "wrote outside the range at " << i;
            continue;
          }
          double want = 0, tolerance = 1e-6;
          for (int k = 0; k < 3; ++k) {
            // The phase as the kernel's float arithmetic gives it, the rest in double. Where the
            // kernel's rounding differs (a multiply-add fused or not) the phase may differ by an
            // ulp, which moves a residual by up to 2/dt per unit of phase.
            const float ph = std::fma(static_cast<float>(i), p.inc[k], p.phase[k]);
            want += blep_saw(frac(ph), p.inc[k]);
            tolerance += 2 * std::abs(ph) * 0x1p-23 * (2 + 2 / p.inc[k]) / 3;
          }
          want /= 3;
          ASSERT_NEAR(out[i], want, tolerance)
              << "f " << f << " start " << start << " sample " << i;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100000);
}

}  // namespace
}  // namespace auralis::synthesis::cpu
