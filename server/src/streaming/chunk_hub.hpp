// Fan-out of one session's stream in a byte-stream format (MP3, AAC in ADTS): chunks of whole
// frames, encoded once and shared by reference by every listener of the format, handed out in
// batches of `fanout_ms` like the Ogg hub's pages. Keeps a burst's worth of recent chunks for
// a new listener, and knows since when it has had no listener (the session's encoder for the
// format runs only while someone listens).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "streaming/fanout_slot.hpp"
#include "streaming/hub_history.hpp"

namespace auralis::server {

struct MediaChunk {
  std::vector<std::uint8_t> bytes;  // whole frames
  std::int64_t samples = 0;         // audio duration at 48 kHz
  // The ICY metadata block (proto/icy_metadata.hpp) of what plays where the chunk starts.
  std::shared_ptr<const std::string> icy_block;
};
using ChunkPtr = std::shared_ptr<const MediaChunk>;

struct ChunkBatch {
  std::vector<ChunkPtr> chunks;
  std::size_t bytes = 0;
  std::int64_t samples = 0;                              // audio duration at 48 kHz
  std::chrono::steady_clock::time_point first_chunk_at;  // when its first chunk was published
};
using ChunkBatchPtr = std::shared_ptr<const ChunkBatch>;

class ChunkSubscriber {
 public:
  virtual ~ChunkSubscriber() = default;
  // Called on the publishing thread: implementations post to their own executor.
  virtual void on_chunks(const ChunkBatchPtr& batch) = 0;
  virtual void on_chunks_end() = 0;
};

class ChunkHub {
 public:
  using Clock = std::chrono::steady_clock;
  ChunkHub(int burst_ms, int fanout_ms);

  // The session's encoder, in stream order.
  void publish(ChunkPtr chunk);
  // Registers `subscriber`; returns the recent chunks it starts with (at most burst_ms, whole
  // chunks), atomically with respect to publish().
  std::vector<ChunkPtr> subscribe(const std::shared_ptr<ChunkSubscriber>& subscriber);
  void unsubscribe(const ChunkSubscriber* subscriber);

  // No listener for at least `idle`: forgets the history and the pending batch (the encoder
  // stops; one started later must not be joined to old audio) and returns true.
  bool reset_if_idle(Clock::time_point now, Clock::duration idle);
  // Ends the stream for every subscriber and refuses new ones.
  void close();

  std::size_t subscribers() const;
  std::int64_t burst_samples() const { return history_.burst_samples(); }

  // The format's plain-HTTP fan-out while it has such listeners (HttpFanout::join).
  FanoutSlot http_fanout;

 private:
  mutable std::mutex mutex_;
  bool closed_ = false;
  HubHistory<ChunkPtr> history_;
  std::optional<Clock::time_point> idle_since_ = Clock::now();
  std::vector<std::shared_ptr<ChunkSubscriber>> subscribers_;
};

}  // namespace auralis::server
