#include "streaming/icecast_source.hpp"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <stdexcept>

#include "auralis/config/log.hpp"
#include "auralis/proto/header_text.hpp"
#include "streaming/stream_source.hpp"

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace auralis::server {
namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

struct IcecastSource::Tls {
  ssl::context context{ssl::context::tls_client};
};

// One connection attempt. Plain connections use the stream's next layer (the TCP socket).
struct IcecastSource::Connection {
  Connection(const asio::strand<asio::any_io_executor>& strand, ssl::context& context, bool use_tls)
      : resolver(strand), stream(strand, context), timer(strand), tls(use_tls) {}

  template <typename F>
  void io(F&& f) {
    if (tls)
      f(stream);
    else
      f(stream.next_layer());
  }
  tcp::socket& socket() { return stream.next_layer(); }

  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;  // connect/response timeout, then the write timeout
  bool tls;
  std::string request;
  std::string response;
  std::array<char, 512> discard{};
};

IcecastSource::IcecastSource(asio::any_io_executor executor, std::shared_ptr<StreamSource> session,
                             IcecastSettings settings)
    : strand_(asio::make_strand(std::move(executor))),
      session_(std::move(session)),
      settings_(std::move(settings)),
      tls_(std::make_unique<Tls>()),
      retry_timer_(strand_),
      queue_(settings_.queue) {
  if (!session_) throw std::invalid_argument("no session to push");
  if (settings_.host.empty()) throw std::invalid_argument("icecast.host is empty");
  if (settings_.mount.empty() || settings_.mount.front() != '/')
    throw std::invalid_argument("icecast.mount must start with /");
  if (settings_.tls) {
    tls_->context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3);
    if (settings_.tls_verify) {
      tls_->context.set_default_verify_paths();
      tls_->context.set_verify_mode(ssl::verify_peer);
    } else {
      tls_->context.set_verify_mode(ssl::verify_none);
    }
  }
}

IcecastSource::~IcecastSource() = default;

std::string IcecastSource::target() const {
  return std::string(settings_.tls ? "icecast+tls://" : "icecast://") + settings_.host + ":" +
         std::to_string(settings_.port) + settings_.mount;
}

void IcecastSource::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_ || self->conn_) return;
    log::get("icecast")->info("pushing session {} to {}", self->session_->id(), self->target());
    self->connect();
  });
}

void IcecastSource::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->retry_timer_.cancel();
    self->close_connection();
    self->session_.reset();  // never keep a session alive past the daemon's shutdown
    log::get("icecast")->info("{}: stopped", self->target());
  });
}

void IcecastSource::on_pages(const PageBatch& batch) {
  // Called on the pacer thread: copy the page pointers (one subscriber: cheap) and post.
  asio::post(strand_, [self = shared_from_this(), batch] { self->enqueue(batch->pages); });
}

void IcecastSource::on_stream_end() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->subscribed_ = false;  // the hub dropped us already
    self->retry_timer_.cancel();
    self->close_connection();
    log::get("icecast")->info("{}: session {} ended", self->target(), self->session_->id());
    self->session_.reset();
  });
}

IcecastStatus IcecastSource::status() const {
  return {connected_.load(), connects_.load(), failures_.load(), bytes_sent_.load(), skips_.load()};
}

std::string IcecastSource::request_head() const {
  std::string head = "PUT " + settings_.mount + " HTTP/1.1\r\n";
  head += "Host: " + proto::header_value(settings_.host) + ":" + std::to_string(settings_.port) +
          "\r\n";
  head +=
      "Authorization: Basic " + proto::base64(settings_.user + ":" + settings_.password) + "\r\n";
  head += "User-Agent: " + proto::header_value(settings_.user_agent) + "\r\n";
  head += "Content-Type: audio/ogg\r\n";
  head += "Ice-Public: 0\r\n";
  if (!settings_.name.empty()) head += "Ice-Name: " + proto::header_value(settings_.name) + "\r\n";
  if (!settings_.description.empty())
    head += "Ice-Description: " + proto::header_value(settings_.description) + "\r\n";
  // Icecast 2.4 answers a PUT that expects 100-continue with "100 Continue" (else "200 OK") and
  // then reads the body until the connection closes: no Content-Length, no chunking.
  head += "Expect: 100-continue\r\n\r\n";
  return head;
}

