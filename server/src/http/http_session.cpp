#include "http/http_session.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <type_traits>

#include "api/routes.hpp"
#include "auralis/config/log.hpp"
#include "http/request_checks.hpp"
#include "streaming/http_fanout.hpp"
#include "streaming/http_listener.hpp"
#include "streaming/transport.hpp"
#include "streaming/ws_listener.hpp"

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace auralis::server {
namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
// Everything the parser must hold at once: the header, a chunk's size line with its
// extensions, the trailer fields. Beast bounds only the header and the body, so the read
// buffer's own limit is what keeps a chunk extension or a trailer from growing without end (and a
// trailer field over 64 KiB from reaching Beast's field store, which throws on it).
constexpr std::size_t kParseBufferLimit = 16 * 1024;

// Stream is PlainStream or TlsStream (transport.hpp); `buffer` holds bytes already read from
// the connection (the TLS detection's look at the first bytes).
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream stream, beast::flat_buffer buffer, const Routes& routes)
      : stream_(std::move(stream)),
        buffer_(std::move(buffer)),
        routes_(routes),
        header_timeout_(routes.config().header_timeout_s),
        keepalive_timeout_(routes.config().keepalive_timeout_s) {
    buffer_.max_size(std::max(kParseBufferLimit, buffer_.size()));
    beast::error_code ec;
    const auto ep = tcp_socket(stream_).remote_endpoint(ec);
    if (!ec) client_ = ep.address().to_string();
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        // The handshake is bounded like a request header (a client that stalls in it is cut off).
        tcp_layer(self->stream_).expires_after(self->header_timeout_);
        // `used` has a default only because Boost 1.74's ssl_stream constrains the buffered
        // handshake's handler as void(error_code); it is always called with both arguments.
        self->stream_.async_handshake(asio::ssl::stream_base::server, self->buffer_.data(),
                                      [self](beast::error_code ec, std::size_t used = 0) {
                                        if (ec) return self->close();
                                        self->buffer_.consume(used);
                                        self->read();
                                      });
      } else {
        self->read();
      }
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    // Wait up to the keep-alive timeout for a request to begin, then give the whole request
    // header_timeout: a client trickling bytes (slowloris) is cut off.
    tcp_layer(stream_).expires_after(requests_ == 0 ? header_timeout_ : keepalive_timeout_);
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            self->on_first_bytes(ec);
                          });
  }

  void on_first_bytes(beast::error_code ec) {
    if (ec || parser_->is_header_done()) return on_header(ec);
    tcp_layer(stream_).expires_after(header_timeout_);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                              self->on_header(e);
                            });
  }

  // The header is in: refuse what RFC 9112 refuses before reading any body.
  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    if (auto refusal = check_request_header(parser_->get())) {
      Request req;
      req.version(11);
      return send(error_response(req, http::status::bad_request, "bad_request", refusal->message,
                                 refusal->field),
                  true);
    }
    if (parser_->is_done()) return on_read(ec);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      Request req;
      req.version(11);
      return send(error_response(req, http::status::payload_too_large, "payload_too_large",
                                 "request body over " + std::to_string(kBodyLimit) + " bytes"),
                  true);
    }
    if (ec == http::error::buffer_overflow) {
      Request req;
      req.version(11);
      return send(error_response(req, http::status::payload_too_large, "payload_too_large",
                                 "chunk extensions or trailer fields over " +
                                     std::to_string(kParseBufferLimit / 1024) + " KiB"),
                  true);
    }
    if (ec == http::error::header_limit) {
      Request req;
      req.version(11);
      return send(error_response(req, http::status::request_header_fields_too_large,
                                 "headers_too_large", "request headers over 8 KiB"),
                  true);
    }
    if (ec) {
      Request req;
      req.version(11);
      return send(error_response(req, http::status::bad_request, "bad_request",
                                 "malformed HTTP request: " + ec.message()),
                  true);
    }
    Request req = parser_->release();
    ++requests_;
    RouteResult result;
    try {
      result = routes_.route(req, client_);
    } catch (const std::exception& e) {
      // A bug in one route must not escape into io_context::run() and end the daemon.
      log::get("http")->error("{} {}: {}", std::string(req.method_string()),
                              std::string(req.target()), e.what());
      ++routes_.metrics()->faults_route;
      result = error_response(req, http::status::internal_server_error, "internal_error",
                              "internal error");
    }
    if (auto* response = std::get_if<Response>(&result)) {
      // HEAD: the GET answer's status and headers (its Content-Length included), never a body.
      if (req.method() == http::verb::head) response->body().clear();
      if (response->result_int() >= 400) ++routes_.metrics()->rejected_requests;
      const bool close_after = !req.keep_alive();
      return send(std::move(*response), close_after);
    }
    if (auto* ws = std::get_if<WebSocketRoute>(&result)) {
      tcp_layer(stream_).expires_never();
      start_ws_listener(std::move(stream_), std::move(req), std::move(ws->source),
                        routes_.listener_limits(), routes_.metrics(), std::move(ws->ticket),
                        routes_.ws_client_limits());
      return;
    }
    if (auto* take = std::get_if<TakeOverRoute>(&result)) {
      tcp_layer(stream_).expires_never();
      if constexpr (std::is_same_v<Stream, TlsStream>)
        take->tls(std::move(stream_));
      else
        take->plain(stream_.release_socket());
      return;
    }
    if (auto* deferred = std::get_if<DeferredRoute>(&result)) return answer_later(*deferred, req);
    start_stream(std::get<StreamRoute>(std::move(result)));
  }

  // The route answers when it can (from any thread): the answer is sent on this connection's
  // executor, which reads nothing meanwhile.
  void answer_later(DeferredRoute& deferred, const Request& req) {
    const bool head = req.method() == http::verb::head;
    const bool close_after = !req.keep_alive();
    tcp_layer(stream_).expires_never();
    deferred.start([self = this->shared_from_this(), head, close_after](Response response) {
      auto shared = std::make_shared<Response>(std::move(response));
      asio::post(self->stream_.get_executor(), [self, shared, head, close_after] {
        if (head) shared->body().clear();
        if (shared->result_int() >= 400) ++self->routes_.metrics()->rejected_requests;
        self->send(std::move(*shared), close_after);
      });
    });
  }

  void send(Response response, bool close_after) {
    response.keep_alive(!close_after);
    auto shared = std::make_shared<Response>(std::move(response));
    tcp_layer(stream_).expires_after(header_timeout_);
    http::async_write(
        stream_, *shared,
        [self = this->shared_from_this(), shared, close_after](beast::error_code ec, std::size_t) {
          if (ec || close_after) return self->close();
          self->read();
        });
  }

  void start_stream(StreamRoute route) {
    tcp_layer(stream_).expires_never();
    if (route.head_only) {
      auto head = std::make_shared<std::string>(std::move(route.response_head));
      asio::async_write(stream_, asio::buffer(*head),
                        [self = this->shared_from_this(), head](beast::error_code, std::size_t) {
                          self->close();
                        });
      return;
    }
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      std::make_shared<TlsHttpListener>(std::move(stream_), std::move(route.source),
                                        std::move(route.response_head), routes_.listener_limits(),
                                        routes_.metrics(), std::move(route.ticket))
          ->start();
    } else {
      HttpFanout::join({route.source}, stream_.release_socket(), std::move(route.response_head),
                       routes_.listener_limits(), routes_.metrics(), std::move(route.ticket));
    }
  }

  void close() {
    beast::error_code ec;
    tcp_socket(stream_).shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    tcp_layer(stream_).close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const Routes& routes_;
  std::chrono::seconds header_timeout_;
  std::chrono::seconds keepalive_timeout_;
  std::string client_;
  int requests_ = 0;
};

