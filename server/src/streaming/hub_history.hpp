// What a hub (StreamHub: Ogg pages, ChunkHub: MP3/AAC chunks) keeps of its stream: the batch
// it is filling, which goes out once it holds fanout_ms of audio, and the recent items before
// it, a burst's worth, for the next listener to start with. The hub locks around every call.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace auralis::server {

template <class Item>
class HubHistory {
 public:
  using Clock = std::chrono::steady_clock;

  // The items of one batch, in stream order.
  struct Pending {
    std::vector<Item> items;
    std::int64_t samples = 0;  // their audio duration at 48 kHz
    Clock::time_point since;   // when the first of them was published
  };

  HubHistory(std::int64_t burst_samples, std::int64_t fanout_samples)
      : burst_samples_(burst_samples), fanout_samples_(fanout_samples) {}

  // Appends the next item (`samples` of audio); returns the pending batch when this filled it.
  std::optional<Pending> add(Item item, std::int64_t samples) {
    recent_.push_back({item, samples});
    recent_samples_ += samples;
    // Keep a burst's worth before the pending batch, which itself grows to fanout_samples_.
    while (recent_.size() > 1 &&
           recent_samples_ - recent_.front().samples >= burst_samples_ + fanout_samples_) {
      recent_samples_ -= recent_.front().samples;
      recent_.pop_front();
    }
    if (pending_.items.empty()) pending_.since = Clock::now();
    pending_.items.push_back(std::move(item));
    pending_.samples += samples;
    if (pending_.samples < fanout_samples_) return std::nullopt;
    return take_pending();
  }

  // The pending items, whatever their length (the stream ends), leaving none pending.
  Pending take_pending() { return std::exchange(pending_, Pending{}); }
  bool pending_empty() const { return pending_.items.empty(); }

  // What a new listener starts with: the whole items just before the pending ones (those come
  // with the next batch, so nothing is sent twice), at most burst_samples of them.
  std::vector<Item> burst() const {
    const auto pending_begin = recent_.end() - static_cast<std::ptrdiff_t>(
                                                   std::min(pending_.items.size(), recent_.size()));
    auto first = pending_begin;
    std::int64_t samples = 0;
    while (first != recent_.begin()) {
      const auto prev = first - 1;
      if (samples + prev->samples > burst_samples_) break;
      samples += prev->samples;
      first = prev;
    }
    std::vector<Item> out;
    out.reserve(static_cast<std::size_t>(pending_begin - first));
    for (auto it = first; it != pending_begin; ++it) out.push_back(it->item);
    return out;
  }

  // Forgets everything: a stream started later must not be joined to old audio.
  void clear() {
    recent_.clear();
    recent_samples_ = 0;
    pending_ = Pending{};
  }

  std::int64_t burst_samples() const { return burst_samples_; }

 private:
  struct Entry {
    Item item;
    std::int64_t samples;
  };

  const std::int64_t burst_samples_;
  const std::int64_t fanout_samples_;
  std::deque<Entry> recent_;  // ends with the pending items
  std::int64_t recent_samples_ = 0;
  Pending pending_;
};

}  // namespace auralis::server
