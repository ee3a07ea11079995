#include "streaming/chunk_hub.hpp"

#include <algorithm>

namespace auralis::server {
namespace {
constexpr std::int64_t kSamplesPerMs = 48;
}

ChunkHub::ChunkHub(int burst_ms, int fanout_ms)
    : burst_samples_(burst_ms * kSamplesPerMs), fanout_samples_(fanout_ms * kSamplesPerMs) {}

void ChunkHub::publish(ChunkPtr chunk) {
  ChunkBatchPtr batch;
  std::vector<std::shared_ptr<ChunkSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    history_.push_back(chunk);
    history_samples_ += chunk->samples;
    while (history_.size() > 1 &&
           history_samples_ - history_.front()->samples >= burst_samples_ + fanout_samples_) {
      history_samples_ -= history_.front()->samples;
      history_.pop_front();
    }
    if (pending_.empty()) pending_since_ = Clock::now();
    pending_samples_ += chunk->samples;
    pending_.push_back(std::move(chunk));
    if (pending_samples_ < fanout_samples_) return;
    auto b = std::make_shared<ChunkBatch>();
    for (const auto& c : pending_) b->bytes += c->bytes.size();
    b->chunks = std::move(pending_);
    b->first_chunk_at = pending_since_;
    pending_.clear();
    pending_samples_ = 0;
    batch = std::move(b);
    targets = subscribers_;
  }
  for (const auto& sub : targets) sub->on_chunks(batch);
}

std::vector<ChunkPtr> ChunkHub::subscribe(const std::shared_ptr<ChunkSubscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  if (closed_) return {};
  subscribers_.push_back(subscriber);
  idle_since_.reset();
  // The pending chunks come with the next batch: the burst is the chunks just before them.
  const auto pending_begin =
      history_.end() - static_cast<std::ptrdiff_t>(std::min(pending_.size(), history_.size()));
  auto first = pending_begin;
  std::int64_t samples = 0;
  while (first != history_.begin()) {
    const auto prev = first - 1;
    if (samples + (*prev)->samples > burst_samples_) break;
    samples += (*prev)->samples;
    first = prev;
  }
  return {first, pending_begin};
}

void ChunkHub::unsubscribe(const ChunkSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [&](const auto& sub) { return sub.get() == subscriber; });
  if (subscribers_.empty() && !idle_since_) idle_since_ = Clock::now();
}

bool ChunkHub::reset_if_idle(Clock::time_point now, Clock::duration idle) {
  std::lock_guard lock(mutex_);
  if (!subscribers_.empty() || !idle_since_ || now - *idle_since_ < idle) return false;
  history_.clear();
  history_samples_ = 0;
  pending_.clear();
  pending_samples_ = 0;
  return true;
}

void ChunkHub::close() {
  std::vector<std::shared_ptr<ChunkSubscriber>> targets;
  ChunkBatchPtr last;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    targets = std::move(subscribers_);
    subscribers_.clear();
    if (!pending_.empty()) {
      auto b = std::make_shared<ChunkBatch>();
      for (const auto& c : pending_) b->bytes += c->bytes.size();
      b->chunks = std::move(pending_);
      b->first_chunk_at = pending_since_;
      last = std::move(b);
    }
  }
  for (const auto& sub : targets) {
    if (last) sub->on_chunks(last);
    sub->on_chunks_end();
  }
}

std::size_t ChunkHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace auralis::server
