// Pushes one session's Ogg Opus stream to an Icecast 2.4 mount as a source client (HTTP PUT),
// so Icecast and its relays serve the listeners when one Auralis machine is not enough.
// On every connection it sends the session's header pages, then whole pages from a page
// boundary; the queue is bounded like a listener's (a lagging connection skips to the live
// edge). A lost or refused connection is retried with jittered exponential back-off
// (1 s doubling to 30 s). Runs on a strand of the network io_context: on_pages() only posts.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "streaming/live_edge_queue.hpp"
#include "streaming/stream_hub.hpp"

namespace auralis::server {

class StreamSource;

struct IcecastSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string mount = "/auralis.ogg";
  std::string user = "source";
  std::string password;
  bool tls = false;
  bool tls_verify = true;
  std::string name;         // Ice-Name
  std::string description;  // Ice-Description
  std::string user_agent = "auralis";
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::seconds stable_after{10};  // a connection this old resets the back-off
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds write_timeout{10};
  QueueBounds queue;  // bounded like a listener's
};

struct IcecastStatus {
  bool connected = false;
  std::uint64_t connects = 0;  // successful connections
  std::uint64_t failures = 0;  // failed attempts and lost connections
  std::uint64_t bytes_sent = 0;
  std::uint64_t skips = 0;  // times the queue was dropped to the live edge
};

class IcecastSource : public StreamSubscriber, public std::enable_shared_from_this<IcecastSource> {
 public:
  IcecastSource(boost::asio::any_io_executor executor, std::shared_ptr<StreamSource> session,
                IcecastSettings settings);
  ~IcecastSource() override;

  // Starts connecting; thread-safe. Throws std::invalid_argument on unusable settings.
  void start();
  // Closes the connection and stops retrying; thread-safe, idempotent.
  void stop();

  void on_pages(const PageBatch& batch) override;
  void on_stream_end() override;

  IcecastStatus status() const;
  // "icecast://host:port/mount" (for logs).
  std::string target() const;

 private:
  struct Connection;
  struct Chunk {
    std::shared_ptr<const std::vector<std::uint8_t>> raw;  // the header pages
    std::vector<proto::PagePtr> pages;
  };
  using Queue = LiveEdgeQueue<Chunk>;

  void connect();
  void on_resolved(const std::shared_ptr<Connection>& conn,
                   const boost::asio::ip::tcp::resolver::results_type& endpoints);
  void on_connected(const std::shared_ptr<Connection>& conn);
  void send_request(const std::shared_ptr<Connection>& conn);
  void read_response(const std::shared_ptr<Connection>& conn);
  void on_response(const std::shared_ptr<Connection>& conn, const std::string& head);
  void start_streaming(const std::shared_ptr<Connection>& conn);
  void watch_for_close(const std::shared_ptr<Connection>& conn);
  void enqueue(const std::vector<proto::PagePtr>& pages);
  void write_next();
  void lost(const std::shared_ptr<Connection>& conn, const std::string& why, bool refused = false);
  void schedule_reconnect();
  void close_connection();
  std::string request_head() const;

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::shared_ptr<StreamSource> session_;
  const IcecastSettings settings_;
  struct Tls;
  std::unique_ptr<Tls> tls_;  // the TLS client context, when settings_.tls
  boost::asio::steady_timer retry_timer_;
  std::mt19937 rng_{std::random_device{}()};

  // Strand-only state.
  std::shared_ptr<Connection> conn_;
  bool stopped_ = false;
  bool subscribed_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point connected_at_;
  Queue queue_;
  bool writing_ = false;

  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> connects_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
  std::atomic<std::uint64_t> skips_{0};
};

}  // namespace auralis::server
