// The lifecycle every HTTPS stream listener shares, whatever its format (HttpListener: Ogg
// pages, ChunkListener: MP3/AAC chunks): the response head and a short burst first, then the
// stream's batches through the TLS stream's asynchronous writes. One write in flight; what
// queues meanwhile goes out in the next single gather write, once a write period of audio
// waits (WriteCadence) or at once when the client half-closed. The queue skips to the live
// edge past its bounds (LiveEdgeQueue); the listener is closed after repeated skips, a write
// that makes no progress for write_timeout, a hang-up, or the end of the stream. A format
// says only which hub it listens to and which bytes its batches put on the wire.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "streaming/held_bytes.hpp"
#include "streaming/listener_limits.hpp"
#include "streaming/live_edge_queue.hpp"
#include "streaming/transport.hpp"
#include "streaming/write_cadence.hpp"

namespace auralis::server {

class StreamSource;
struct ListenerMetrics;

// Stream: the transport (TlsStream). BatchPtr: what the format's hub hands out (PageBatch,
// ChunkBatchPtr).
template <class Stream, class BatchPtr>
class QueuedListener : public std::enable_shared_from_this<QueuedListener<Stream, BatchPtr>> {
 public:
  QueuedListener(const QueuedListener&) = delete;
  QueuedListener& operator=(const QueuedListener&) = delete;
  virtual ~QueuedListener();

  void start();

 protected:
  // `format_listeners` (may be null): the format's own listener gauge, counted in and out.
  QueuedListener(Stream socket, std::shared_ptr<StreamSource> source, ListenerLimits limits,
                 std::shared_ptr<ListenerMetrics> metrics, std::shared_ptr<void> admission_ticket,
                 std::shared_ptr<std::atomic<std::int64_t>> format_listeners);

  // From the hub, on its thread: a batch (`bytes` on the wire before any framing, `samples` of
  // audio), and the end of the stream.
  void deliver(BatchPtr batch, std::size_t bytes, std::int64_t samples);
  void end();

  const std::shared_ptr<StreamSource>& source() const { return source_; }

 private:
  // Subscribes to the format's hub and appends the first write's buffers (the response head,
  // the burst) to `out`; `keep` holds what they point into until the write ends. Returns what
  // the log line says of the burst.
  virtual std::string subscribe(std::vector<boost::asio::const_buffer>& out,
                                std::shared_ptr<const void>& keep) = 0;
  virtual void unsubscribe() = 0;
  // Appends the buffers that carry `batches` in order; they point into the batches.
  virtual void append(const std::vector<BatchPtr>& batches,
                      std::vector<boost::asio::const_buffer>& out) = 0;

  void enqueue(BatchPtr batch, std::size_t bytes, std::int64_t samples);
  bool write_due() const;
  void write_next();
  void write(const std::vector<boost::asio::const_buffer>& buffers);
  void on_written(const boost::system::error_code& ec, std::size_t bytes);
  void watch_for_hangup();
  void drop_stalled();
  void close(const char* why);

  Stream socket_;
  boost::asio::strand<typename Stream::executor_type> strand_;
  boost::asio::steady_timer write_timer_;
  std::shared_ptr<StreamSource> source_;
  ListenerLimits limits_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::shared_ptr<void> ticket_;  // the listener's place under the limits, held while connected
  std::shared_ptr<std::atomic<std::int64_t>> format_listeners_;

  LiveEdgeQueue<BatchPtr> queue_;
  WriteCadence cadence_;                 // the audio in queue_, against limits_.write_period
  std::vector<BatchPtr> in_flight_;      // keeps the bytes alive while the kernel reads them
  std::shared_ptr<const void> opening_;  // the same for the first write (the burst)
  std::size_t in_flight_bytes_ = 0;
  HeldBytes held_;
  bool writing_ = false;
  bool closed_ = false;
  bool ending_ = false;
  bool peer_done_sending_ = false;  // end of file read: half-closed, or gone (see watch_for_hangup)
  int skips_ = 0;
  std::string remote_;
  std::array<char, 64> discard_{};  // a listener sends nothing; a read only notices its hang-up
};

}  // namespace auralis::server
