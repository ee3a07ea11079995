#include "app/run_loop.hpp"

#include <exception>

#include "auralis/config/log.hpp"

namespace auralis::server {

void run_with_barrier(boost::asio::io_context& context, const char* loop,
                      std::atomic<std::uint64_t>& faults) {
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      ++faults;
      log::get("server")->error("{} thread: a handler failed and was dropped: {}", loop, e.what());
    } catch (...) {
      ++faults;
      log::get("server")->error("{} thread: a handler failed and was dropped (unknown exception)",
                                loop);
    }
  }
}

}  // namespace auralis::server
