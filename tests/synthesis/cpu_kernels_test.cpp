// The CPU engine's oscillator kernels against their closed forms evaluated per sample in double:
// the kernels take shortcuts (residuals added only around wraps, modulation interpolated between
// nodes, shaping as a polynomial) that must not change what they compute.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

// The phase a kernel computes in float for sample i (multiply-add fused, as in the AVX2 and
// AVX-512 builds), and how far an unfused build's phase may be from it.
float float_phase(float phase, float inc, int i) {
  return std::fma(static_cast<float>(i), inc, phase);
}
double phase_slack(float phase) {
  return 2 * std::abs(phase) * 0x1p-23;
}

TEST(CpuKernels, SubBassIsTheNormalisedTanhOfASine) {
  const double drive = 1.5;  // the bass patch's
  std::vector<float> out(kBlockFrames);
  SubParams p{};
  p.shape = soft_clip_shape(drive);
  double worst = 0;
  for (const double f : {27.5, 41.2, 98.0, 196.0}) {
    for (const double start : {0.0, 0.37, 0.99}) {
      p.phase = static_cast<float>(start);
      p.inc = static_cast<float>(f / 48000.0);
      sub_bass(p, {0, kBlockFrames}, out.data());
      for (int i = 0; i < kBlockFrames; ++i) {
        const float ph = float_phase(p.phase, p.inc, i);
        const double want = std::tanh(drive * std::sin(2 * M_PI * ph)) / std::tanh(drive);
        // The shaper's slope is at most 2 pi drive / tanh(drive) per cycle of phase.
        const double tolerance = 3e-7 + phase_slack(ph) * 2 * M_PI * drive / std::tanh(drive);
        ASSERT_NEAR(out[i], want, tolerance) << "f " << f << " sample " << i;
        worst = std::max(worst, std::abs(out[i] - want));
      }
    }
  }
  std::printf("[ kernels ] sub bass: worst |error| %.2e\n", worst);
}

TEST(CpuKernels, FmIsTwoOperatorsWithDelayedVibratoAndDecayingIndex) {
  // The soft lead's constants (ratio 1), as voice_setup derives them for a 440 Hz note of
  // timbre 1, and the glass bell's modulator ratio (3.5, its own phase).
  for (const double ratio : {1.0, 3.5}) {
    const double sr = 48000, f = 440, vib_hz = 5, cents = 10, delay_s = 0.7, fade_s = 0.5;
    const double index0 = 1.5, floor = 0.3, decay_s = 0.6;
    FmParams p{};
    p.inc = static_cast<float>(f / sr);
    p.mod_inc = static_cast<float>(ratio * f / sr);
    p.ratio = static_cast<float>(ratio);
    p.vib_inc = static_cast<float>(vib_hz / sr);
    p.vib_amp_cycles = static_cast<float>(f * (cents * std::log(2.0) / 1200) / (2 * M_PI * vib_hz));
    p.vib_delay_frames = static_cast<float>(delay_s * sr);
    p.vib_inv_fade = static_cast<float>(1 / (fade_s * sr));
    p.index_cycles = static_cast<float>(index0 / (2 * M_PI));
    p.index_floor = static_cast<float>(floor);
    p.index_decay_log2 = static_cast<float>(-std::log2(std::exp(1.0)) / (decay_s * sr));
    std::vector<float> out(kBlockFrames, 123.0f);
    double worst = 0;
    // Blocks at note-on, in the attack of the vibrato, and once it is at full depth.
    for (const double t0_s : {0.0, 0.8, 1.6}) {
      for (const Range r : {Range{0, kBlockFrames}, Range{3, 1001}}) {
        p.t0_frames = static_cast<float>(t0_s * sr);
        p.phase = 0.25f;
        p.mod_phase = ratio == 1.0 ? p.phase : 0.6f;
        std::fill(out.begin(), out.end(), 123.0f);
        fm_voice(p, r, out.data());
        for (int i = 0; i < kBlockFrames; ++i) {
          if (i < r.begin || i >= r.end) {
            ASSERT_EQ(out[i], 123.0f) << "wrote outside the range at " << i;
            continue;
          }
          const double t = p.t0_frames + i;
          const double fade = std::clamp((t - p.vib_delay_frames) * p.vib_inv_fade, 0.0, 1.0);
          const double vib = p.vib_amp_cycles * fade * std::sin(2 * M_PI * p.vib_inc * t);
          const double index =
              p.index_cycles * (floor + (1 - floor) * std::exp2(p.index_decay_log2 * t));
          const double carrier = float_phase(p.phase, p.inc, i) + vib;
          const double modulator = float_phase(p.mod_phase, p.mod_inc, i) + ratio * vib;
          const double want =
              std::sin(2 * M_PI * (carrier + index * std::sin(2 * M_PI * modulator)));
          // Vibrato and index are linear between 16-frame nodes: ~1e-6 cycles of phase at full
          // vibrato, times the output's slope in phase (2 pi (1 + 2 pi ratio index)).
          ASSERT_NEAR(out[i], want, 5e-5 * ratio) << "t0 " << t0_s << " sample " << i;
          worst = std::max(worst, std::abs(out[i] - want));
        }
      }
    }
    std::printf("[ kernels ] fm ratio %.1f: worst |error| %.2e\n", ratio, worst);
  }
}

