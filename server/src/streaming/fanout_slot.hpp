// Where a stream keeps its plain-HTTP fan-out while it has such listeners (HttpFanout::join):
// the Ogg stream in its StreamSource, the MP3 and AAC streams in their ChunkHub.
#pragma once

#include <memory>
#include <mutex>

namespace auralis::server {

class HttpFanout;

struct FanoutSlot {
  std::mutex mutex;
  std::weak_ptr<HttpFanout> fanout;
};

}  // namespace auralis::server
