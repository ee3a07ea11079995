#include "streaming/ws_listener.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>

#include "auralis/config/log.hpp"
#include "streaming/held_bytes.hpp"
#include "streaming/listener_limits.hpp"
#include "streaming/listener_metrics.hpp"
#include "streaming/stream_source.hpp"

namespace beast = boost::beast;
namespace asio = boost::asio;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace auralis::server {
namespace {

struct Message {
  std::shared_ptr<const std::string> data;
  bool binary = true;
};

template <class Stream>
class WsListener : public StreamSubscriber,
                   public std::enable_shared_from_this<WsListener<Stream>> {
 public:
  using Queue = LiveEdgeQueue<Message>;

  WsListener(Stream socket, std::shared_ptr<StreamSource> source, const ListenerLimits& limits,
             std::shared_ptr<ListenerMetrics> metrics, std::shared_ptr<void> ticket,
             WsClientLimits client)
      : ws_(std::move(socket)),
        source_(std::move(source)),
        limits_(limits),
        metrics_(std::move(metrics)),
        ticket_(std::move(ticket)),
        client_(client),
        queue_(limits.queue) {
    beast::error_code ec;
    const auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    ++metrics_->ws_listeners;
    ++metrics_->ws_listeners_total;
    ++source_->ws_listeners;
  }
  ~WsListener() override {
    --metrics_->ws_listeners;
    --source_->ws_listeners;
  }

  void start(UpgradeRequest upgrade) {
    auto req = std::make_shared<UpgradeRequest>(std::move(upgrade));
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), req] {
      beast::get_lowest_layer(self->ws_).expires_after(std::chrono::seconds(10));
      self->ws_.read_message_max(self->client_.max_message_bytes);
      self->ws_.set_option(websocket::stream_base::decorator(
          [](websocket::response_type& res) { res.set(http::field::server, "auralis"); }));
      self->ws_.async_accept(*req, [self, req](beast::error_code ec) { self->on_accept(ec); });
    });
  }

  void on_pages(const PageBatch& batch) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), batch] { self->enqueue(batch); });
  }

  void on_stream_end() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->ending_ = true;
      if (!self->writing_) self->finish(websocket::close_code::going_away, "session ended");
    });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;  // not a valid WebSocket handshake: the socket just closes
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.control_callback(
        [weak = this->weak_from_this()](websocket::frame_type kind, beast::string_view) {
          if (auto self = weak.lock(); self && kind != websocket::frame_type::close)
            self->count_client_frame();
        });
    beast::error_code opt_ec;
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(limits_.sndbuf_bytes), opt_ec);

    queue_.push({std::make_shared<const std::string>(source_->ws_hello()), false}, 0,
                Queue::Kind::kept);
    auto burst = source_->hub().subscribe(this->shared_from_this());
    if (!burst.empty()) {
      auto message = std::make_shared<const std::string>(frame_ws_packets(burst));
      queue_.push({message, true}, message->size());
    }
    log::get("ws")->info("listener {} joined session {} ({} burst pages)", remote_, source_->id(),
                         burst.size());
    read_loop();
    write_next();
  }

  // Client messages are only drained, their size capped; pings are answered by Beast. Both
  // count against the client's frame budget.
  void read_loop() {
    ws_.async_read(read_buffer_,
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec)
                       return self->close(ec == websocket::error::closed ? "closed by client"
                                                                         : "read: " + ec.message());
                     self->read_buffer_.consume(self->read_buffer_.size());
                     self->count_client_frame();
                     self->read_loop();
                   });
  }

  // Runs on the stream's strand (read completions and the control callback inside them).
  void count_client_frame() {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ > client_.window) {
      window_start_ = now;
      frames_in_window_ = 0;
    }
    if (++frames_in_window_ == client_.max_frames + 1) {
      ++metrics_->ws_floods;
      log::get("ws")->warn("listener {} sent over {} frames in {} s: closing (policy)", remote_,
                           client_.max_frames, client_.window.count());
      // Not from inside the read: the callback runs within it.
      asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
        self->finish(websocket::close_code::policy_error, "too many frames");
      });
    }
  }

  void enqueue(const PageBatch& batch) {
    if (closed_ || closing_) return;
    for (const auto& e : batch->events) queue_.push({e, false}, 0, Queue::Kind::kept);
    if (batch->ws_message && !batch->pages.empty() &&
        queue_.push({batch->ws_message, true}, batch->ws_message->size())) {
      ++skips_;
      ++metrics_->skips;
      if (skips_ > limits_.max_skips) {
        ++metrics_->drops;
        return close("too slow: skipped to the live edge too often");
      }
    }
    update_held();
    if (!writing_) write_next();
  }

  void write_next() {
    if (closed_ || closing_ || writing_) return;
    if (queue_.empty()) {
      if (ending_) finish(websocket::close_code::going_away, "session ended");
      return;
    }
    writing_ = true;
    in_flight_ = queue_.take_front();
    ws_.binary(in_flight_.binary);
    ws_.async_write(asio::buffer(*in_flight_.data),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                      self->writing_ = false;
                      if (ec) return self->close("write: " + ec.message());
                      self->metrics_->bytes_sent += n;
                      ++self->metrics_->writes;
                      self->in_flight_ = {};
                      self->update_held();
                      self->write_next();
                    });
  }

  void update_held() {
    held_.set(queue_.audio_bytes() +
              (in_flight_.binary && in_flight_.data ? in_flight_.data->size() : 0));
  }

  void finish(websocket::close_code code, const char* reason) {
    if (closed_ || closing_) return;
    closing_ = true;
    ws_.async_close(
        websocket::close_reason(code, reason),
        [self = this->shared_from_this(), reason](beast::error_code) { self->close(reason); });
  }

  void close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    update_held();
    source_->hub().unsubscribe(this);
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
    log::get("ws")->info("listener {} left session {}: {}", remote_, source_->id(), why);
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<StreamSource> source_;
  ListenerLimits limits_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::shared_ptr<void> ticket_;
  WsClientLimits client_;
  beast::flat_buffer read_buffer_;
  Queue queue_;
  Message in_flight_;
  HeldBytes held_{std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)};
  bool writing_ = false;
  bool ending_ = false;
  bool closing_ = false;
  bool closed_ = false;
  int skips_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
  int frames_in_window_ = 0;
  std::string remote_;
};

template <class Stream>
void start(Stream stream, UpgradeRequest upgrade, std::shared_ptr<StreamSource> source,
           const ListenerLimits& limits, std::shared_ptr<ListenerMetrics> metrics,
           std::shared_ptr<void> admission_ticket, WsClientLimits client) {
  std::make_shared<WsListener<Stream>>(std::move(stream), std::move(source), limits,
                                       std::move(metrics), std::move(admission_ticket), client)
      ->start(std::move(upgrade));
}

}  // namespace

void start_ws_listener(PlainStream stream, UpgradeRequest upgrade,
                       std::shared_ptr<StreamSource> source, const ListenerLimits& limits,
                       std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, WsClientLimits client) {
  start(std::move(stream), std::move(upgrade), std::move(source), limits, std::move(metrics),
        std::move(admission_ticket), client);
}

void start_ws_listener(TlsStream stream, UpgradeRequest upgrade,
                       std::shared_ptr<StreamSource> source, const ListenerLimits& limits,
                       std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, WsClientLimits client) {
  start(std::move(stream), std::move(upgrade), std::move(source), limits, std::move(metrics),
        std::move(admission_ticket), client);
}

}  // namespace auralis::server
