// ICY metadata framing for one listener: the listener's audio bytes, cut every `metaint`
// bytes to let a metadata block in (Icecast's `icy-metaint`). It only makes buffers: the audio
// and the blocks are the chunks' shared bytes, never copied. Each block is the one of the
// chunk in which it falls, so the title a player shows changes where the music does.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <vector>

#include "streaming/chunk_hub.hpp"

namespace auralis::server {

class IcyFramer {
 public:
  explicit IcyFramer(std::size_t metaint) : metaint_(metaint), until_block_(metaint) {}

  // Appends to `out` the buffers that carry `chunks` in order, with a block after every
  // metaint bytes counted from the listener's first audio byte. The buffers point into the
  // chunks: keep them alive until the write completes.
  void frame(const std::vector<ChunkPtr>& chunks, std::vector<boost::asio::const_buffer>& out);

 private:
  std::size_t metaint_;
  std::size_t until_block_;
};

}  // namespace auralis::server
