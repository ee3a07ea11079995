#include "auralis/server/stream_hub.hpp"

#include <algorithm>

namespace auralis::server {
namespace {
constexpr std::int64_t kSamplesPerMs = 48;
}

StreamHub::StreamHub(int burst_ms, int fanout_ms)
    : burst_samples_(burst_ms * kSamplesPerMs), fanout_samples_(fanout_ms * kSamplesPerMs) {}

void StreamHub::publish(const proto::PagePtr& page) {
  PageBatch batch;
  std::vector<std::shared_ptr<StreamSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    ++published_;
    history_.push_back(page);
    history_samples_ += page->duration_samples();
    // Keep a burst's worth before the pending batch, which itself grows to fanout_samples_.
    while (history_.size() > 1 &&
           history_samples_ - history_.front()->duration_samples() >= burst_samples_ + fanout_samples_) {
      history_samples_ -= history_.front()->duration_samples();
      history_.pop_front();
    }
    pending_.push_back(page);
    pending_samples_ += page->duration_samples();
    if (pending_samples_ < fanout_samples_) return;
    batch = std::make_shared<const std::vector<proto::PagePtr>>(std::move(pending_));
    pending_.clear();
    pending_samples_ = 0;
    targets.reserve(subscribers_.size());
    std::erase_if(subscribers_, [&](const std::weak_ptr<StreamSubscriber>& weak) {
      auto sub = weak.lock();
      if (!sub) return true;
      targets.push_back(std::move(sub));
      return false;
    });
  }
  for (const auto& sub : targets) sub->on_pages(batch);
}

std::vector<proto::PagePtr> StreamHub::subscribe(const std::shared_ptr<StreamSubscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  if (closed_) return {};
  subscribers_.push_back(subscriber);
  // history_ ends with the pending (not yet fanned-out) pages, which the subscriber receives in
  // the next batch: its burst is the older pages just before them, so nothing is sent twice.
  const auto pending_begin =
      history_.end() - static_cast<std::ptrdiff_t>(std::min(pending_.size(), history_.size()));
  auto first = pending_begin;
  std::int64_t samples = 0;
  while (first != history_.begin()) {
    const auto prev = first - 1;
    if (samples + (*prev)->duration_samples() > burst_samples_) break;
    samples += (*prev)->duration_samples();
    first = prev;
  }
  return {first, pending_begin};
}

void StreamHub::unsubscribe(const StreamSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [&](const std::weak_ptr<StreamSubscriber>& weak) {
    auto sub = weak.lock();
    return !sub || sub.get() == subscriber;
  });
}

void StreamHub::close() {
  std::vector<std::shared_ptr<StreamSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (auto& weak : subscribers_)
      if (auto sub = weak.lock()) targets.push_back(std::move(sub));
    subscribers_.clear();
  }
  for (const auto& sub : targets) sub->on_stream_end();
}

std::size_t StreamHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

std::int64_t StreamHub::pages_published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

}  // namespace auralis::server
