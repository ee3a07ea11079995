#include "streaming/chunk_listener.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "auralis/config/log.hpp"
#include "streaming/listener_metrics.hpp"
#include "streaming/stream_source.hpp"

namespace asio = boost::asio;

namespace auralis::server {

template <class Stream>
ChunkListener<Stream>::ChunkListener(Stream socket, ChunkStreamSetup setup, ListenerLimits limits,
                                     std::shared_ptr<ListenerMetrics> metrics,
                                     std::shared_ptr<void> admission_ticket)
    : socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      write_timer_(strand_),
      setup_(std::move(setup)),
      limits_(limits),
      metrics_(std::move(metrics)),
      ticket_(std::move(admission_ticket)),
      queue_(limits_.queue),
      held_(std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)) {
  if (setup_.icy_metaint > 0) icy_.emplace(setup_.icy_metaint);
  boost::system::error_code ec;
  const auto endpoint = tcp_socket(socket_).remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  ++metrics_->http_listeners;
  ++metrics_->http_listeners_total;
  ++setup_.source->http_listeners;
  if (setup_.format_listeners) ++*setup_.format_listeners;
}

template <class Stream>
ChunkListener<Stream>::~ChunkListener() {
  --metrics_->http_listeners;
  --setup_.source->http_listeners;
  if (setup_.format_listeners) --*setup_.format_listeners;
}

template <class Stream>
void ChunkListener<Stream>::start() {
  asio::dispatch(strand_, [self = this->shared_from_this()] {
    boost::system::error_code ec;
    tcp_socket(self->socket_)
        .set_option(asio::socket_base::send_buffer_size(self->limits_.sndbuf_bytes), ec);
    auto burst = self->setup_.hub->subscribe(self);
    self->watch_for_hangup();
    log::get("http")->info("listener {} joined session {} ({} burst chunks{})", self->remote_,
                           self->setup_.source->id(), burst.size(),
                           self->icy_ ? ", ICY metadata" : "");
    self->write(std::move(burst), true);
  });
}

template <class Stream>
void ChunkListener<Stream>::watch_for_hangup() {
  // As the Ogg listener: end of file may be a half-close, any error is a hang-up.
  socket_.async_read_some(
      asio::buffer(discard_),
      asio::bind_executor(strand_, [self = this->shared_from_this()](
                                       const boost::system::error_code& ec, std::size_t) {
        if (ec == asio::error::eof) {
          self->peer_done_sending_ = true;
          if (!self->writing_) self->write_next();
          return;
        }
        if (ec) return self->close("client went away");
        self->watch_for_hangup();
      }));
}

template <class Stream>
void ChunkListener<Stream>::on_chunks(const ChunkBatchPtr& batch) {
  asio::post(strand_, [self = this->shared_from_this(), batch] { self->enqueue(batch); });
}

template <class Stream>
void ChunkListener<Stream>::on_chunks_end() {
  asio::post(strand_, [self = this->shared_from_this()] {
    self->ending_ = true;
    if (self->writing_) return;
    if (self->queue_.empty()) return self->close("stream ended");
    self->write_next();
  });
}

template <class Stream>
void ChunkListener<Stream>::enqueue(const ChunkBatchPtr& batch) {
  if (closed_) return;
  if (queue_.push(batch, batch->bytes)) {
    ++skips_;
    ++metrics_->skips;
    if (skips_ > limits_.max_skips) {
      ++metrics_->drops;
      return close("too slow: skipped to the live edge too often");
    }
    log::get("http")->warn("listener {} on session {} fell behind: skipped to the live edge",
                           remote_, setup_.source->id());
  }
  held_.set(queue_.audio_bytes() + in_flight_bytes_);
  if (!writing_ && write_due()) write_next();
}

template <class Stream>
void ChunkListener<Stream>::write_next() {
  if (closed_ || queue_.empty()) return;
  in_flight_bytes_ = queue_.audio_bytes();
  std::vector<ChunkPtr> chunks;
  for (const auto& batch : queue_.take_all())
    chunks.insert(chunks.end(), batch->chunks.begin(), batch->chunks.end());
  write(std::move(chunks), false);
}

template <class Stream>
void ChunkListener<Stream>::write(std::vector<ChunkPtr> chunks, bool with_head) {
  writing_ = true;
  in_flight_ = std::move(chunks);
  std::vector<asio::const_buffer> buffers;
  if (with_head) buffers.emplace_back(asio::buffer(setup_.response_head));
  if (icy_) {
    icy_->frame(in_flight_, buffers);
  } else {
    for (const auto& c : in_flight_) buffers.emplace_back(asio::buffer(c->bytes));
  }
  write_timer_.expires_after(limits_.write_timeout);
  write_timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& e) {
    auto self = weak.lock();
    if (!self || e || self->closed_ || !self->writing_) return;
    ++self->metrics_->drops;  // no progress for write_timeout: too slow
    self->close("write timeout");
  });
  asio::async_write(socket_, buffers,
                    asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                     const boost::system::error_code& e,
                                                     std::size_t n) { self->on_written(e, n); }));
}

template <class Stream>
void ChunkListener<Stream>::on_written(const boost::system::error_code& ec, std::size_t bytes) {
  writing_ = false;
  write_timer_.cancel();
  in_flight_.clear();
  in_flight_bytes_ = 0;
  held_.set(queue_.audio_bytes());
  if (ec) return close(ec == asio::error::operation_aborted ? "closed" : "client went away");
  metrics_->bytes_sent += bytes;
  ++metrics_->writes;
  if (ending_ && queue_.empty()) return close("stream ended");
  if (ending_ || write_due()) write_next();
}

template <class Stream>
bool ChunkListener<Stream>::write_due() const {
  return queue_.size() >= limits_.batches_per_write || (peer_done_sending_ && !queue_.empty());
}

template <class Stream>
void ChunkListener<Stream>::close(const char* why) {
  if (closed_) return;
  closed_ = true;
  queue_.clear();
  held_.set(in_flight_bytes_);
  write_timer_.cancel();
  setup_.hub->unsubscribe(this);
  boost::system::error_code ec;
  tcp_socket(socket_).shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  tcp_socket(socket_).close(ec);
  log::get("http")->info("listener {} left session {}: {}", remote_, setup_.source->id(), why);
}

template class ChunkListener<TlsStream>;

}  // namespace auralis::server
