// Counters the daemon exposes (Prometheus text on /metrics). Lock-free, shared by all threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace auralis::server {

struct ListenerMetrics {
  std::atomic<std::int64_t> http_listeners{0};
  std::atomic<std::uint64_t> http_listeners_total{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> skips{0};
  std::atomic<std::uint64_t> drops{0};
};

}  // namespace auralis::server
