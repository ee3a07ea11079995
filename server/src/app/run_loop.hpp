// Runs an event loop on the calling thread behind an exception barrier: a handler that throws
// ends only its own work (the connection or session it served; the objects it held are
// released), is logged with its cause and counted, and the loop runs on. Asio allows run()
// again after a handler threw.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>

namespace auralis::server {

void run_with_barrier(boost::asio::io_context& context, const char* loop,
                      std::atomic<std::uint64_t>& faults);

}  // namespace auralis::server
