// The one live-edge queue every listener kind and the Icecast source use: bounded by bytes and
// by age, it drops whole audio items but the newest, and never drops kept items.
#include "streaming/live_edge_queue.hpp"

#include <gtest/gtest.h>

namespace auralis::server {
namespace {

using Queue = LiveEdgeQueue<int>;
using namespace std::chrono_literals;

TEST(LiveEdgeQueue, WithinBoundsNothingIsDropped) {
  Queue q({4000ms, 1000});
  const auto t = Queue::Clock::now();
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(q.push(i, 200, Queue::Kind::audio, t));
  EXPECT_EQ(q.take_all(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.audio_bytes(), 0u);
}

TEST(LiveEdgeQueue, OverBytesKeepsTheNewestAudioAndEveryKeptItem) {
  Queue q({4000ms, 1000});
  const auto t = Queue::Clock::now();
  q.push(-1, 0, Queue::Kind::kept, t);  // e.g. a greeting
  q.push(0, 400, Queue::Kind::audio, t);
  q.push(-2, 0, Queue::Kind::kept, t);  // an event between two audio items
  q.push(1, 400, Queue::Kind::audio, t);
  EXPECT_TRUE(q.push(2, 400, Queue::Kind::audio, t));  // 1,200 > 1,000: skip
  EXPECT_EQ(q.audio_bytes(), 400u);
  EXPECT_EQ(q.take_all(), (std::vector<int>{-1, -2, 2}));
}

TEST(LiveEdgeQueue, OverAgeSkipsOnTheNextPush) {
  Queue q({100ms, 1 << 20});
  const auto t = Queue::Clock::now();
  q.push(0, 10, Queue::Kind::audio, t);
  EXPECT_FALSE(q.push(1, 10, Queue::Kind::audio, t + 50ms));
  EXPECT_TRUE(q.push(2, 10, Queue::Kind::audio, t + 150ms));  // the oldest waited 150 ms
  EXPECT_EQ(q.take_all(), std::vector<int>{2});
}

TEST(LiveEdgeQueue, ASingleAudioItemIsNeverASkip) {
  Queue q({1ms, 1});
  const auto t = Queue::Clock::now();
  EXPECT_FALSE(q.push(0, 1000, Queue::Kind::audio, t + 1s));
  EXPECT_EQ(q.size(), 1u);
}

TEST(LiveEdgeQueue, TakeFrontKeepsTheCounts) {
  Queue q({4000ms, 1000});
  q.push(-1, 0, Queue::Kind::kept);
  q.push(0, 300, Queue::Kind::audio);
  EXPECT_EQ(q.take_front(), -1);
  EXPECT_EQ(q.audio_bytes(), 300u);
  EXPECT_EQ(q.take_front(), 0);
  EXPECT_EQ(q.audio_bytes(), 0u);
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace auralis::server
