#include "streaming/http_fanout.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <climits>

#include "auralis/config/log.hpp"
#include "streaming/listener_metrics.hpp"
#include "streaming/stream_samples.hpp"
#include "streaming/stream_source.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace auralis::server {
namespace {

const std::shared_ptr<const std::string> kNoTitle =
    std::make_shared<const std::string>(1, '\0');  // an ICY block that announces nothing

}  // namespace

FanoutSlot& FanoutFeed::slot() const {
  return chunks ? chunks->http_fanout : source->http_fanout;
}

HttpFanout::WirePtr HttpFanout::wire(const PageBatch& batch) {
  auto w = std::make_shared<Wire>();
  // The batch's pages in one buffer, copied once for every listener: a write then carries one
  // iovec per batch, not one per page.
  auto joined = std::make_shared<std::vector<std::uint8_t>>();
  joined->reserve(batch->page_bytes);
  for (const auto& p : batch->pages) joined->insert(joined->end(), p->bytes.begin(), p->bytes.end());
  w->parts.push_back({joined->data(), joined->size(), nullptr});
  w->bytes = batch->page_bytes;
  w->samples = batch->samples;
  w->first_at = batch->first_page_at;
  w->keep = std::move(joined);
  return w;
}

HttpFanout::WirePtr HttpFanout::wire(const ChunkBatchPtr& batch) {
  auto w = std::make_shared<Wire>();
  w->parts.reserve(batch->chunks.size());
  for (const auto& c : batch->chunks)
    w->parts.push_back({c->bytes.data(), c->bytes.size(), &c->icy_block});
  w->bytes = batch->bytes;
  w->samples = batch->samples;
  w->first_at = batch->first_chunk_at;
  w->keep = batch;
  return w;
}

HttpFanout::WirePtr HttpFanout::wire(std::vector<proto::PagePtr> pages) {
  auto b = std::make_shared<Batch>();
  for (const auto& p : pages) {
    b->page_bytes += p->bytes.size();
    b->samples += p->duration_samples();
  }
  b->pages = std::move(pages);
  b->first_page_at = Clock::now();  // a burst: old on purpose, not a delay
  return wire(PageBatch(std::move(b)));
}

HttpFanout::WirePtr HttpFanout::wire(std::vector<ChunkPtr> chunks) {
  auto b = std::make_shared<ChunkBatch>();
  for (const auto& c : chunks) {
    b->bytes += c->bytes.size();
    b->samples += c->samples;
  }
  b->chunks = std::move(chunks);
  b->first_chunk_at = Clock::now();
  return wire(ChunkBatchPtr(std::move(b)));
}

struct HttpFanout::Listener {
  explicit Listener(tcp::socket s) : socket(std::move(s)) {}

  tcp::socket socket;
  std::string head;  // the response head, then the Ogg header pages: the prefix
  std::shared_ptr<const std::vector<std::uint8_t>> header_pages;  // null: none (MP3, AAC)
  std::size_t prefix_sent = 0;
  // ICY metadata (0: none): audio bytes until the next block, the block then due (the one of
  // the chunk the boundary fell in) and how much of it went out.
  std::size_t metaint = 0;
  std::size_t until_block = 0;
  std::shared_ptr<const std::string> due_block;
  std::size_t block_sent = 0;
  std::uint64_t next_seq = 0;    // the first batch not wholly written
  std::size_t offset = 0;        // bytes of that batch written already
  std::uint64_t resume_seq = 0;  // a skip while mid-batch: where to go once it is done (0: on)
  ListenerLimits limits;
  std::shared_ptr<void> ticket;  // the place under the admission limits
  std::string remote;
  Clock::time_point stalled_since{};  // unsent data has not moved since (epoch: moving)
  int skips = 0;
  bool half_closed = false;  // end of file read: written every batch
  // Joined with less than its burst (MP3/AAC): written every batch until it has had the burst.
  std::int64_t unburst_samples = 0;
  bool closed = false;
  std::array<char, 64> discard{};

