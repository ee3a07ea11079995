// Every plain-HTTP listener of one stream, written in passes. A pass runs once per
// stream.http_write_ms of audio, on one strand of the network loop, and gives each listener
// everything it has not had yet in one non-blocking sendmsg: a gather of the shared page
// buffers, no copy. Nothing on this path is per listener but that system call: no posted
// handler per batch, no timer, no completion handler. A listener the kernel does not take
// everything from keeps its place (a byte offset into the batch it stopped in) and is tried
// again next pass; one that falls past the queue bounds skips to the live edge at a batch
// boundary (never a torn page), and one that makes no progress for stream.write_timeout_s is
// dropped. A listener that half-closed (end of file read) is written every batch, so one that
// really left is found by its second write.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "streaming/held_bytes.hpp"
#include "streaming/http_listener.hpp"
#include "streaming/stream_hub.hpp"

struct iovec;

namespace auralis::server {

class StreamSource;
struct ListenerMetrics;

class HttpFanout : public StreamSubscriber, public std::enable_shared_from_this<HttpFanout> {
 public:
  // A listener of `source` joins its stream's fan-out (made with the first listener, gone with
  // the last): it gets the response head, the header pages and the burst at once, then every
  // pass. `limits` are the ones in force when it connected.
  static void join(const std::shared_ptr<StreamSource>& source, boost::asio::ip::tcp::socket socket,
                   std::string response_head, ListenerLimits limits,
                   std::shared_ptr<ListenerMetrics> metrics,
                   std::shared_ptr<void> admission_ticket);

  HttpFanout(boost::asio::any_io_executor executor, std::shared_ptr<StreamSource> source,
             std::shared_ptr<ListenerMetrics> metrics);
  ~HttpFanout() override;

  void on_pages(const PageBatch& batch) override;
  void on_stream_end() override;

 private:
  struct Listener;
  using Clock = std::chrono::steady_clock;

  void start();
  void add(boost::asio::ip::tcp::socket socket, std::string response_head, ListenerLimits limits,
           std::shared_ptr<void> admission_ticket);
  void append(const PageBatch& batch, Clock::time_point now);
  void pass(bool every_listener);
  // Writes what `l` has not had yet; false when it has to go.
  bool write(Listener& l, Clock::time_point now);
  void skip_if_behind(Listener& l, Clock::time_point now);
  void watch_for_hangup(const std::shared_ptr<Listener>& l);
  void close(Listener& l, const char* why);
  void remove_closed();
  std::uint64_t end_seq() const { return first_seq_ + ring_.size(); }
  const PageBatch& batch_at(std::uint64_t seq) const { return ring_[seq - first_seq_].batch; }

  struct Entry {
    PageBatch batch;
    Clock::time_point at;
  };

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  // Strong while there are listeners; let go when the stream ends or the last listener leaves
  // (the session's hub holds this fan-out until then: no cycle outlives either).
  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<ListenerMetrics> metrics_;
  // Strand-only state.
  std::deque<Entry> ring_;  // recent batches, oldest first: listeners' unsent audio and bursts
  std::uint64_t first_seq_ = 0;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::int64_t samples_since_pass_ = 0;  // audio appended since the last pass
  std::int64_t pass_samples_ = 48000;    // audio per pass, from the newest listener's limits
  std::chrono::milliseconds retain_{8000};
  std::size_t half_closed_ = 0;  // listeners written every batch
  bool subscribed_ = false;
  bool emptied_ = false;  // the last listener left: a new fan-out takes the next one
  bool ended_ = false;    // the stream ended
  HeldBytes held_;  // unsent audio of all listeners, in the daemon-wide gauge
  std::vector<::iovec> iov_;  // reused for each sendmsg
};

}  // namespace auralis::server
