// Listener counters the daemon exposes on /metrics. Lock-free, shared by all threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace auralis::server {

struct ListenerMetrics {
  std::atomic<std::int64_t> http_listeners{0};
  std::atomic<std::int64_t> ws_listeners{0};
  std::atomic<std::uint64_t> http_listeners_total{0};
  std::atomic<std::uint64_t> ws_listeners_total{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> skips{0};      // listeners moved forward to the live edge
  std::atomic<std::uint64_t> drops{0};      // listeners disconnected for being too slow
  std::atomic<std::int64_t> held_bytes{0};  // audio queued for or being written to listeners
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> rejected_requests{0};  // 4xx answers
  // Exceptions caught by a barrier: in a route handler (answered 500), or escaping a network
  // or media thread's handler (that connection or session ends; the thread runs on).
  std::atomic<std::uint64_t> faults_route{0};
  std::atomic<std::uint64_t> faults_network{0};
  std::atomic<std::uint64_t> faults_media{0};
  // HTTP listeners that keep up: the longest a page waited from its publication to the write
  // that carried it, in the last pass and the most since start (microseconds).
  std::atomic<std::int64_t> http_write_delay_last_us{0};
  std::atomic<std::int64_t> http_write_delay_max_us{0};
  std::atomic<std::uint64_t> ws_floods{0};      // WebSocket clients closed for frame floods
  std::atomic<std::uint64_t> accept_errors{0};  // failed accepts (EMFILE, ENFILE, ENOMEM, ...)
};

}  // namespace auralis::server
