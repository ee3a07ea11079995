// The LibTorch engine (on the CPU device) and the CPU engine render the same dry stems: for every
// layer, correlation >= 0.99 on the reference phrase with carried tails. In practice both compute
// the same closed forms in float32 and agree far closer than that; the bound leaves room only for
// different polynomial/libm approximations (sine, tanh, exp, pow).
#include <gtest/gtest.h>

#include <cstdio>
#include <iterator>
#include <utility>

#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/timeline.hpp"
#include "synthesis/reference_phrase.hpp"
#include "synthesis/signal_stats.hpp"

namespace auralis::synthesis {
namespace {

constexpr double kMinCorrelation = 0.99;

TEST(EngineParity, TorchOnCpuMatchesTheCpuEngineOnEveryLayer) {
  if (!torch_engine_available()) GTEST_SKIP() << "built without LibTorch";
  Timeline timeline;
  timeline.place(testing::reference_phrase(0));
  const auto job = timeline.place(testing::reference_phrase(1));
  Stems cpu, torch;
  make_cpu_engine()->render(job, cpu);
  make_torch_engine("cpu")->render(job, torch);
  ASSERT_EQ(cpu.frames(), torch.frames());
  for (int l = 0; l < music::kLayerCount; ++l) {
    const auto layer = static_cast<music::Layer>(l);
    for (int ch = 0; ch < 2; ++ch) {
      const auto a = cpu.plane(layer, ch);
      const auto b = torch.plane(layer, ch);
      const double corr = testing::correlation(a, b);
      double diff = 0;
      for (std::size_t i = 0; i < a.size(); ++i)
        diff = std::max(diff, double(std::abs(a[i] - b[i])));
      std::printf("[ parity ] layer %d ch %d: 1 - correlation %.2e, max |diff| %.2e, rms %.4f\n", l,
                  ch, 1.0 - corr, diff, testing::rms(a));
      EXPECT_GE(corr, kMinCorrelation) << "layer " << l << " channel " << ch;
      EXPECT_NEAR(testing::rms(a), testing::rms(b), 0.01 * testing::rms(a))
          << "layer " << l << " channel " << ch << " level differs between engines";
    }
  }
}

// Every instrument alone, on a few pitches and brightnesses: both engines play the same sound.
TEST(EngineParity, EveryInstrumentSoundsTheSameOnBothEngines) {
  if (!torch_engine_available()) GTEST_SKIP() << "built without LibTorch";
  using music::Instrument;
  using music::Layer;
  const std::pair<Instrument, Layer> kAll[] = {
      {Instrument::warm_pad, Layer::pad},        {Instrument::string_pad, Layer::pad},
      {Instrument::soft_lead, Layer::lead},      {Instrument::electric_piano, Layer::lead},
      {Instrument::glass_bell, Layer::ornament}, {Instrument::pluck, Layer::lead},
      {Instrument::shimmer, Layer::ornament},    {Instrument::sub_bass, Layer::bass},
      {Instrument::air, Layer::texture},         {Instrument::kick, Layer::kick},
      {Instrument::brush, Layer::brush}};
  static_assert(std::size(kAll) == music::kInstrumentCount);
  auto cpu_engine = make_cpu_engine();
  auto torch_engine = make_torch_engine("cpu");
  for (const auto& [instrument, layer] : kAll) {
    for (const double brightness : {0.1, 0.9}) {
      music::Phrase p = testing::reference_phrase(3);
      p.brightness = brightness;
      p.notes.clear();
      for (int k = 0; k < 4; ++k) {
        const int midi =
            layer == Layer::bass ? 36 + 3 * k : (layer == Layer::pad ? 52 + 5 * k : 74 + 5 * k);
        p.notes.push_back(testing::make_note(layer, midi, 1.0 + 5.5 * k, 3.0, p.tempo_bpm,
                                             0.4f + 0.15f * k, static_cast<std::uint8_t>(k)));
        p.notes.back().instrument = instrument;
      }
      Timeline timeline;
      const auto job = timeline.place(p);
      Stems cpu, torch;
      cpu_engine->render(job, cpu);
      torch_engine->render(job, torch);
      for (int ch = 0; ch < 2; ++ch) {
        const auto a = cpu.plane(layer, ch);
        const auto b = torch.plane(layer, ch);
        const double corr = testing::correlation(a, b);
        std::printf("[ parity ] %-14s brightness %.1f ch %d: 1 - correlation %.2e, rms %.4f\n",
                    music::instrument_name(instrument), brightness, ch, 1.0 - corr,
                    testing::rms(a));
        EXPECT_GT(testing::rms(a), 1e-4) << music::instrument_name(instrument) << " is silent";
        EXPECT_GE(corr, kMinCorrelation) << music::instrument_name(instrument);
        EXPECT_NEAR(testing::rms(a), testing::rms(b), 0.01 * testing::rms(a))
            << music::instrument_name(instrument) << " level differs between engines";
      }
    }
  }
}

TEST(EngineParity, TorchRejectsAnUnusableDeviceClearly) {
  if (!torch_engine_available()) GTEST_SKIP() << "built without LibTorch";
  EXPECT_THROW(make_torch_engine("tpu"), std::runtime_error);
  EXPECT_THROW(make_torch_engine("cuda:x"), std::runtime_error);
  EXPECT_THROW(make_torch_engine("cuda:99"), std::runtime_error);
}

TEST(EngineParity, EnginesNameThemselves) {
  EXPECT_EQ(make_cpu_engine()->name(), "cpu");
  EXPECT_EQ(make_cpu_engine()->device(), "cpu");
  if (torch_engine_available()) {
    EXPECT_EQ(make_torch_engine("cpu")->name(), "torch");
    EXPECT_EQ(make_torch_engine("cpu")->device(), "cpu");
  } else {
    EXPECT_THROW(make_torch_engine("cpu"), std::runtime_error);
  }
}

}  // namespace
}  // namespace auralis::synthesis
