// What a listener or the Icecast source needs of the stream it plays, and nothing more: the
// hub that fans pages out, the Ogg header pages every HTTP stream starts with, the WebSocket
// greeting, and the per-transport listener counts. A session implements it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "streaming/fanout_slot.hpp"
#include "streaming/stream_hub.hpp"

namespace auralis::server {

class StreamSource {
 public:
  virtual ~StreamSource() = default;

  virtual const std::string& id() const = 0;
  virtual StreamHub& hub() = 0;
  // OpusHead and OpusTags pages (RFC 7845): a stream of this source starts with them.
  virtual std::shared_ptr<const std::vector<std::uint8_t>> header_pages() const = 0;
  // The first WebSocket message, JSON text (docs/stream-protocol.md, "hello").
  virtual std::string ws_hello() const = 0;

  // Listeners now attached, by transport: each listener counts itself in and out.
  std::atomic<int> http_listeners{0};
  std::atomic<int> ws_listeners{0};

  // The plain-HTTP fan-out while the stream has such listeners (HttpFanout::join).
  FanoutSlot http_fanout;
};

}  // namespace auralis::server
