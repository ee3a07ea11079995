#include "streaming/icy_framer.hpp"

namespace auralis::server {
namespace {
const char kNoTitle[1] = {0};  // a block that announces nothing: one zero length byte
}

void IcyFramer::frame(const std::vector<ChunkPtr>& chunks,
                      std::vector<boost::asio::const_buffer>& out) {
  for (const auto& chunk : chunks) {
    const auto* data = chunk->bytes.data();
    std::size_t left = chunk->bytes.size();
    while (left > 0) {
      const std::size_t n = std::min(left, until_block_);
      out.emplace_back(data, n);
      data += n;
      left -= n;
      until_block_ -= n;
      if (until_block_ > 0) continue;
      if (chunk->icy_block)
        out.emplace_back(chunk->icy_block->data(), chunk->icy_block->size());
      else
        out.emplace_back(kNoTitle, 1);
      until_block_ = metaint_;
    }
  }
}

}  // namespace auralis::server
