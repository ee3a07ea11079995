// One HTTPS stream listener: sends the response head, the header pages and a short burst, then
// every page batch of its stream, through the TLS stream's asynchronous writes. One write in
// flight; what queues meanwhile goes out in the next single gather write. The queue skips to
// the live edge past its bounds (LiveEdgeQueue); the listener is closed after repeated skips
// or a write that makes no progress. Plain-HTTP listeners are written in passes instead
// (http_fanout.hpp). ListenerLimits are both kinds' bounds.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "streaming/held_bytes.hpp"
#include "streaming/live_edge_queue.hpp"
#include "streaming/stream_hub.hpp"
#include "streaming/transport.hpp"

namespace auralis::server {

class StreamSource;
struct ListenerMetrics;

struct ListenerLimits {
  QueueBounds queue;
  int sndbuf_bytes = 64 * 1024;
  std::chrono::seconds write_timeout{10};
  int max_skips = 3;                  // closed on the next skip after this many
  std::size_t batches_per_write = 1;  // HTTP: a write waits until this many batches are queued
  std::chrono::milliseconds write_period{1000};  // plain HTTP: audio per write pass
};

template <class Stream>
class HttpListener : public StreamSubscriber,
                     public std::enable_shared_from_this<HttpListener<Stream>> {
 public:
  HttpListener(Stream socket, std::shared_ptr<StreamSource> source, std::string response_head,
               ListenerLimits limits, std::shared_ptr<ListenerMetrics> metrics,
               std::shared_ptr<void> admission_ticket = nullptr);
  ~HttpListener() override;

  void start();
  void on_pages(const PageBatch& batch) override;
  void on_stream_end() override;

 private:
  void enqueue(const PageBatch& batch);
  void write_next();
  void on_written(const boost::system::error_code& ec, std::size_t bytes);
  void close(const char* why);
  void drop_stalled();
  void watch_for_hangup();
  void arm_write_timer();
  bool write_due() const;

  Stream socket_;
  boost::asio::strand<typename Stream::executor_type> strand_;
  boost::asio::steady_timer write_timer_;
  std::shared_ptr<StreamSource> source_;
  std::string response_head_;
  ListenerLimits limits_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::shared_ptr<void> ticket_;  // the listener's place under the limits, held while connected

  LiveEdgeQueue<PageBatch> queue_;
  std::vector<PageBatch> in_flight_;  // keeps the pages alive while the kernel reads them
  std::size_t in_flight_bytes_ = 0;
  HeldBytes held_;
  std::vector<proto::PagePtr> start_pages_;
  bool writing_ = false;
  bool closed_ = false;
  bool ending_ = false;
  bool peer_done_sending_ = false;  // end of file read: half-closed, or gone (see watch_for_hangup)
  int skips_ = 0;
  std::string remote_;
  std::array<char, 64> discard_{};  // a listener sends nothing; a read only notices its hang-up
};

using TlsHttpListener = HttpListener<TlsStream>;
extern template class HttpListener<TlsStream>;

}  // namespace auralis::server