  std::size_t header_size() const { return header_pages ? header_pages->size() : 0; }
  std::size_t prefix_size() const { return head.size() + header_size(); }
  // The first batch not started yet: after the one in progress, or where a skip resumes.
  std::uint64_t next_whole() const {
    if (offset == 0) return next_seq;
    return resume_seq != 0 ? resume_seq : next_seq + 1;
  }
  // Past the batch in progress, or on to the next one.
  void finish_batch() {
    next_seq = next_whole() == next_seq ? next_seq + 1 : next_whole();
    offset = 0;
    resume_seq = 0;
  }
};

void HttpFanout::join(const FanoutFeed& feed, tcp::socket socket, std::string response_head,
                      ListenerLimits limits, std::shared_ptr<ListenerMetrics> metrics,
                      std::shared_ptr<void> admission_ticket, std::size_t icy_metaint) {
  std::shared_ptr<HttpFanout> fanout;
  {
    auto& slot = feed.slot();
    std::lock_guard lock(slot.mutex);
    fanout = slot.fanout.lock();
    if (!fanout) {
      fanout = std::make_shared<HttpFanout>(socket.get_executor(), feed, std::move(metrics));
      slot.fanout = fanout;
      fanout->start();
    }
  }
  asio::post(
      fanout->strand_, [fanout, socket = std::move(socket), head = std::move(response_head), limits,
                        ticket = std::move(admission_ticket), icy_metaint]() mutable {
        fanout->add(std::move(socket), std::move(head), limits, std::move(ticket), icy_metaint);
      });
}

HttpFanout::HttpFanout(asio::any_io_executor executor, FanoutFeed feed,
                       std::shared_ptr<ListenerMetrics> metrics)
    : strand_(asio::make_strand(std::move(executor))),
      source_(std::move(feed.source)),
      chunks_(std::move(feed.chunks)),
      format_listeners_(std::move(feed.format_listeners)),
      metrics_(std::move(metrics)),
      held_(std::shared_ptr<std::atomic<std::int64_t>>(metrics_, &metrics_->held_bytes)) {}

HttpFanout::~HttpFanout() = default;

FanoutFeed HttpFanout::feed() const {
  return {source_, chunks_, format_listeners_};
}

void HttpFanout::start() {
  asio::post(strand_, [self = shared_from_this()] {
    // The hub's recent pages or chunks seed the ring: the first listener's burst.
    WirePtr seed;
    if (self->chunks_) {
      auto recent = self->chunks_->subscribe(self);
      if (!recent.empty()) seed = wire(std::move(recent));
    } else {
      auto recent = self->source_->hub().subscribe(self);
      if (!recent.empty()) seed = wire(std::move(recent));
    }
    self->subscribed_ = true;
    if (seed) self->append(std::move(seed), Clock::now());
  });
}

void HttpFanout::unsubscribe() {
  if (chunks_)
    chunks_->unsubscribe(this);
  else
    source_->hub().unsubscribe(this);
}

std::int64_t HttpFanout::burst_samples() const {
  return chunks_ ? chunks_->burst_samples() : source_->hub().burst_samples();
}

void HttpFanout::on_pages(const PageBatch& batch) {
  receive(wire(batch));
}
void HttpFanout::on_chunks(const ChunkBatchPtr& batch) {
  receive(wire(batch));
}
void HttpFanout::on_stream_end() {
  end();
}
void HttpFanout::on_chunks_end() {
  end();
}

void HttpFanout::receive(WirePtr batch) {
  asio::post(strand_, [self = shared_from_this(), batch = std::move(batch)]() mutable {
    if (self->ended_ || self->emptied_) return;
    self->cadence_.add(batch->samples);
    self->append(std::move(batch), Clock::now());
    if (self->cadence_.due()) {
      self->cadence_.clear();
      self->pass(true);
    } else if (self->half_closed_ > 0 || self->starting_ > 0) {
      self->pass(false);
    }
  });
}

void HttpFanout::end() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->ended_ || self->emptied_) return;
    self->ended_ = true;
    self->subscribed_ = false;  // the hub let go of every subscriber
    self->pass(true);           // what is queued still goes out
    for (auto& l : self->listeners_) self->close(*l, "stream ended");
    self->remove_closed();
    self->ring_.clear();
    self->source_.reset();
    self->chunks_.reset();
  });
}

