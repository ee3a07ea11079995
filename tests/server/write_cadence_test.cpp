// When an HTTP listener's write is due (WriteCadence, used by the plain-HTTP fan-out's passes
// and by every HTTPS listener's writes): by the audio waiting, never more than the write
// period of it, whatever the batches' lengths.
#include "streaming/write_cadence.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "streaming/hub_history.hpp"

namespace auralis::server {
namespace {

constexpr std::int64_t kMs = 48;  // samples per millisecond

// Feeds `batches` batches of `batch` samples; returns the audio waiting at each write.
std::vector<std::int64_t> writes(WriteCadence& cadence, std::int64_t batch, int batches) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < batches; ++i) {
    cadence.add(batch);
    if (!cadence.due()) continue;
    out.push_back(cadence.waiting_samples());
    cadence.clear();
  }
  return out;
}

}  // namespace

TEST(WriteCadence, DueOnceAWritePeriodOfAudioWaitsNotBefore) {
  WriteCadence cadence(std::chrono::milliseconds(1000));
  for (int i = 1; i < 10; ++i) {
    cadence.add(100 * kMs);
    EXPECT_FALSE(cadence.due()) << i * 100 << " ms waiting";
  }
  cadence.add(100 * kMs);
  EXPECT_TRUE(cadence.due());
  EXPECT_EQ(cadence.waiting_samples(), 1000 * kMs);
  cadence.clear();
  EXPECT_FALSE(cadence.due());
}

// Batches longer than fanout_ms (whole 60 ms pages make 120 ms batches of a 100 ms fan-out; MP3
// and AAC frames make odd lengths): counting batches would wait for up to 1,400 ms of audio
// against a 1,000 ms period. The audio waiting at a write never exceeds the period, and a
// write never goes out while a whole further batch still fits in it.
TEST(WriteCadence, NeverWaitsForMoreThanThePeriodWhateverTheBatchLength) {
  // 100 ms, whole 60 ms pages, 140 ms, five MP3 frames, five AAC frames, just over 100 ms.
  const std::int64_t batches[] = {100 * kMs, 120 * kMs, 140 * kMs, 5 * 1152, 5 * 1024, 4801};
  for (const int period_ms : {1000, 250, 2000}) {
    for (const std::int64_t batch : batches) {
      WriteCadence cadence{std::chrono::milliseconds(period_ms)};
      const auto waited = writes(cadence, batch, 200);
      ASSERT_FALSE(waited.empty());
      for (const auto w : waited) {
        EXPECT_LE(w, period_ms * kMs) << "period " << period_ms << " ms, batch " << batch;
        EXPECT_GT(w + batch, period_ms * kMs) << "written early: period " << period_ms;
      }
    }
  }
}

TEST(WriteCadence, ABatchLongerThanThePeriodIsWrittenAtOnce) {
  WriteCadence cadence(std::chrono::milliseconds(20));
  cadence.add(100 * kMs);
  EXPECT_TRUE(cadence.due());
  EXPECT_EQ(cadence.period(), std::chrono::milliseconds(20));
}

TEST(WriteCadence, APeriodChangeTakesEffectOnTheWaitingAudio) {
  WriteCadence cadence(std::chrono::milliseconds(1000));
  for (int i = 0; i < 3; ++i) cadence.add(100 * kMs);
  EXPECT_FALSE(cadence.due());
  cadence.set_period(std::chrono::milliseconds(300));
  EXPECT_TRUE(cadence.due());
}

// The hub's batches carry their audio, which is what the cadence counts.
TEST(HubHistory, BatchesCarryTheirAudioAndTheBurstStopsBeforeThePendingItems) {
  HubHistory<int> history(500 * kMs, 100 * kMs);
  std::vector<HubHistory<int>::Pending> batches;
  for (int i = 0; i < 40; ++i)
    if (auto full = history.add(i, 60 * kMs)) batches.push_back(std::move(*full));
  ASSERT_EQ(batches.size(), 20u);  // two 60 ms items reach 100 ms
  for (const auto& b : batches) {
    EXPECT_EQ(b.items.size(), 2u);
    EXPECT_EQ(b.samples, 120 * kMs);
  }
  history.add(40, 60 * kMs);  // pending
  const auto burst = history.burst();
  ASSERT_EQ(burst.size(), 8u);  // 480 ms of whole items, within burst_ms
  EXPECT_EQ(burst.front(), 32);
  EXPECT_EQ(burst.back(), 39);
  const auto last = history.take_pending();
  EXPECT_EQ(last.items, std::vector<int>{40});
  EXPECT_EQ(last.samples, 60 * kMs);
  EXPECT_TRUE(history.pending_empty());
}

}  // namespace auralis::server
