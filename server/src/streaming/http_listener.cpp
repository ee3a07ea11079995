#include "streaming/http_listener.hpp"

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
HttpListener<Stream>::HttpListener(Stream socket, std::shared_ptr<StreamSource> source,
                                   std::string response_head, ListenerLimits limits,
                                   std::shared_ptr<ListenerMetrics> metrics,
                                   std::shared_ptr<void> admission_ticket)
    : socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      write_timer_(strand_),
      source_(std::move(source)),
      response_head_(std::move(response_head)),
      limits_(limits),
      metrics_(std::move(metrics)),
      ticket_(std::move(admission_ticket)),
      queue_(limits_.queue),
      held_(std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)) {
  boost::system::error_code ec;
  const auto endpoint = tcp_socket(socket_).remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  ++metrics_->http_listeners;
  ++metrics_->http_listeners_total;
  ++source_->http_listeners;
}

template <class Stream>
HttpListener<Stream>::~HttpListener() {
  --metrics_->http_listeners;
  --source_->http_listeners;
}

template <class Stream>
void HttpListener<Stream>::start() {
  asio::dispatch(strand_, [self = this->shared_from_this()] {
    boost::system::error_code ec;
    // A small kernel buffer makes a stalled reader visible to our queue bound quickly.
    tcp_socket(self->socket_)
        .set_option(asio::socket_base::send_buffer_size(self->limits_.sndbuf_bytes), ec);
    self->start_pages_ = self->source_->hub().subscribe(self);
    self->watch_for_hangup();
    log::get("http")->info("listener {} joined session {} ({} burst pages)", self->remote_,
                           self->source_->id(), self->start_pages_.size());
    self->writing_ = true;
    std::vector<asio::const_buffer> buffers;
    buffers.emplace_back(asio::buffer(self->response_head_));
    const auto headers = self->source_->header_pages();
    buffers.emplace_back(asio::buffer(*headers));
    for (const auto& page : self->start_pages_) buffers.emplace_back(asio::buffer(page->bytes));
    self->arm_write_timer();
    asio::async_write(
        self->socket_, buffers,
        asio::bind_executor(self->strand_,
                            [self, headers](const boost::system::error_code& e, std::size_t n) {
                              self->start_pages_.clear();
                              self->on_written(e, n);
                            }));
  });
}

template <class Stream>
void HttpListener<Stream>::watch_for_hangup() {
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

template <class Stream>
void HttpListener<Stream>::on_pages(const PageBatch& batch) {
  asio::post(strand_, [self = this->shared_from_this(), batch] { self->enqueue(batch); });
}

template <class Stream>
void HttpListener<Stream>::on_stream_end() {
  asio::post(strand_, [self = this->shared_from_this()] {
    self->ending_ = true;
    if (self->writing_) return;
    if (self->queue_.empty()) return self->close("stream ended");
    self->write_next();  // what is queued still goes out
  });
}

template <class Stream>
void HttpListener<Stream>::enqueue(const PageBatch& batch) {
  if (closed_) return;
  if (queue_.push(batch, batch->page_bytes)) {
    ++skips_;
    ++metrics_->skips;
    if (skips_ > limits_.max_skips) {
      ++metrics_->drops;
      return close("too slow: skipped to the live edge too often");
    }
    log::get("http")->warn("listener {} on session {} fell behind: skipped to the live edge",
                           remote_, source_->id());
  }
  held_.set(queue_.audio_bytes() + in_flight_bytes_);
  if (!writing_ && write_due()) write_next();
}

template <class Stream>
void HttpListener<Stream>::arm_write_timer() {
  write_timer_.expires_after(limits_.write_timeout);
  write_timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& e) {
    if (auto s = weak.lock(); s && !e) s->drop_stalled();
  });
}

template <class Stream>
void HttpListener<Stream>::write_next() {
  if (closed_ || queue_.empty()) return;
  writing_ = true;
  in_flight_bytes_ = queue_.audio_bytes();
  in_flight_ = queue_.take_all();
  std::vector<asio::const_buffer> buffers;
  for (const auto& batch : in_flight_)
    for (const auto& page : batch->pages) buffers.emplace_back(asio::buffer(page->bytes));
  arm_write_timer();
  asio::async_write(socket_, buffers,
                    asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                     const boost::system::error_code& e,
                                                     std::size_t n) { self->on_written(e, n); }));
}

template <class Stream>
void HttpListener<Stream>::on_written(const boost::system::error_code& ec, std::size_t bytes) {
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
bool HttpListener<Stream>::write_due() const {
  return queue_.size() >= limits_.batches_per_write || (peer_done_sending_ && !queue_.empty());
}

// A write that made no progress for write_timeout: too slow, like one skipped too often.
template <class Stream>
void HttpListener<Stream>::drop_stalled() {
  if (closed_ || !writing_) return;  // the write finished meanwhile: not stalled
  ++metrics_->drops;
  close("write timeout");
}

template <class Stream>
void HttpListener<Stream>::close(const char* why) {
  if (closed_) return;
  closed_ = true;
  queue_.clear();
  held_.set(in_flight_bytes_);  // the pages being written stay alive until the write ends
  write_timer_.cancel();
  source_->hub().unsubscribe(this);
  boost::system::error_code ec;
  // TLS: no close_notify; the listener sees the end of the stream from the TCP close.
  tcp_socket(socket_).shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  tcp_socket(socket_).close(ec);
  log::get("http")->info("listener {} left session {}: {}", remote_, source_->id(), why);
}

template class HttpListener<TlsStream>;

}  // namespace auralis::server
