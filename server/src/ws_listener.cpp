#include "ws_listener.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>

#include "auralis/devices/log.hpp"
#include "auralis/server/api_params.hpp"
#include "auralis/server/metrics.hpp"
#include "auralis/server/session.hpp"
#include "held_bytes.hpp"
#include "stream_listener.hpp"

namespace beast = boost::beast;
namespace asio = boost::asio;
namespace websocket = beast::websocket;

namespace auralis::server {
namespace {

std::string base64(const std::vector<std::uint8_t>& bytes) {
  std::string out(beast::detail::base64::encoded_size(bytes.size()), '\0');
  out.resize(beast::detail::base64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

template <class Stream>
class WsListener : public StreamSubscriber,
                   public std::enable_shared_from_this<WsListener<Stream>> {
 public:
  WsListener(Stream socket, std::shared_ptr<Session> session, const ListenerLimits& limits,
             std::shared_ptr<ListenerMetrics> metrics, std::shared_ptr<void> ticket,
             std::size_t max_client_message)
      : ws_(std::move(socket)),
        session_(std::move(session)),
        limits_(limits),
        metrics_(std::move(metrics)),
        ticket_(std::move(ticket)),
        max_client_message_(max_client_message) {
    beast::error_code ec;
    const auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    ++metrics_->ws_listeners;
    ++metrics_->ws_listeners_total;
    ++session_->ws_listeners;
  }
  ~WsListener() override {
    --metrics_->ws_listeners;
    --session_->ws_listeners;
  }

  void start(Request upgrade) {
    auto req = std::make_shared<Request>(std::move(upgrade));
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), req] {
      beast::get_lowest_layer(self->ws_).expires_after(std::chrono::seconds(10));
      self->ws_.read_message_max(self->max_client_message_);
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
      if (!self->writing_) self->finish();
    });
  }

 private:
  struct Message {
    std::shared_ptr<const std::string> data;
    bool binary = true;
    std::chrono::steady_clock::time_point queued_at;
  };

  void on_accept(beast::error_code ec) {
    if (ec) return;  // not a valid WebSocket handshake: the socket just closes
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    beast::error_code opt_ec;
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(limits_.sndbuf_bytes), opt_ec);

    const auto now = session_->now_playing();
    nlohmann::json hello = {
        {"type", "hello"},
        {"session", session_->id()},
        {"name", session_->name()},
        {"codec", "opus"},
        {"sample_rate", 48000},
        {"channels", 2},
        {"pre_skip", session_->pre_skip()},
        {"opus_head", base64(session_->opus_head())},
        {"params", params_to_json(session_->params())},
        {"now_playing", now.started ? nlohmann::json{{"phrase", now.phrase},
                                                     {"key", music::pitch_class_name(now.key_pc)},
                                                     {"mode", music::mode_name(now.mode)},
                                                     {"tempo_bpm", now.tempo_bpm},
                                                     {"chord", now.chord},
                                                     {"bar", now.bar},
                                                     {"engine", now.engine}}
                                    : nlohmann::json(nullptr)}};
    const auto t = std::chrono::steady_clock::now();
    queue_.push_back({std::make_shared<const std::string>(hello.dump()), false, t});
    auto burst = session_->hub().subscribe(this->shared_from_this());
    if (!burst.empty())
      queue_.push_back({std::make_shared<const std::string>(frame_ws_packets(burst)), true, t});
    log::get("ws")->info("listener {} joined session {} ({} burst pages)", remote_, session_->id(),
                         burst.size());
    read_loop();
    write_next();
  }

  // Client messages are only drained (pings/close are handled by Beast); their size is capped.
  void read_loop() {
    ws_.async_read(read_buffer_,
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec)
                       return self->close(ec == websocket::error::closed ? "closed by client"
                                                                         : "read: " + ec.message());
                     self->read_buffer_.consume(self->read_buffer_.size());
                     self->read_loop();
                   });
  }

  void enqueue(const PageBatch& batch) {
    if (closed_) return;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& e : batch->events) queue_.push_back({e, false, now});
    if (batch->ws_message && !batch->pages.empty()) {
      queue_.push_back({batch->ws_message, true, now});
      queued_bytes_ += batch->ws_message->size();
    }
    if (queued_bytes_ > limits_.max_queue_bytes ||
        (!queue_.empty() && now - queue_.front().queued_at > limits_.max_queue_age)) {
      ++skips_;
      ++metrics_->skips;
      if (skips_ > limits_.max_skips) {
        ++metrics_->drops;
        return close("too slow: skipped to the live edge too often");
      }
      // Keep the events (small, and now-playing must stay right) and the newest audio only.
      std::deque<Message> kept;
      std::shared_ptr<const std::string> newest_audio;
      for (auto& m : queue_) {
        if (m.binary)
          newest_audio = m.data;
        else
          kept.push_back(std::move(m));
      }
      if (newest_audio) kept.push_back({newest_audio, true, now});
      queue_ = std::move(kept);
      queued_bytes_ = newest_audio ? newest_audio->size() : 0;
    }
    update_held();
    if (!writing_) write_next();
  }

  void write_next() {
    if (closed_ || writing_) return;
    if (queue_.empty()) {
      if (ending_) finish();
      return;
    }
    writing_ = true;
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    if (in_flight_.binary) queued_bytes_ -= std::min(queued_bytes_, in_flight_.data->size());
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
    held_.set(queued_bytes_ + (in_flight_.binary && in_flight_.data ? in_flight_.data->size() : 0));
  }

  void finish() {
    if (closed_ || closing_) return;
    closing_ = true;
    ws_.async_close(
        websocket::close_reason(websocket::close_code::going_away, "session ended"),
        [self = this->shared_from_this()](beast::error_code) { self->close("stream ended"); });
  }

  void close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    update_held();
    session_->hub().unsubscribe(this);
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
    log::get("ws")->info("listener {} left session {}: {}", remote_, session_->id(), why);
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<Session> session_;
  ListenerLimits limits_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::shared_ptr<void> ticket_;
  std::size_t max_client_message_;
  beast::flat_buffer read_buffer_;
  std::deque<Message> queue_;
  Message in_flight_;
  std::size_t queued_bytes_ = 0;
  HeldBytes held_{std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)};
  bool writing_ = false;
  bool ending_ = false;
  bool closing_ = false;
  bool closed_ = false;
  int skips_ = 0;
  std::string remote_;
};

template <class Stream>
void start(Stream stream, Request upgrade, std::shared_ptr<Session> session,
           const ListenerLimits& limits, std::shared_ptr<ListenerMetrics> metrics,
           std::shared_ptr<void> admission_ticket, std::size_t max_client_message) {
  auto listener = std::make_shared<WsListener<Stream>>(
      std::move(stream), std::move(session), limits, std::move(metrics),
      std::move(admission_ticket), max_client_message);
  listener->start(std::move(upgrade));
}

}  // namespace

void start_ws_listener(PlainStream stream, Request upgrade, std::shared_ptr<Session> session,
                       const ListenerLimits& limits, std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, std::size_t max_client_message) {
  start(std::move(stream), std::move(upgrade), std::move(session), limits, std::move(metrics),
        std::move(admission_ticket), max_client_message);
}

void start_ws_listener(TlsStream stream, Request upgrade, std::shared_ptr<Session> session,
                       const ListenerLimits& limits, std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, std::size_t max_client_message) {
  start(std::move(stream), std::move(upgrade), std::move(session), limits, std::move(metrics),
        std::move(admission_ticket), max_client_message);
}

}  // namespace auralis::server
