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
//
// One class for every plain-HTTP mount: the Ogg stream (pages from the session's StreamHub,
// after the Ogg header pages) and the MP3 and AAC streams (chunks of whole frames from the
// format's ChunkHub, with ICY metadata blocks woven in for the listeners that asked). A batch
// boundary is a page or frame boundary, so a skip never tears one.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "streaming/chunk_hub.hpp"
#include "streaming/fanout_slot.hpp"
#include "streaming/held_bytes.hpp"
#include "streaming/listener_limits.hpp"
#include "streaming/stream_hub.hpp"
#include "streaming/write_cadence.hpp"

struct iovec;

namespace auralis::server {

class StreamSource;
struct ListenerMetrics;

// What one fan-out plays: the session's Ogg stream, or (with `chunks`) one of its byte-stream
// formats, whose listeners are also counted in `format_listeners`.
struct FanoutFeed {
  std::shared_ptr<StreamSource> source;
  std::shared_ptr<ChunkHub> chunks;
  std::shared_ptr<std::atomic<std::int64_t>> format_listeners;

  FanoutSlot& slot() const;
};

class HttpFanout : public StreamSubscriber,
                   public ChunkSubscriber,
                   public std::enable_shared_from_this<HttpFanout> {
 public:
  // A listener of `feed` joins its stream's fan-out (made with the first listener, gone with
  // the last): it gets the response head, the Ogg header pages and the burst at once, then
  // every pass. `limits` are the ones in force when it connected; `icy_metaint` > 0 weaves an
  // ICY metadata block into its audio every that many bytes (byte-stream formats only).
  static void join(const FanoutFeed& feed, boost::asio::ip::tcp::socket socket,
                   std::string response_head, ListenerLimits limits,
                   std::shared_ptr<ListenerMetrics> metrics, std::shared_ptr<void> admission_ticket,
                   std::size_t icy_metaint = 0);

  HttpFanout(boost::asio::any_io_executor executor, FanoutFeed feed,
             std::shared_ptr<ListenerMetrics> metrics);
  ~HttpFanout() override;

  void on_pages(const PageBatch& batch) override;
  void on_stream_end() override;
  void on_chunks(const ChunkBatchPtr& batch) override;
  void on_chunks_end() override;

 private:
  struct Listener;
  using Clock = std::chrono::steady_clock;

  // A batch as the fan-out writes it: byte ranges of the shared pages or chunks (kept alive by
  // `keep`), each with the ICY block of what plays there (chunks only).
  struct Part {
    const std::uint8_t* data;
    std::size_t size;
    const std::shared_ptr<const std::string>* icy_block;
  };
  struct Wire {
    std::shared_ptr<const void> keep;
    std::vector<Part> parts;
    std::size_t bytes = 0;
    std::int64_t samples = 0;
    Clock::time_point first_at;
  };
  using WirePtr = std::shared_ptr<const Wire>;
  static WirePtr wire(const PageBatch& batch);
  static WirePtr wire(const ChunkBatchPtr& batch);
  static WirePtr wire(std::vector<proto::PagePtr> pages);
  static WirePtr wire(std::vector<ChunkPtr> chunks);
  // What one iovec of a write carries, to move the listener's place by what the kernel took.
  struct Piece {
    enum Kind : std::uint8_t { prefix, audio, icy } kind;
    const std::shared_ptr<const std::string>* icy_block;  // audio: the block of its chunk
  };

  void receive(WirePtr batch);
  void end();
  void unsubscribe();
  FanoutFeed feed() const;
  std::int64_t burst_samples() const;

  void start();
  void add(boost::asio::ip::tcp::socket socket, std::string response_head, ListenerLimits limits,
           std::shared_ptr<void> admission_ticket, std::size_t icy_metaint);
  void append(WirePtr batch, Clock::time_point now);
  void pass(bool every_listener);
  // Writes what `l` has not had yet; false when it has to go.
  bool write(Listener& l, Clock::time_point now);
  void skip_if_behind(Listener& l, Clock::time_point now);
  void watch_for_hangup(const std::shared_ptr<Listener>& l);
  void close(Listener& l, const char* why);
  void remove_closed();
  std::uint64_t end_seq() const { return first_seq_ + ring_.size(); }
  const Wire& batch_at(std::uint64_t seq) const { return *ring_[seq - first_seq_].batch; }
  // Moves the listener's audio place `bytes` on (what the kernel took of its batches).
  void advance(Listener& l, std::size_t bytes);

  struct Entry {
    WirePtr batch;
    Clock::time_point at;
  };

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  // Strong while there are listeners; let go when the stream ends or the last listener leaves
  // (the session's hub holds this fan-out until then: no cycle outlives either).
  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<ChunkHub> chunks_;  // byte-stream formats: their hub
  std::shared_ptr<std::atomic<std::int64_t>> format_listeners_;
  std::shared_ptr<ListenerMetrics> metrics_;
  // Strand-only state.
  std::deque<Entry> ring_;  // recent batches, oldest first: listeners' unsent audio and bursts
  std::uint64_t first_seq_ = 0;
  std::vector<std::shared_ptr<Listener>> listeners_;
  WriteCadence cadence_{std::chrono::milliseconds(1000)};  // the newest listener's write_period
  std::chrono::milliseconds retain_{8000};
  std::size_t half_closed_ = 0;  // listeners written every batch
  std::size_t starting_ = 0;     // listeners written every batch until they had their burst
  bool subscribed_ = false;
  bool emptied_ = false;       // the last listener left: a new fan-out takes the next one
  bool ended_ = false;         // the stream ended
  HeldBytes held_;             // unsent audio of all listeners, in the daemon-wide gauge
  std::vector<::iovec> iov_;   // reused for each sendmsg
  std::vector<Piece> pieces_;  // what each of iov_ carries
};

}  // namespace auralis::server