TEST(CpuKernels, ModalIsASumOfDecayingPartials) {
  // A pluck-like voice: four partials with their own decays, one steady (a shimmer pair's).
  ModalParams p{};
  p.count = 4;
  const double f = 330, sr = 48000;
  const double ratios[4] = {1.0, 2.002, 3.01, 4.0};
  const double amps[4] = {1.0, 0.4, 0.2, 0.1};
  const double decays_s[4] = {1.2, 0.6, 0.0, 0.3};
  for (int k = 0; k < 4; ++k) {
    p.phase[k] = static_cast<float>(0.1 * k);
    p.inc[k] = static_cast<float>(f * ratios[k] / sr);
    p.amp[k] = static_cast<float>(amps[k]);
    p.decay_log2[k] =
        decays_s[k] > 0 ? static_cast<float>(-std::log2(std::exp(1.0)) / (decays_s[k] * sr)) : 0.0f;
  }
  std::vector<float> out(kBlockFrames, 123.0f);
  double worst = 0;
  for (const double t0_s : {0.0, 0.9}) {
    p.t0_frames = static_cast<float>(t0_s * sr);
    const Range r{5, 2000};
    std::fill(out.begin(), out.end(), 123.0f);
    modal(p, r, out.data());
    for (int i = 0; i < kBlockFrames; ++i) {
      if (i < r.begin || i >= r.end) {
        ASSERT_EQ(out[i], 123.0f) << "wrote outside the range at " << i;
        continue;
      }
      double want = 0, slack = 0;
      for (int k = 0; k < 4; ++k) {
        const double t = p.t0_frames + i;
        const double decay = decays_s[k] > 0 ? std::exp(-t / (decays_s[k] * sr)) : 1.0;
        const float ph = float_phase(p.phase[k], p.inc[k], i);
        want += amps[k] * decay * std::sin(2 * M_PI * ph);
        slack += amps[k] * (2 * M_PI * phase_slack(ph) + 1e-6);
      }
      ASSERT_NEAR(out[i], want, slack + 1e-6) << "t0 " << t0_s << " sample " << i;
      worst = std::max(worst, std::abs(out[i] - want));
    }
  }
  std::printf("[ kernels ] modal: worst |error| %.2e\n", worst);
}

// The first voice on a bus writes it instead of adding to a cleared one: the same bits over the
// voice's range, for every curve and envelope segment, and a range running past the envelope.
TEST(CpuKernels, EnvelopeMixAssignEqualsAddingToZeros) {
  std::vector<float> x(kBlockFrames);
  for (int i = 0; i < kBlockFrames; ++i) x[i] = static_cast<float>(std::sin(0.01 * i) - 0.3);
  for (const float curve : {1.0f, 2.0f, 3.0f, 1.7f}) {
    voice::EnvelopeFrames e{};
    e.attack = 300;
    e.decay = 500;
    e.sustain = 0.6f;
    e.gate = 1200;
    e.release = 600;
    e.curve = curve;
    for (const float t0 : {-100.0f, 0.0f, 250.0f, 1100.0f}) {
      const Range r{100, 2020};  // longer than the envelope from most starts
      std::vector<float> al(kBlockFrames, 0.0f), ar(kBlockFrames, 0.0f);
      std::vector<float> bl(kBlockFrames, 7.0f), br(kBlockFrames, -7.0f);
      envelope_mix(e, t0, 0.7f, 0.4f, r, x.data(), al.data(), ar.data(), false);
      envelope_mix(e, t0, 0.7f, 0.4f, r, x.data(), bl.data(), br.data(), true);
      for (int i = r.begin; i < r.end; ++i) {
        ASSERT_EQ(al[i], bl[i]) << "curve " << curve << " t0 " << t0 << " frame " << i;
        ASSERT_EQ(ar[i], br[i]) << "curve " << curve << " t0 " << t0 << " frame " << i;
      }
      EXPECT_EQ(bl[r.begin - 1], 7.0f) << "wrote before the range";
      EXPECT_EQ(bl[r.end], 7.0f) << "wrote after the range";
    }
  }
}

}  // namespace
}  // namespace auralis::synthesis::cpu