// With TLS configured the port speaks both: a first byte that starts a TLS handshake gets
// HTTPS/WSS, anything else plain HTTP/WS (players without TLS keep working).
class TlsDetector : public std::enable_shared_from_this<TlsDetector> {
 public:
  TlsDetector(asio::ip::tcp::socket socket, const Routes& routes,
              std::shared_ptr<asio::ssl::context> tls)
      : stream_(std::move(socket)), routes_(routes), tls_(std::move(tls)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->stream_.expires_after(std::chrono::seconds(self->routes_.config().header_timeout_s));
      beast::async_detect_ssl(
          self->stream_, self->buffer_, [self](beast::error_code ec, bool is_tls) {
            if (ec) {
              beast::error_code ignored;
              self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
              return self->stream_.close();
            }
            if (is_tls) {
              std::make_shared<HttpSession<TlsStream>>(
                  TlsStream(std::move(self->stream_), *self->tls_), std::move(self->buffer_),
                  self->routes_)
                  ->run();
            } else {
              std::make_shared<HttpSession<PlainStream>>(std::move(self->stream_),
                                                         std::move(self->buffer_), self->routes_)
                  ->run();
            }
          });
    });
  }

 private:
  PlainStream stream_;
  beast::flat_buffer buffer_;
  const Routes& routes_;
  std::shared_ptr<asio::ssl::context> tls_;
};

}  // namespace

void start_http_session(asio::ip::tcp::socket socket, const Routes& routes,
                        const std::shared_ptr<asio::ssl::context>& tls) {
  if (tls) {
    std::make_shared<TlsDetector>(std::move(socket), routes, tls)->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), beast::flat_buffer(),
                                               routes)
        ->run();
  }
}

}  // namespace auralis::server
