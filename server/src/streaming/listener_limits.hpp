// The bounds every stream listener is held to (stream.* settings, read when it connects): its
// queue, its kernel send buffer, how long a write may stall, how many skips to the live edge
// it is allowed, and how much audio an HTTP listener's write carries.
#pragma once

#include <chrono>
#include <cstddef>

#include "streaming/live_edge_queue.hpp"

namespace auralis::server {

struct ListenerLimits {
  QueueBounds queue;
  int sndbuf_bytes = 64 * 1024;
  std::chrono::seconds write_timeout{10};
  int max_skips = 3;  // closed on the next skip after this many
  // HTTP (plain and HTTPS): a write per this much audio (WriteCadence); WebSocket: every batch.
  std::chrono::milliseconds write_period{1000};
};

}  // namespace auralis::server