void HttpFanout::append(WirePtr batch, Clock::time_point now) {
  ring_.push_back({std::move(batch), now});
  while (ring_.size() > 1 && now - ring_.front().at > retain_) {
    ring_.pop_front();
    ++first_seq_;
  }
}

void HttpFanout::add(tcp::socket socket, std::string response_head, ListenerLimits limits,
                     std::shared_ptr<void> admission_ticket, std::size_t icy_metaint) {
  auto l = std::make_shared<Listener>(std::move(socket));
  boost::system::error_code ec;
  const auto endpoint = l->socket.remote_endpoint(ec);
  if (!ec) l->remote = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  if (emptied_) {
    // The last listener left just before this one arrived: join the stream's new fan-out.
    return join(feed(), std::move(l->socket), std::move(response_head), limits, metrics_,
                std::move(admission_ticket), icy_metaint);
  }
  if (ended_) {
    l->socket.shutdown(tcp::socket::shutdown_both, ec);
    return;  // the stream ended while this listener connected
  }
  // A small kernel buffer makes a stalled reader visible to the queue bounds quickly.
  l->socket.set_option(asio::socket_base::send_buffer_size(limits.sndbuf_bytes), ec);
  l->socket.non_blocking(true, ec);
  l->head = std::move(response_head);
  if (!chunks_) l->header_pages = source_->header_pages();
  l->metaint = icy_metaint;
  l->until_block = icy_metaint;
  l->limits = limits;
  l->ticket = std::move(admission_ticket);
  cadence_.set_period(limits.write_period);
  retain_ = std::max(retain_, 2 * limits.queue.max_age);
  // The burst: the newest whole batches within burst_ms.
  const std::int64_t burst = burst_samples();
  std::int64_t samples = 0;
  l->next_seq = end_seq();
  while (l->next_seq > first_seq_) {
    const std::int64_t s = batch_at(l->next_seq - 1).samples;
    if (samples + s > burst) break;
    samples += s;
    --l->next_seq;
  }
  // A byte-stream player starts on whole blocks of data and is written once a pass: short of
  // its burst by more than a batch or two (an encoder still catching up, a fan-out made since),
  // it is written every batch until it has had it.
  if (chunks_ && burst - samples > burst / 8) {
    l->unburst_samples = burst;
    ++starting_;
  }
  ++metrics_->http_listeners;
  ++metrics_->http_listeners_total;
  ++source_->http_listeners;
  if (format_listeners_) ++*format_listeners_;
  log::get("http")->info("listener {} joined session {}{} ({} ms burst{})", l->remote,
                         source_->id(), chunks_ ? " (byte stream)" : "", samples / kSamplesPerMs,
                         icy_metaint > 0 ? ", ICY metadata" : "");
  listeners_.push_back(l);
  watch_for_hangup(l);
  write(*l, Clock::now());
  remove_closed();
}

void HttpFanout::watch_for_hangup(const std::shared_ptr<Listener>& l) {
  // A listener sends nothing after its request: a read completes only when it leaves (an
  // error) or half-closes (end of file: it may still read, so it keeps its stream).
  l->socket.async_read_some(
      asio::buffer(l->discard),
      asio::bind_executor(
          strand_, [self = shared_from_this(), l](boost::system::error_code ec, std::size_t) {
            if (l->closed) return;
            if (ec == asio::error::eof) {
              l->half_closed = true;
              ++self->half_closed_;
              return;
            }
            if (ec) {
              self->close(*l, "client went away");
              self->remove_closed();
              return;
            }
            self->watch_for_hangup(l);
          }));
}

void HttpFanout::pass(bool every_listener) {
  const auto now = Clock::now();
  std::size_t unsent = 0;
  Clock::duration delay{};
  for (const auto& l : listeners_) {
    if (l->closed || (!every_listener && !l->half_closed && l->unburst_samples <= 0)) continue;
    skip_if_behind(*l, now);
    if (l->closed) continue;
    // A listener that kept up gets the pages published since its last write: the oldest of
    // them waited longest.
    const auto next = std::max(l->next_whole(), first_seq_);
    if (l->stalled_since == Clock::time_point{} && l->offset == 0 && next < end_seq())
      delay = std::max(delay, now - batch_at(next).first_at);
    write(*l, now);
    if (l->closed) continue;
    if (l->offset > 0) unsent += batch_at(l->next_seq).bytes - l->offset;
    for (auto seq = std::max(l->next_whole(), first_seq_); seq < end_seq(); ++seq)
      unsent += batch_at(seq).bytes;
  }
  remove_closed();
  if (!every_listener) return;
  held_.set(unsent);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
  metrics_->http_write_delay_last_us = us;
  auto max = metrics_->http_write_delay_max_us.load();
  while (us > max && !metrics_->http_write_delay_max_us.compare_exchange_weak(max, us)) {
  }
}

