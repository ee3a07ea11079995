#include "streaming/chunk_listener.hpp"

namespace asio = boost::asio;

namespace auralis::server {

template <class Stream>
ChunkListener<Stream>::ChunkListener(Stream socket, ChunkStreamSetup setup, ListenerLimits limits,
                                     std::shared_ptr<ListenerMetrics> metrics,
                                     std::shared_ptr<void> admission_ticket)
    : QueuedListener<Stream, ChunkBatchPtr>(std::move(socket), std::move(setup.source), limits,
                                            std::move(metrics), std::move(admission_ticket),
                                            std::move(setup.format_listeners)),
      hub_(std::move(setup.hub)),
      response_head_(std::move(setup.response_head)) {
  if (setup.icy_metaint > 0) icy_.emplace(setup.icy_metaint);
}

template <class Stream>
void ChunkListener<Stream>::on_chunks(const ChunkBatchPtr& batch) {
  this->deliver(batch, batch->bytes, batch->samples);
}

template <class Stream>
void ChunkListener<Stream>::on_chunks_end() {
  this->end();
}

template <class Stream>
std::string ChunkListener<Stream>::subscribe(std::vector<asio::const_buffer>& out,
                                             std::shared_ptr<const void>& keep) {
  auto burst = std::make_shared<const std::vector<ChunkPtr>>(
      hub_->subscribe(std::static_pointer_cast<ChunkListener>(this->shared_from_this())));
  out.emplace_back(asio::buffer(response_head_));
  append_chunks(*burst, out);
  keep = burst;
  return std::to_string(burst->size()) + " burst chunks" + (icy_ ? ", ICY metadata" : "");
}

template <class Stream>
void ChunkListener<Stream>::unsubscribe() {
  hub_->unsubscribe(this);
}

template <class Stream>
void ChunkListener<Stream>::append(const std::vector<ChunkBatchPtr>& batches,
                                   std::vector<asio::const_buffer>& out) {
  for (const auto& batch : batches) append_chunks(batch->chunks, out);
}

template <class Stream>
void ChunkListener<Stream>::append_chunks(const std::vector<ChunkPtr>& chunks,
                                          std::vector<asio::const_buffer>& out) {
  if (icy_) {
    icy_->frame(chunks, out);
  } else {
    for (const auto& c : chunks) out.emplace_back(asio::buffer(c->bytes));
  }
}

template class ChunkListener<TlsStream>;

}  // namespace auralis::server
