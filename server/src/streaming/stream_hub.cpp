#include "streaming/stream_hub.hpp"

#include <utility>

#include "streaming/stream_samples.hpp"

namespace auralis::server {

StreamHub::StreamHub(int burst_ms, int fanout_ms)
    : history_(burst_ms * kSamplesPerMs, fanout_ms * kSamplesPerMs) {}

void StreamHub::publish(const proto::PagePtr& page) {
  PageBatch batch;
  std::vector<std::shared_ptr<StreamSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    ++published_;
    auto full = history_.add(page, page->duration_samples());
    if (!full) return;
    batch = batch_of(std::move(*full));
    targets = subscribers_;
  }
  for (const auto& sub : targets) sub->on_pages(batch);
}

PageBatch StreamHub::batch_of(HubHistory<proto::PagePtr>::Pending pending) {
  auto b = std::make_shared<Batch>();
  if (!pending.items.empty())
    b->ws_message = std::make_shared<const std::string>(frame_ws_packets(pending.items));
  for (const auto& p : pending.items) b->page_bytes += p->bytes.size();
  b->pages = std::move(pending.items);
  b->events = std::exchange(pending_events_, {});
  b->samples = pending.samples;
  b->first_page_at = pending.since;
  return b;
}

void StreamHub::publish_event(std::string json) {
  std::lock_guard lock(mutex_);
  if (!closed_) pending_events_.push_back(std::make_shared<const std::string>(std::move(json)));
}

std::string frame_ws_packets(const std::vector<proto::PagePtr>& pages) {
  std::size_t count = 0, payload = 0;
  for (const auto& p : pages) {
    count += p->packet_sizes.size();
    payload += p->bytes.size() - p->body_offset;
  }
  std::string out;
  out.reserve(22 + 2 * count + payload);
  auto put = [&out](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  out += "AUO1";
  put(pages.empty() ? 0 : static_cast<std::uint64_t>(pages.front()->first_packet), 8);
  put(pages.empty() ? 0 : static_cast<std::uint64_t>(pages.back()->granule), 8);
  put(count, 2);
  for (const auto& p : pages)
    for (auto size : p->packet_sizes) put(size, 2);
  // Our pages never split packets, so each page body is exactly its packets back to back.
  for (const auto& p : pages)
    out.append(reinterpret_cast<const char*>(p->bytes.data() + p->body_offset),
               p->bytes.size() - p->body_offset);
  return out;
}

std::vector<proto::PagePtr> StreamHub::subscribe(
    const std::shared_ptr<StreamSubscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  if (closed_) return {};
  subscribers_.push_back(subscriber);
  return history_.burst();
}

void StreamHub::unsubscribe(const StreamSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [&](const std::shared_ptr<StreamSubscriber>& sub) {
    return sub.get() == subscriber;
  });
}

void StreamHub::close() {
  std::vector<std::shared_ptr<StreamSubscriber>> targets;
  PageBatch last;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    targets = std::move(subscribers_);
    subscribers_.clear();
    // What was not fanned out yet (the last pages, the "end" event) still goes out.
    if (!history_.pending_empty() || !pending_events_.empty())
      last = batch_of(history_.take_pending());
  }
  for (const auto& sub : targets) {
    if (last) sub->on_pages(last);
    sub->on_stream_end();
  }
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
