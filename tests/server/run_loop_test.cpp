// The exception barrier around the daemon's event loops: a throwing handler is dropped,
// counted, and the loop runs every other handler.
#include "app/run_loop.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <stdexcept>

#include "auralis/config/log.hpp"

namespace auralis::server {
namespace {

TEST(RunWithBarrier, AThrowingHandlerIsCountedAndTheLoopRunsOn) {
  log::setup("off");
  boost::asio::io_context context;
  std::atomic<std::uint64_t> faults{0};
  int ran = 0;
  boost::asio::post(context, [&] { ++ran; });
  boost::asio::post(context, [] { throw std::runtime_error("a bug in one connection"); });
  boost::asio::post(context, [&] { ++ran; });
  boost::asio::post(context, [] { throw 42; });  // not even a std::exception
  boost::asio::post(context, [&] { ++ran; });
  run_with_barrier(context, "test", faults);
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(faults.load(), 2u);
}

}  // namespace
}  // namespace auralis::server
