// Accepts connections on server.listen and starts an HTTP session on each (plain, or TLS
// detected from the first bytes when a certificate is configured). Out of descriptors or
// memory, accept fails again at once while the connection waits in the backlog: the loop then
// backs off (10 ms doubling to 1 s, back to none after a success) instead of spinning, and
// logs at most once per 10 s.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>

namespace auralis::server {

class Routes;
class TlsContextSlot;
struct ListenerMetrics;

class Acceptor {
 public:
  // Binds and listens now (throws on a taken port); accepting starts with start().
  Acceptor(boost::asio::io_context& net, const boost::asio::ip::tcp::endpoint& endpoint,
           const Routes& routes, const TlsContextSlot& tls, ListenerMetrics& metrics);

  unsigned short port() const;
  void start();
  // Closes the listening socket (from any thread).
  void stop();

 private:
  void accept();
  void start_session(boost::asio::ip::tcp::socket socket);
  void failed(boost::system::error_code ec);

  boost::asio::io_context& net_;
  // The acceptor, its back-off timer and state live on one strand.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  const Routes& routes_;
  const TlsContextSlot& tls_;
  ListenerMetrics& metrics_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point logged_at_{};
  std::uint64_t unlogged_errors_ = 0;
};

}  // namespace auralis::server