void IcecastSource::connect() {
  auto conn = std::make_shared<Connection>(strand_, tls_->context, settings_.tls);
  conn_ = conn;
  conn->timer.expires_after(settings_.connect_timeout);
  conn->timer.async_wait([self = shared_from_this(), conn](const error_code& ec) {
    if (!ec && conn == self->conn_) self->lost(conn, "timed out connecting");
  });
  conn->resolver.async_resolve(
      settings_.host, std::to_string(settings_.port),
      [self = shared_from_this(), conn](const error_code& ec, tcp::resolver::results_type results) {
        if (conn != self->conn_) return;
        if (ec) return self->lost(conn, "resolving " + self->settings_.host + ": " + ec.message());
        self->on_resolved(conn, results);
      });
}

void IcecastSource::on_resolved(const std::shared_ptr<Connection>& conn,
                                const tcp::resolver::results_type& endpoints) {
  asio::async_connect(
      conn->socket(), endpoints,
      [self = shared_from_this(), conn](const error_code& ec, const tcp::endpoint&) {
        if (conn != self->conn_) return;
        if (ec) return self->lost(conn, "connect: " + ec.message());
        self->on_connected(conn);
      });
}

void IcecastSource::on_connected(const std::shared_ptr<Connection>& conn) {
  error_code ignored;
  conn->socket().set_option(tcp::no_delay(true), ignored);
  if (!conn->tls) return send_request(conn);
  // SNI and host name verification for the TLS handshake.
  if (!SSL_set_tlsext_host_name(conn->stream.native_handle(), settings_.host.c_str()))
    return lost(conn, "TLS: cannot set the server name");
  if (settings_.tls_verify)
    conn->stream.set_verify_callback(ssl::host_name_verification(settings_.host));
  conn->stream.async_handshake(ssl::stream_base::client,
                               [self = shared_from_this(), conn](const error_code& ec) {
                                 if (conn != self->conn_) return;
                                 if (ec) return self->lost(conn, "TLS handshake: " + ec.message());
                                 self->send_request(conn);
                               });
}

void IcecastSource::send_request(const std::shared_ptr<Connection>& conn) {
  conn->request = request_head();
  conn->io([&](auto& stream) {
    asio::async_write(stream, asio::buffer(conn->request),
                      [self = shared_from_this(), conn](const error_code& ec, std::size_t) {
                        if (conn != self->conn_) return;
                        if (ec) return self->lost(conn, "sending the request: " + ec.message());
                        self->read_response(conn);
                      });
  });
}

void IcecastSource::read_response(const std::shared_ptr<Connection>& conn) {
  conn->io([&](auto& stream) {
    asio::async_read_until(stream, asio::dynamic_buffer(conn->response, 16384), "\r\n\r\n",
                           [self = shared_from_this(), conn](const error_code& ec, std::size_t n) {
                             if (conn != self->conn_) return;
                             if (ec)
                               return self->lost(conn, "reading the response: " + ec.message());
                             self->on_response(conn, conn->response.substr(0, n));
                           });
  });
}

void IcecastSource::on_response(const std::shared_ptr<Connection>& conn, const std::string& head) {
  const auto line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  int code = 0;
  if (status_line.starts_with("HTTP/") && status_line.size() >= 12) {
    const auto space = status_line.find(' ');
    if (space != std::string::npos) code = std::atoi(status_line.c_str() + space + 1);
  }
  if (code == 100 || code == 200) return start_streaming(conn);
  if (code == 401) {
    log::get("icecast")->error("{}: the server refused the source credentials (user '{}'): {}",
                               target(), settings_.user, status_line);
    backoff_ = settings_.backoff_max;  // retrying fast will not fix a password
    return lost(conn, "authentication failed", true);
  }
  const std::string why = code == 403 ? "mount in use or not allowed" : "unexpected response";
  lost(conn, why + " (" + (status_line.empty() ? "empty" : status_line) + ")", true);
}

void IcecastSource::start_streaming(const std::shared_ptr<Connection>& conn) {
  conn->timer.cancel();
  connected_at_ = std::chrono::steady_clock::now();
  connected_ = true;
  ++connects_;
  // The stream starts again on every connection: header pages, then a burst of recent pages
  // from a page boundary, then the live batches.
  queue_.clear();
  const auto header = session_->header_pages();
  queue_.push(Chunk{header, {}}, header ? header->size() : 0, Queue::Kind::kept);
  auto burst = session_->hub().subscribe(shared_from_this());
  subscribed_ = true;
  log::get("icecast")->info("{}: connected, streaming session {} (connection {})", target(),
                            session_->id(), connects_.load());
  enqueue(std::move(burst));
  watch_for_close(conn);
  write_next();
}

