#include "http/acceptor.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "auralis/config/log.hpp"
#include "http/http_session.hpp"
#include "http/tls_context.hpp"
#include "streaming/listener_metrics.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace auralis::server {

Acceptor::Acceptor(asio::io_context& net, const tcp::endpoint& endpoint, const Routes& routes,
                   const TlsContextSlot& tls, ListenerMetrics& metrics)
    : net_(net),
      strand_(asio::make_strand(net)),
      acceptor_(strand_),
      backoff_timer_(strand_),
      routes_(routes),
      tls_(tls),
      metrics_(metrics) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  acceptor_.non_blocking(true);  // accept() below drains the backlog without blocking
}

unsigned short Acceptor::port() const {
  return acceptor_.local_endpoint().port();
}

void Acceptor::start() {
  asio::post(strand_, [this] { accept(); });
}

void Acceptor::stop() {
  asio::post(strand_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    backoff_timer_.cancel();
  });
}

void Acceptor::start_session(tcp::socket socket) {
  start_http_session(std::move(socket), routes_, tls_.get());
}

void Acceptor::accept() {
  acceptor_.async_accept(
      asio::make_strand(net_), [this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
        if (ec) return failed(ec);
        backoff_ = std::chrono::milliseconds(0);
        start_session(std::move(socket));
        // A completion waits its turn behind every queued listener write, so one accept per turn
        // caps new connections at a few per second under fan-out load: take the others already in
        // the backlog now.
        for (int i = 0; i < 256; ++i) {
          tcp::socket next(asio::make_strand(net_));
          boost::system::error_code more;
          acceptor_.accept(next, more);
          if (more == asio::error::would_block || more == asio::error::try_again) break;
          if (more) return failed(more);
          start_session(std::move(next));
        }
        accept();
      });
}

void Acceptor::failed(boost::system::error_code ec) {
  ++metrics_.accept_errors;
  ++unlogged_errors_;
  const auto now = std::chrono::steady_clock::now();
  if (now - logged_at_ >= std::chrono::seconds(10)) {
    log::get("server")->warn("accept failed: {} ({} time(s) since the last report); backing off",
                             ec.message(), unlogged_errors_);
    unlogged_errors_ = 0;
    logged_at_ = now;
  }
  backoff_ =
      std::clamp(backoff_ * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  backoff_timer_.expires_after(backoff_);
  backoff_timer_.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec && acceptor_.is_open()) accept();
  });
}

}  // namespace auralis::server
