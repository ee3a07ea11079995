#include "streaming/queued_listener.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "auralis/config/log.hpp"
#include "streaming/chunk_hub.hpp"
#include "streaming/listener_metrics.hpp"
#include "streaming/stream_hub.hpp"
#include "streaming/stream_source.hpp"

namespace asio = boost::asio;

namespace auralis::server {

template <class Stream, class BatchPtr>
QueuedListener<Stream, BatchPtr>::QueuedListener(
    Stream socket, std::shared_ptr<StreamSource> source, ListenerLimits limits,
    std::shared_ptr<ListenerMetrics> metrics, std::shared_ptr<void> admission_ticket,
    std::shared_ptr<std::atomic<std::int64_t>> format_listeners)
    : socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      write_timer_(strand_),
      source_(std::move(source)),
      limits_(limits),
      metrics_(std::move(metrics)),
      ticket_(std::move(admission_ticket)),
      format_listeners_(std::move(format_listeners)),
      queue_(limits_.queue),
      cadence_(limits_.write_period),
      held_(std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)) {
  boost::system::error_code ec;
  const auto endpoint = tcp_socket(socket_).remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  ++metrics_->http_listeners;
  ++metrics_->http_listeners_total;
  ++source_->http_listeners;
  if (format_listeners_) ++*format_listeners_;
}

template <class Stream, class BatchPtr>
QueuedListener<Stream, BatchPtr>::~QueuedListener() {
  --metrics_->http_listeners;
  --source_->http_listeners;
  if (format_listeners_) --*format_listeners_;
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::start() {
  asio::dispatch(strand_, [self = this->shared_from_this()] {
    boost::system::error_code ec;
    // A small kernel buffer makes a stalled reader visible to our queue bound quickly.
    tcp_socket(self->socket_)
        .set_option(asio::socket_base::send_buffer_size(self->limits_.sndbuf_bytes), ec);
    std::vector<asio::const_buffer> buffers;
    const auto burst = self->subscribe(buffers, self->opening_);
    self->watch_for_hangup();
    log::get("http")->info("listener {} joined session {} ({})", self->remote_, self->source_->id(),
                           burst);
    self->write(buffers);
  });
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::watch_for_hangup() {
  // Without this a listener that leaves before the first write (or between writes) would hold
  // its place under the limits until the next write fails. End of file is not enough to tell:
  // a client that half-closes (shutdown(SHUT_WR) after its request) still reads and keeps its
  // stream. From then on every batch is written at once, so a client that closed for good is
  // found by the second write (its kernel answers the first with a reset).
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

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::deliver(BatchPtr batch, std::size_t bytes,
                                               std::int64_t samples) {
  asio::post(strand_, [self = this->shared_from_this(), batch = std::move(batch), bytes,
                       samples]() mutable { self->enqueue(std::move(batch), bytes, samples); });
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::end() {
  asio::post(strand_, [self = this->shared_from_this()] {
    self->ending_ = true;
    if (self->writing_) return;
    if (self->queue_.empty()) return self->close("stream ended");
    self->write_next();  // what is queued still goes out
  });
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::enqueue(BatchPtr batch, std::size_t bytes,
                                               std::int64_t samples) {
  if (closed_) return;
  if (queue_.push(std::move(batch), bytes)) {
    cadence_.clear();  // only the batch just queued is left
    ++skips_;
    ++metrics_->skips;
    if (skips_ > limits_.max_skips) {
      ++metrics_->drops;
      return close("too slow: skipped to the live edge too often");
    }
    log::get("http")->warn("listener {} on session {} fell behind: skipped to the live edge",
                           remote_, source_->id());
  }
  cadence_.add(samples);
  held_.set(queue_.audio_bytes() + in_flight_bytes_);
  if (!writing_ && write_due()) write_next();
}

template <class Stream, class BatchPtr>
bool QueuedListener<Stream, BatchPtr>::write_due() const {
  return cadence_.due() || (peer_done_sending_ && !queue_.empty());
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::write_next() {
  if (closed_ || queue_.empty()) return;
  in_flight_bytes_ = queue_.audio_bytes();
  in_flight_ = queue_.take_all();
  cadence_.clear();
  std::vector<asio::const_buffer> buffers;
  append(in_flight_, buffers);
  write(buffers);
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::write(const std::vector<asio::const_buffer>& buffers) {
  writing_ = true;
  write_timer_.expires_after(limits_.write_timeout);
  write_timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& e) {
    if (auto s = weak.lock(); s && !e) s->drop_stalled();
  });
  asio::async_write(socket_, buffers,
                    asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                     const boost::system::error_code& e,
                                                     std::size_t n) { self->on_written(e, n); }));
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::on_written(const boost::system::error_code& ec,
                                                  std::size_t bytes) {
  writing_ = false;
  write_timer_.cancel();
  in_flight_.clear();
  opening_.reset();
  in_flight_bytes_ = 0;
  held_.set(queue_.audio_bytes());
  if (ec) return close(ec == asio::error::operation_aborted ? "closed" : "client went away");
  metrics_->bytes_sent += bytes;
  ++metrics_->writes;
  if (ending_ && queue_.empty()) return close("stream ended");
  if (ending_ || write_due()) write_next();
}

// A write that made no progress for write_timeout: too slow, like one skipped too often.
template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::drop_stalled() {
  if (closed_ || !writing_) return;  // the write finished meanwhile: not stalled
  ++metrics_->drops;
  close("write timeout");
}

template <class Stream, class BatchPtr>
void QueuedListener<Stream, BatchPtr>::close(const char* why) {
  if (closed_) return;
  closed_ = true;
  queue_.clear();
  held_.set(in_flight_bytes_);  // the bytes being written stay alive until the write ends
  write_timer_.cancel();
  unsubscribe();
  boost::system::error_code ec;
  // TLS: no close_notify; the listener sees the end of the stream from the TCP close.
  tcp_socket(socket_).shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  tcp_socket(socket_).close(ec);
  log::get("http")->info("listener {} left session {}: {}", remote_, source_->id(), why);
}

template class QueuedListener<TlsStream, PageBatch>;
template class QueuedListener<TlsStream, ChunkBatchPtr>;

}  // namespace auralis::server