void IcecastSource::watch_for_close(const std::shared_ptr<Connection>& conn) {
  // Icecast sends nothing more; a completed read means it closed or reset the connection.
  conn->io([&](auto& stream) {
    stream.async_read_some(asio::buffer(conn->discard),
                           [self = shared_from_this(), conn](const error_code& ec, std::size_t) {
                             if (conn != self->conn_) return;
                             if (ec) return self->lost(conn, "server closed: " + ec.message());
                             self->watch_for_close(conn);
                           });
  });
}

void IcecastSource::enqueue(const std::vector<proto::PagePtr>& pages) {
  if (!connected_ || pages.empty()) return;
  std::size_t bytes = 0;
  for (const auto& page : pages) bytes += page->bytes.size();
  if (queue_.push(Chunk{nullptr, pages}, bytes)) {
    const auto skips = ++skips_;
    if (skips == 1 || skips % 10 == 0)
      log::get("icecast")->warn(
          "{}: the server is not keeping up; skipped to the live edge ({} skip(s) so far)",
          target(), skips);
  }
  write_next();
}

void IcecastSource::write_next() {
  if (writing_ || queue_.empty() || !conn_ || !connected_) return;
  // Everything queued goes out in one gather write; the handler keeps the pages alive.
  auto in_flight = std::make_shared<std::vector<Chunk>>(queue_.take_all());
  std::vector<asio::const_buffer> buffers;
  for (const Chunk& c : *in_flight) {
    if (c.raw) buffers.emplace_back(asio::buffer(*c.raw));
    for (const auto& page : c.pages) buffers.emplace_back(asio::buffer(page->bytes));
  }
  writing_ = true;
  auto conn = conn_;
  conn->timer.expires_after(settings_.write_timeout);
  conn->timer.async_wait([self = shared_from_this(), conn](const error_code& ec) {
    if (!ec && conn == self->conn_) self->lost(conn, "write timed out");
  });
  conn->io([&](auto& stream) {
    asio::async_write(
        stream, buffers,
        [self = shared_from_this(), conn, in_flight](const error_code& ec, std::size_t n) {
          if (conn != self->conn_) return;
          self->writing_ = false;
          conn->timer.cancel();
          self->bytes_sent_ += n;
          if (ec) return self->lost(conn, "write: " + ec.message());
          self->write_next();
        });
  });
}

void IcecastSource::lost(const std::shared_ptr<Connection>& conn, const std::string& why,
                         bool refused) {
  if (conn != conn_) return;
  const bool was_connected = connected_;
  const bool was_stable =
      was_connected && std::chrono::steady_clock::now() - connected_at_ >= settings_.stable_after;
  close_connection();
  if (stopped_) return;
  ++failures_;
  if (was_stable) backoff_ = std::chrono::milliseconds(0);
  schedule_reconnect();
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
      retry_timer_.expiry() - std::chrono::steady_clock::now());
  auto logger = log::get("icecast");
  if (was_connected)
    logger->warn("{}: connection lost ({}); reconnecting in {}", target(), why,
                 seconds_text(delay));
  else if (!refused)
    logger->warn("{}: {}; retrying in {}", target(), why, seconds_text(delay));
  else
    logger->warn("{}: refused: {}; retrying in {}", target(), why, seconds_text(delay));
}

void IcecastSource::schedule_reconnect() {
  backoff_ =
      backoff_.count() == 0 ? settings_.backoff_min : std::min(backoff_ * 2, settings_.backoff_max);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto delay = std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(backoff_.count()) * jitter(rng_)));
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->stopped_ || self->conn_) return;
    self->connect();
  });
}

void IcecastSource::close_connection() {
  if (subscribed_) {
    session_->hub().unsubscribe(this);
    subscribed_ = false;
  }
  connected_ = false;
  writing_ = false;
  queue_.clear();
  if (!conn_) return;
  auto conn = std::move(conn_);
  conn_.reset();
  error_code ignored;
  conn->timer.cancel();
  conn->resolver.cancel();
  conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->socket().close(ignored);
}

}  // namespace auralis::server
