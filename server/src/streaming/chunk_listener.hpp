// One HTTPS listener of a byte-stream format (/stream/{id}.mp3, .aac): the response head, a
// short burst, then every chunk batch of the format's hub, with ICY metadata blocks woven in
// when the client asked for them (IcyFramer). The same rules as the HTTPS Ogg listener
// (http_listener.hpp): one write in flight, whole batches per write, a queue bounded by age
// and bytes that skips to the live edge at a frame boundary, closed after repeated skips or a
// write that makes no progress. Plain-HTTP listeners of these formats are written in passes
// like the Ogg ones (http_fanout.hpp).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "streaming/chunk_hub.hpp"
#include "streaming/held_bytes.hpp"
#include "streaming/http_listener.hpp"
#include "streaming/icy_framer.hpp"
#include "streaming/live_edge_queue.hpp"
#include "streaming/transport.hpp"

namespace auralis::server {

class StreamSource;
struct ListenerMetrics;

struct ChunkStreamSetup {
  std::shared_ptr<StreamSource> source;  // the session: its id, its listener count
  std::shared_ptr<ChunkHub> hub;
  std::string response_head;
  std::size_t icy_metaint = 0;  // 0: no ICY metadata
  // The format's listener gauge (/metrics), counted in and out by the listener.
  std::shared_ptr<std::atomic<std::int64_t>> format_listeners;
};

template <class Stream>
class ChunkListener : public ChunkSubscriber,
                      public std::enable_shared_from_this<ChunkListener<Stream>> {
 public:
  ChunkListener(Stream socket, ChunkStreamSetup setup, ListenerLimits limits,
                std::shared_ptr<ListenerMetrics> metrics,
                std::shared_ptr<void> admission_ticket = nullptr);
  ~ChunkListener() override;

  void start();
  void on_chunks(const ChunkBatchPtr& batch) override;
  void on_chunks_end() override;

 private:
  void enqueue(const ChunkBatchPtr& batch);
  void write(std::vector<ChunkPtr> chunks, bool with_head);
  void write_next();
  void on_written(const boost::system::error_code& ec, std::size_t bytes);
  void close(const char* why);
  void watch_for_hangup();
  bool write_due() const;

  Stream socket_;
  boost::asio::strand<typename Stream::executor_type> strand_;
  boost::asio::steady_timer write_timer_;
  ChunkStreamSetup setup_;
  ListenerLimits limits_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::shared_ptr<void> ticket_;
  std::optional<IcyFramer> icy_;

  LiveEdgeQueue<ChunkBatchPtr> queue_;
  std::vector<ChunkPtr> in_flight_;  // keeps the bytes alive while the kernel reads them
  std::size_t in_flight_bytes_ = 0;
  HeldBytes held_;
  bool writing_ = false;
  bool closed_ = false;
  bool ending_ = false;
  bool peer_done_sending_ = false;
  int skips_ = 0;
  std::string remote_;
  std::array<char, 64> discard_{};
};

using TlsChunkListener = ChunkListener<TlsStream>;
extern template class ChunkListener<TlsStream>;

}  // namespace auralis::server
