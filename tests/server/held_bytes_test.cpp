#include "streaming/held_bytes.hpp"

#include <gtest/gtest.h>

namespace auralis::server {

TEST(HeldBytes, MovesTheGaugeByEachChangeAndGivesItsShareBack) {
  auto gauge = std::make_shared<std::atomic<std::int64_t>>(0);
  {
    HeldBytes a(gauge);
    HeldBytes b(gauge);
    a.set(1000);
    b.set(300);
    EXPECT_EQ(gauge->load(), 1300);
    a.set(200);
    EXPECT_EQ(gauge->load(), 500);
  }
  EXPECT_EQ(gauge->load(), 0);
}

}  // namespace auralis::server
