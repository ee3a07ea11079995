// Fan-out of one session's encoded pages: the pages are shared by reference (never copied or
// re-encoded per listener) and handed to listeners in batches of `fanout_ms`, so each listener
// costs one write per batch. Keeps a short history for the burst a new listener starts with.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auralis/proto/ogg_opus_encoder.hpp"
#include "streaming/hub_history.hpp"

namespace auralis::server {

// What listeners receive every fanout_ms: the pages, the now-playing events that playback
// reached meanwhile, and the same packets framed once as a WebSocket binary message.
struct Batch {
  std::vector<proto::PagePtr> pages;
  std::vector<std::shared_ptr<const std::string>> events;  // JSON text
  std::shared_ptr<const std::string> ws_message;           // docs/stream-protocol.md framing
  std::size_t page_bytes = 0;
  std::int64_t samples = 0;                             // audio duration at 48 kHz
  std::chrono::steady_clock::time_point first_page_at;  // when its first page was published
};
using PageBatch = std::shared_ptr<const Batch>;

// Frames consecutive pages' packets as one WebSocket binary message (docs/stream-protocol.md).
std::string frame_ws_packets(const std::vector<proto::PagePtr>& pages);

class StreamSubscriber {
 public:
  virtual ~StreamSubscriber() = default;
  // Called on the publishing thread: implementations post to their own executor.
  virtual void on_pages(const PageBatch& batch) = 0;
  // The stream ended (session deleted or daemon stopping).
  virtual void on_stream_end() = 0;
};

class StreamHub {
 public:
  StreamHub(int burst_ms, int fanout_ms);

  // Called by the session's pacer for each finished page, in order.
  void publish(const proto::PagePtr& page);
  // A now-playing event (JSON text), delivered with the next batch.
  void publish_event(std::string json);

  // Registers `subscriber` and returns the recent pages it should start with (whole pages
  // from a page boundary, at most burst_ms), atomically with respect to publish().
  std::vector<proto::PagePtr> subscribe(const std::shared_ptr<StreamSubscriber>& subscriber);
  void unsubscribe(const StreamSubscriber* subscriber);

  // Ends the stream for every subscriber and refuses new ones.
  void close();

  std::size_t subscribers() const;
  std::int64_t burst_samples() const { return history_.burst_samples(); }
  std::int64_t pages_published() const;

 private:
  // The batch of `pending` pages and the events waiting with them.
  PageBatch batch_of(HubHistory<proto::PagePtr>::Pending pending);

  mutable std::mutex mutex_;
  bool closed_ = false;
  HubHistory<proto::PagePtr> history_;
  std::vector<std::shared_ptr<const std::string>> pending_events_;
  std::int64_t published_ = 0;
  // Strong references: the hub keeps a listener alive until it unsubscribes (on close).
  std::vector<std::shared_ptr<StreamSubscriber>> subscribers_;
};

}  // namespace auralis::server
