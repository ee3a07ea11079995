// One HTTP Ogg listener: sends the response head, the cached header pages and a short burst,
// then every page batch of its session. One write in flight; everything queued meanwhile goes
// out in the next single gather write. The queue is bounded by age and bytes: a listener past
// the bound skips to the live edge at a page boundary, and is closed after repeated skips or a
// write that makes no progress. Written once for plain TCP and for TLS (transport.hpp).
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "auralis/server/stream_hub.hpp"
#include "held_bytes.hpp"
#include "transport.hpp"

namespace auralis::server {

class Session;
struct ListenerMetrics;

struct ListenerLimits {
  std::chrono::milliseconds max_queue_age{4000};
  std::size_t max_queue_bytes = 512 * 1024;
  int sndbuf_bytes = 64 * 1024;
  std::chrono::seconds write_timeout{10};
  int max_skips = 3;                  // closed on the next skip after this many
  std::size_t batches_per_write = 1;  // HTTP: a write waits until this many batches are queued
};

template <class Stream>
class StreamListener : public StreamSubscriber,
                       public std::enable_shared_from_this<StreamListener<Stream>> {
 public:
  using Socket = Stream;

  StreamListener(Socket socket, std::shared_ptr<Session> session, std::string response_head,
                 ListenerLimits limits, std::shared_ptr<ListenerMetrics> metrics,
                 std::shared_ptr<void> admission_ticket = nullptr);
  ~StreamListener() override;

  void start();
  void on_pages(const PageBatch& batch) override;
  void on_stream_end() override;

 private:
  struct Queued {
    PageBatch batch;
    std::size_t bytes = 0;
    std::chrono::steady_clock::time_point queued_at;
  };

  void enqueue(const PageBatch& batch);
  void write_next();
  void on_written(const boost::system::error_code& ec, std::size_t bytes);
  void close(const char* why);
  void drop_stalled();
  void watch_for_hangup();

  Socket socket_;
  boost::asio::strand<typename Socket::executor_type> strand_;
  boost::asio::steady_timer write_timer_;
  std::shared_ptr<Session> session_;
  std::string response_head_;
  ListenerLimits limits_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::shared_ptr<void> ticket_;  // the listener's place under the limits, held while connected

  std::deque<Queued> queue_;
  std::size_t queued_bytes_ = 0;
  std::vector<PageBatch> in_flight_;  // keeps the pages alive while the kernel reads them
  std::size_t in_flight_bytes_ = 0;
  HeldBytes held_;
  std::vector<proto::PagePtr> start_pages_;
  bool writing_ = false;
  bool closed_ = false;
  bool ending_ = false;
  int skips_ = 0;
  std::string remote_;
  std::array<char, 64> discard_{};  // a listener sends nothing; a read only notices its hang-up
};

using PlainStreamListener = StreamListener<boost::asio::ip::tcp::socket>;
using TlsStreamListener = StreamListener<TlsStream>;
extern template class StreamListener<boost::asio::ip::tcp::socket>;
extern template class StreamListener<TlsStream>;

}  // namespace auralis::server