void HttpFanout::skip_if_behind(Listener& l, Clock::time_point now) {
  if (l.next_seq < first_seq_) {
    // Its next batch left the ring: mid-batch that would tear a page, so it has to go.
    if (l.offset > 0) {
      ++metrics_->drops;
      return close(l, "too slow: fell out of the recent audio");
    }
    l.next_seq = first_seq_;
  }
  if (l.prefix_sent < l.prefix_size()) return;
  // What waits untouched: from the first batch not started (the one in progress, if any, is
  // finished first: never a torn page) to the newest, which is all that is kept on a skip.
  const auto from = std::max(l.next_whole(), first_seq_);
  if (from + 1 >= end_seq()) return;
  std::size_t bytes = 0;
  for (auto seq = from; seq < end_seq(); ++seq) bytes += batch_at(seq).bytes;
  // Audio waits up to a pass period for its write by design; the age bound counts from there
  // (otherwise a listener_queue_ms near http_write_ms would skip listeners that keep up).
  const auto pass_period = cadence_.period();
  const bool too_old = now - ring_[from - first_seq_].at > l.limits.queue.max_age + pass_period;
  if (!too_old && bytes <= l.limits.queue.max_bytes) return;
  ++l.skips;
  ++metrics_->skips;
  if (l.skips > l.limits.max_skips) {
    ++metrics_->drops;
    return close(l, "too slow: skipped to the live edge too often");
  }
  log::get("http")->warn("listener {} on session {} fell {} KiB behind: skipped to the live edge",
                         l.remote, source_->id(), bytes / 1024);
  if (l.offset == 0)
    l.next_seq = end_seq() - 1;
  else
    l.resume_seq = end_seq() - 1;
}

