// One HTTPS listener of a byte-stream format (/stream/{id}.mp3, .aac): the response head, a
// short burst, then every chunk batch of the format's hub, with ICY metadata blocks woven in
// when the client asked for them (IcyFramer). Written as QueuedListener writes, like the HTTPS
// Ogg listener: a skip to the live edge falls at a frame boundary. Plain-HTTP listeners of
// these formats are written in passes like the Ogg ones (http_fanout.hpp).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "streaming/chunk_hub.hpp"
#include "streaming/icy_framer.hpp"
#include "streaming/listener_limits.hpp"
#include "streaming/queued_listener.hpp"
#include "streaming/transport.hpp"

namespace auralis::server {

struct ChunkStreamSetup {
  std::shared_ptr<StreamSource> source;  // the session: its id, its listener count
  std::shared_ptr<ChunkHub> hub;
  std::string response_head;
  std::size_t icy_metaint = 0;  // 0: no ICY metadata
  // The format's listener gauge (/metrics), counted in and out by the listener.
  std::shared_ptr<std::atomic<std::int64_t>> format_listeners;
};

template <class Stream>
class ChunkListener : public ChunkSubscriber, public QueuedListener<Stream, ChunkBatchPtr> {
 public:
  ChunkListener(Stream socket, ChunkStreamSetup setup, ListenerLimits limits,
                std::shared_ptr<ListenerMetrics> metrics,
                std::shared_ptr<void> admission_ticket = nullptr);

  void on_chunks(const ChunkBatchPtr& batch) override;
  void on_chunks_end() override;

 private:
  std::string subscribe(std::vector<boost::asio::const_buffer>& out,
                        std::shared_ptr<const void>& keep) override;
  void unsubscribe() override;
  void append(const std::vector<ChunkBatchPtr>& batches,
              std::vector<boost::asio::const_buffer>& out) override;
  // The chunks' bytes, ICY-framed when the client asked for metadata.
  void append_chunks(const std::vector<ChunkPtr>& chunks,
                     std::vector<boost::asio::const_buffer>& out);

  std::shared_ptr<ChunkHub> hub_;
  std::string response_head_;
  std::optional<IcyFramer> icy_;
};

using TlsChunkListener = ChunkListener<TlsStream>;
extern template class ChunkListener<TlsStream>;

}  // namespace auralis::server
