// What waits to be written to one listener (HTTP, WebSocket) or to the Icecast server. Bounded
// by age and bytes: past either bound the queue skips to the live edge, dropping every waiting
// audio item but the newest, whole items only (page boundaries, so the stream stays
// decodable). Items kept (a greeting, now-playing events, header pages) are never dropped and
// do not count against the bounds.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

namespace auralis::server {

struct QueueBounds {
  std::chrono::milliseconds max_age{4000};
  std::size_t max_bytes = 512 * 1024;
};

template <class Item>
class LiveEdgeQueue {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Kind { audio, kept };

  explicit LiveEdgeQueue(QueueBounds bounds) : bounds_(bounds) {}

  // Queues `item`. True when this made the queue skip to the live edge.
  bool push(Item item, std::size_t bytes, Kind kind = Kind::audio,
            Clock::time_point now = Clock::now()) {
    entries_.push_back({std::move(item), bytes, kind, now});
    if (kind == Kind::audio) {
      audio_bytes_ += bytes;
      ++audio_items_;
    }
    if (audio_items_ < 2 || !over_bounds(now)) return false;
    skip_to_newest_audio();
    return true;
  }

  // Every queued item, oldest first (one gather write), leaving the queue empty.
  std::vector<Item> take_all() {
    std::vector<Item> out;
    out.reserve(entries_.size());
    for (auto& e : entries_) out.push_back(std::move(e.item));
    clear();
    return out;
  }

  // The oldest item (one message at a time); the queue must not be empty.
  Item take_front() {
    Entry e = std::move(entries_.front());
    entries_.pop_front();
    if (e.kind == Kind::audio) {
      audio_bytes_ -= e.bytes;
      --audio_items_;
    }
    return std::move(e.item);
  }

  void clear() {
    entries_.clear();
    audio_bytes_ = 0;
    audio_items_ = 0;
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::size_t audio_bytes() const { return audio_bytes_; }

 private:
  struct Entry {
    Item item;
    std::size_t bytes;
    Kind kind;
    Clock::time_point queued_at;
  };

  bool over_bounds(Clock::time_point now) const {
    if (audio_bytes_ > bounds_.max_bytes) return true;
    for (const auto& e : entries_)  // the oldest audio item: how long the listener has lagged
      if (e.kind == Kind::audio) return now - e.queued_at > bounds_.max_age;
    return false;
  }

  void skip_to_newest_audio() {
    std::deque<Entry> kept;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      const bool newest_audio = e.kind == Kind::audio && audio_items_ == 1;
      if (e.kind == Kind::audio) --audio_items_;
      if (e.kind == Kind::kept || newest_audio) kept.push_back(std::move(e));
    }
    entries_ = std::move(kept);
    audio_items_ = 0;
    audio_bytes_ = 0;
    for (const auto& e : entries_)
      if (e.kind == Kind::audio) {
        ++audio_items_;
        audio_bytes_ += e.bytes;
      }
  }

  QueueBounds bounds_;
  std::deque<Entry> entries_;
  std::size_t audio_bytes_ = 0;
  std::size_t audio_items_ = 0;
};

}  // namespace auralis::server