bool HttpFanout::write(Listener& l, Clock::time_point now) {
  iov_.clear();
  pieces_.clear();
  std::size_t total = 0;
  bool full = false;
  auto add = [&](const void* data, std::size_t size, Piece piece) {
    if (size == 0 || full) return;
    if (iov_.size() >= IOV_MAX) {
      full = true;  // the rest goes next time, in order
      return;
    }
    iov_.push_back({const_cast<void*>(data), size});
    pieces_.push_back(piece);
    total += size;
  };
  if (l.prefix_sent < l.head.size())
    add(l.head.data() + l.prefix_sent, l.head.size() - l.prefix_sent, {Piece::prefix, nullptr});
  if (l.header_pages && l.prefix_sent < l.prefix_size()) {
    const std::size_t done = l.prefix_sent > l.head.size() ? l.prefix_sent - l.head.size() : 0;
    add(l.header_pages->data() + done, l.header_pages->size() - done, {Piece::prefix, nullptr});
  }
  // ICY: a block after every metaint audio bytes; the one due now may be partly out already.
  std::size_t until_block = l.until_block;
  if (l.metaint > 0 && until_block == 0) {
    const auto& block = l.due_block ? *l.due_block : *kNoTitle;
    add(block.data() + l.block_sent, block.size() - l.block_sent, {Piece::icy, nullptr});
    until_block = l.metaint;
  }
  auto add_audio = [&](const Part& part, std::size_t skip) {
    const std::uint8_t* data = part.data + skip;
    std::size_t left = part.size - skip;
    if (l.metaint == 0) return add(data, left, {Piece::audio, nullptr});
    while (left > 0 && !full) {
      if (until_block == 0) {
        const auto* block =
            part.icy_block && *part.icy_block ? part.icy_block->get() : kNoTitle.get();
        add(block->data(), block->size(), {Piece::icy, nullptr});
        until_block = l.metaint;
      }
      const std::size_t n = std::min(left, until_block);
      add(data, n, {Piece::audio, part.icy_block});
      data += n;
      left -= n;
      until_block -= n;
    }
  };
  auto add_batch = [&](const Wire& batch, std::size_t skip) {
    for (const auto& part : batch.parts) {
      if (skip >= part.size) {
        skip -= part.size;
        continue;
      }
      add_audio(part, skip);
      skip = 0;
    }
  };
  if (l.offset > 0) add_batch(batch_at(l.next_seq), l.offset);
  for (auto seq = std::max(l.next_whole(), first_seq_); seq < end_seq(); ++seq)
    add_batch(batch_at(seq), 0);
  if (iov_.empty()) {
    l.stalled_since = {};
    return true;
  }
  msghdr msg{};
  msg.msg_iov = iov_.data();
  msg.msg_iovlen = iov_.size();
  const ssize_t n = ::sendmsg(l.socket.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    close(l, "client went away");
    return false;
  }
  std::size_t written = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (written > 0) {
    metrics_->bytes_sent += written;
    ++metrics_->writes;
  }
  // Move the listener's place forward by what the kernel took, piece by piece.
  for (std::size_t i = 0; i < iov_.size() && written > 0; ++i) {
    const std::size_t took = std::min(written, iov_[i].iov_len);
    written -= took;
    switch (pieces_[i].kind) {
      case Piece::prefix:
        l.prefix_sent += took;
        break;
      case Piece::icy:
        l.block_sent += took;
        if (took == iov_[i].iov_len) {  // the whole block is out: audio again
          l.until_block = l.metaint;
          l.due_block.reset();
          l.block_sent = 0;
        }
        break;
      case Piece::audio:
        advance(l, took);
        if (l.metaint == 0) break;
        l.until_block -= took;
        if (l.until_block == 0) {
          const auto* block = pieces_[i].icy_block;
          l.due_block = block && *block ? *block : kNoTitle;
          l.block_sent = 0;
        }
        break;
    }
  }
  const bool all_sent = n >= 0 && static_cast<std::size_t>(n) == total;
  if (all_sent || n > 0) {
    l.stalled_since = all_sent ? Clock::time_point{} : now;
  } else if (l.stalled_since == Clock::time_point{}) {
    l.stalled_since = now;
  } else if (now - l.stalled_since >= l.limits.write_timeout) {
    ++metrics_->drops;
    close(l, "write timeout");
    return false;
  }
  return true;
}

void HttpFanout::advance(Listener& l, std::size_t bytes) {
  while (bytes > 0) {
    const std::size_t left = batch_at(l.next_seq).bytes - l.offset;
    if (bytes < left) {
      l.offset += bytes;
      return;
    }
    bytes -= left;
    if (l.unburst_samples > 0 && (l.unburst_samples -= batch_at(l.next_seq).samples) <= 0)
      --starting_;
    l.finish_batch();
  }
}

void HttpFanout::close(Listener& l, const char* why) {
  if (l.closed) return;
  l.closed = true;
  if (l.half_closed) --half_closed_;
  if (l.unburst_samples > 0) --starting_;
  boost::system::error_code ec;
  l.socket.shutdown(tcp::socket::shutdown_both, ec);
  l.socket.close(ec);  // cancels the hang-up read
  l.ticket.reset();
  --metrics_->http_listeners;
  if (format_listeners_) --*format_listeners_;
  if (source_) {
    --source_->http_listeners;
    log::get("http")->info("listener {} left session {}: {}", l.remote, source_->id(), why);
  }
}

void HttpFanout::remove_closed() {
  std::erase_if(listeners_, [](const std::shared_ptr<Listener>& l) { return l->closed; });
  if (!listeners_.empty() || ended_ || emptied_ || !subscribed_) return;
  // The last listener left: stop taking batches; the next listener makes a new fan-out. The
  // session stays referenced until this fan-out's last handler is done (no cycle: the hub no
  // longer holds it).
  subscribed_ = false;
  emptied_ = true;
  held_.set(0);
  ring_.clear();
  {
    auto& slot = feed().slot();
    std::lock_guard lock(slot.mutex);
    if (slot.fanout.lock().get() == this) slot.fanout.reset();
  }
  unsubscribe();
}

}  // namespace auralis::server
