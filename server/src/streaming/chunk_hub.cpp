#include "streaming/chunk_hub.hpp"

#include <utility>

#include "streaming/stream_samples.hpp"

namespace auralis::server {
namespace {

ChunkBatchPtr batch_of(HubHistory<ChunkPtr>::Pending pending) {
  auto b = std::make_shared<ChunkBatch>();
  for (const auto& c : pending.items) b->bytes += c->bytes.size();
  b->chunks = std::move(pending.items);
  b->samples = pending.samples;
  b->first_chunk_at = pending.since;
  return b;
}

}  // namespace

ChunkHub::ChunkHub(int burst_ms, int fanout_ms)
    : history_(burst_ms * kSamplesPerMs, fanout_ms * kSamplesPerMs) {}

void ChunkHub::publish(ChunkPtr chunk) {
  ChunkBatchPtr batch;
  std::vector<std::shared_ptr<ChunkSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    const auto samples = chunk->samples;
    auto full = history_.add(std::move(chunk), samples);
    if (!full) return;
    batch = batch_of(std::move(*full));
    targets = subscribers_;
  }
  for (const auto& sub : targets) sub->on_chunks(batch);
}

std::vector<ChunkPtr> ChunkHub::subscribe(const std::shared_ptr<ChunkSubscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  if (closed_) return {};
  subscribers_.push_back(subscriber);
  idle_since_.reset();
  return history_.burst();
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
    if (!history_.pending_empty()) last = batch_of(history_.take_pending());
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
