// Stems' silence flags: set only where both channels hold zeros, kept through resize, dropped
// by a writable plane() or a store, and store_silence() writes every frame it is asked to.
#include "auralis/synthesis/stems.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace auralis::synthesis {
namespace {

using music::Layer;
constexpr std::int64_t kGrain = Stems::kGrain;

bool all_zero(const Stems& s, Layer layer, std::int64_t begin, std::int64_t n) {
  for (int ch = 0; ch < 2; ++ch) {
    const auto p =
        s.plane(layer, ch).subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(n));
    if (!std::all_of(p.begin(), p.end(), [](float x) { return x == 0.0f; })) return false;
  }
  return true;
}

void fill_nan(Stems& s, Layer layer) {
  for (int ch = 0; ch < 2; ++ch) {
    auto p = s.plane(layer, ch);
    std::fill(p.begin(), p.end(), std::numeric_limits<float>::quiet_NaN());
  }
}

TEST(Stems, FreshFramesAreKnownSilentAndAWritablePlaneDropsTheFlags) {
  Stems s;
  s.resize(10 * kGrain + 17);
  EXPECT_TRUE(s.silent(Layer::pad, 0, s.frames()));
  EXPECT_TRUE(all_zero(s, Layer::pad, 0, s.frames()));
  (void)s.plane(Layer::pad, 1);
  EXPECT_FALSE(s.silent(Layer::pad, 0, 1));
  EXPECT_TRUE(s.silent(Layer::lead, 0, s.frames()));  // other layers keep theirs
  s.clear();
  EXPECT_TRUE(s.silent(Layer::pad, 0, s.frames()));
}

TEST(Stems, StoreClearsTheGrainsItTouches) {
  Stems s;
  s.resize(8 * kGrain);
  const std::vector<float> l(100, 0.5f), r(100, -0.5f);
  s.store(Layer::kick, 2 * kGrain + 200, l.data(), r.data(), 100);  // grains 2 and 3
  EXPECT_TRUE(s.silent(Layer::kick, 0, 2 * kGrain));
  EXPECT_FALSE(s.silent(Layer::kick, 2 * kGrain, 1));
  EXPECT_FALSE(s.silent(Layer::kick, 3 * kGrain, 1));
  EXPECT_TRUE(s.silent(Layer::kick, 4 * kGrain, 4 * kGrain));
  EXPECT_EQ(std::as_const(s).plane(Layer::kick, 0)[2 * kGrain + 250], 0.5f);
  EXPECT_EQ(std::as_const(s).plane(Layer::kick, 1)[2 * kGrain + 299], -0.5f);
}

TEST(Stems, StoreSilenceZeroesEveryFrameAndFlagsWholeGrainsOnly) {
  Stems s;
  s.resize(6 * kGrain + 40);
  fill_nan(s, Layer::texture);
  // From inside grain 1 to the end of the stems (grain 6 is the partial last one).
  s.store_silence(Layer::texture, kGrain + 10, s.frames() - kGrain - 10);
  EXPECT_TRUE(all_zero(s, Layer::texture, kGrain + 10, s.frames() - kGrain - 10));
  EXPECT_TRUE(std::isnan(
      std::as_const(s).plane(Layer::texture, 0)[kGrain + 9]));  // before the range: untouched
  EXPECT_FALSE(s.silent(Layer::texture, kGrain, 1));            // grain 1 is only partly zeroed
  EXPECT_TRUE(s.silent(Layer::texture, 2 * kGrain, s.frames() - 2 * kGrain));
  // A known-silent grain is skipped: its samples are not written again (the flag vouches).
  s.store_silence(Layer::texture, 2 * kGrain, kGrain);
  EXPECT_TRUE(all_zero(s, Layer::texture, 2 * kGrain, kGrain));
}

TEST(Stems, ResizeKeepsFlagsTruthful) {
  Stems s;
  s.resize(3 * kGrain + 5);
  const std::vector<float> one(3 * kGrain + 5, 1.0f);
  s.store(Layer::brush, 0, one.data(), one.data(), s.frames());
  s.resize(kGrain + 3);  // shrink into grain 1
  s.resize(5 * kGrain);  // grow again: the new frames are zeros
  EXPECT_FALSE(s.silent(Layer::brush, 0, 1));
  EXPECT_FALSE(s.silent(Layer::brush, kGrain, 1));  // still holds old frames
  EXPECT_TRUE(s.silent(Layer::brush, 2 * kGrain, 3 * kGrain));
  EXPECT_TRUE(all_zero(s, Layer::brush, 2 * kGrain, 3 * kGrain));
  EXPECT_TRUE(all_zero(s, Layer::brush, kGrain + 3, kGrain - 3));
}

}  // namespace
}  // namespace auralis::synthesis
