#include "stream_listener.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "auralis/devices/log.hpp"
#include "auralis/server/metrics.hpp"
#include "auralis/server/session.hpp"

namespace asio = boost::asio;

namespace auralis::server {

template <class Stream>
StreamListener<Stream>::StreamListener(Socket socket, std::shared_ptr<Session> session,
                                       std::string response_head, ListenerLimits limits,
                                       std::shared_ptr<ListenerMetrics> metrics,
                                       std::shared_ptr<void> admission_ticket)
    : socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      write_timer_(strand_),
      session_(std::move(session)),
      response_head_(std::move(response_head)),
      limits_(limits),
      metrics_(std::move(metrics)),
      ticket_(std::move(admission_ticket)),
      held_(std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)) {
  boost::system::error_code ec;
  const auto endpoint = tcp_socket(socket_).remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  ++metrics_->http_listeners;
  ++metrics_->http_listeners_total;
  ++session_->http_listeners;
}

template <class Stream>
StreamListener<Stream>::~StreamListener() {
  --metrics_->http_listeners;
  --session_->http_listeners;
}

template <class Stream>
void StreamListener<Stream>::start() {
  asio::dispatch(strand_, [self = this->shared_from_this()] {
    boost::system::error_code ec;
    // A small kernel buffer makes a stalled reader visible to our queue bound quickly.
    tcp_socket(self->socket_)
        .set_option(asio::socket_base::send_buffer_size(self->limits_.sndbuf_bytes), ec);
    self->start_pages_ = self->session_->hub().subscribe(self);
    self->watch_for_hangup();
    log::get("http")->info("listener {} joined session {} ({} burst pages)", self->remote_,
                           self->session_->id(), self->start_pages_.size());
    self->writing_ = true;
    std::vector<asio::const_buffer> buffers;
    buffers.emplace_back(asio::buffer(self->response_head_));
    const auto headers = self->session_->header_pages();
    buffers.emplace_back(asio::buffer(*headers));
    for (const auto& page : self->start_pages_) buffers.emplace_back(asio::buffer(page->bytes));
    self->write_timer_.expires_after(self->limits_.write_timeout);
    self->write_timer_.async_wait([weak = std::weak_ptr(self)](const boost::system::error_code& e) {
      if (auto s = weak.lock(); s && !e) s->drop_stalled();
    });
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
void StreamListener<Stream>::watch_for_hangup() {
  // Without this a listener that leaves before the first write (or between writes) would hold
  // its place under the limits until the next write fails.
  socket_.async_read_some(
      asio::buffer(discard_),
      asio::bind_executor(strand_, [self = this->shared_from_this()](
                                       const boost::system::error_code& ec, std::size_t) {
        if (ec) return self->close("client went away");
        self->watch_for_hangup();
      }));
}

template <class Stream>
void StreamListener<Stream>::on_pages(const PageBatch& batch) {
  asio::post(strand_, [self = this->shared_from_this(), batch] { self->enqueue(batch); });
}

template <class Stream>
void StreamListener<Stream>::on_stream_end() {
  asio::post(strand_, [self = this->shared_from_this()] {
    self->ending_ = true;
    if (self->writing_) return;
    if (self->queue_.empty()) return self->close("stream ended");
    self->write_next();  // what is queued still goes out
  });
}

template <class Stream>
void StreamListener<Stream>::enqueue(const PageBatch& batch) {
  if (closed_) return;
  const std::size_t bytes = batch->page_bytes;
  const auto now = std::chrono::steady_clock::now();
  queue_.push_back({batch, bytes, now});
  queued_bytes_ += bytes;

  const bool too_old = now - queue_.front().queued_at > limits_.max_queue_age;
  if (queue_.size() > 1 && (too_old || queued_bytes_ > limits_.max_queue_bytes)) {
    // Skip to the live edge: drop whole batches (page boundaries), keep the newest.
    ++skips_;
    ++metrics_->skips;
    if (skips_ > limits_.max_skips) {
      ++metrics_->drops;
      close("too slow: skipped to the live edge too often");
      return;
    }
    log::get("http")->warn("listener {} on session {} is {} KiB behind: skipping to the live edge",
                           remote_, session_->id(), queued_bytes_ / 1024);
    while (queue_.size() > 1) {
      queued_bytes_ -= queue_.front().bytes;
      queue_.pop_front();
    }
  }
  held_.set(queued_bytes_ + in_flight_bytes_);
  // Writes carry several batches: each costs about the same whatever its size.
  if (!writing_ && queue_.size() >= limits_.batches_per_write) write_next();
}

template <class Stream>
void StreamListener<Stream>::write_next() {
  if (closed_ || queue_.empty()) return;
  writing_ = true;
  std::vector<asio::const_buffer> buffers;
  in_flight_.clear();
  in_flight_bytes_ = queued_bytes_;
  while (!queue_.empty()) {
    for (const auto& page : queue_.front().batch->pages)
      buffers.emplace_back(asio::buffer(page->bytes));
    in_flight_.push_back(std::move(queue_.front().batch));
    queue_.pop_front();
  }
  queued_bytes_ = 0;
  write_timer_.expires_after(limits_.write_timeout);
  write_timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& e) {
    if (auto s = weak.lock(); s && !e) s->drop_stalled();
  });
  asio::async_write(socket_, buffers,
                    asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                     const boost::system::error_code& e,
                                                     std::size_t n) { self->on_written(e, n); }));
}

template <class Stream>
void StreamListener<Stream>::on_written(const boost::system::error_code& ec, std::size_t bytes) {
  writing_ = false;
  write_timer_.cancel();
  in_flight_.clear();
  in_flight_bytes_ = 0;
  held_.set(queued_bytes_);
  if (ec) {
    close(ec == asio::error::operation_aborted ? "closed" : "client went away");
    return;
  }
  metrics_->bytes_sent += bytes;
  ++metrics_->writes;
  if (ending_ && queue_.empty()) {
    close("stream ended");
    return;
  }
  if (ending_ || queue_.size() >= limits_.batches_per_write) write_next();
}

// A write that made no progress for write_timeout: too slow, like one skipped too often.
template <class Stream>
void StreamListener<Stream>::drop_stalled() {
  if (closed_ || !writing_) return;  // the write finished meanwhile: not stalled
  ++metrics_->drops;
  close("write timeout");
}

template <class Stream>
void StreamListener<Stream>::close(const char* why) {
  if (closed_) return;
  closed_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  held_.set(in_flight_bytes_);  // the pages being written stay alive until the write ends
  write_timer_.cancel();
  session_->hub().unsubscribe(this);
  boost::system::error_code ec;
  // TLS: no close_notify; the listener sees the end of the stream from the TCP close.
  tcp_socket(socket_).shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  tcp_socket(socket_).close(ec);
  log::get("http")->info("listener {} left session {}: {}", remote_, session_->id(), why);
}

template class StreamListener<boost::asio::ip::tcp::socket>;
template class StreamListener<TlsStream>;

}  // namespace auralis::server
