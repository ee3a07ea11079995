#include "streaming/hls_store.hpp"

#include <algorithm>
#include <cmath>

#include "auralis/proto/hls_playlist.hpp"

namespace auralis::server {
namespace {

const char* kPlaylistType = "application/vnd.apple.mpegurl";

const char* variant_name(HlsVariant v) {
  return v == HlsVariant::aac ? "aac" : "opus";
}

// The peak and average bit rates of a window's segments, with room for the next ones.
std::pair<int, int> bandwidth(const std::deque<HlsSegment>& segments) {
  double peak = 0, bits = 0, seconds = 0;
  for (const auto& s : segments) {
    const double b = 8.0 * static_cast<double>(s.bytes->size());
    peak = std::max(peak, b / s.duration_s);
    bits += b;
    seconds += s.duration_s;
  }
  const double average = seconds > 0 ? bits / seconds : 0;
  return {static_cast<int>(std::ceil(peak * 1.1)), static_cast<int>(std::ceil(average))};
}

}  // namespace

HlsStore::HlsStore(HlsSettings settings) : settings_(settings) {}

HlsStore::~HlsStore() {
  close();
}

void HlsStore::touch(Clock::time_point now) {
  last_request_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
}

bool HlsStore::wanted(Clock::time_point now) const {
  const auto last = last_request_.load(std::memory_order_relaxed);
  return last != 0 && now - Clock::time_point(Clock::duration(last)) < settings_.idle_stop;
}

bool HlsStore::ready_locked() const {
  if (!live_ || closed_) return false;
  if (windows_[0].segments.empty()) return false;
  return !settings_.opus || !windows_[1].segments.empty();
}

bool HlsStore::ready() const {
  std::lock_guard lock(mutex_);
  return ready_locked();
}

std::optional<HlsFile> HlsStore::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  if (!ready_locked()) return std::nullopt;
  if (name == "index.m3u8")
    return HlsFile{master_, kPlaylistType, "\"master-" + std::to_string(run_) + "\"", true};
  for (int v = 0; v < kHlsVariants; ++v) {
    const auto variant = static_cast<HlsVariant>(v);
    if (variant == HlsVariant::opus && !settings_.opus) continue;
    const Window& w = windows_[v];
    if (name == std::string(variant_name(variant)) + ".m3u8")
      return HlsFile{w.playlist, kPlaylistType, w.etag, true};
    for (const auto& s : w.segments)
      if (s.name == name)
        return HlsFile{s.bytes, variant == HlsVariant::aac ? "video/mp2t" : "audio/mp4",
                       "\"" + s.name + "\"", false};
  }
  if (settings_.opus && name == opus_init_name_)
    return HlsFile{opus_init_, "audio/mp4", "\"" + opus_init_name_ + "\"", false};
  return std::nullopt;
}

void HlsStore::when_ready(Waiter waiter, Clock::time_point now) {
  bool ready_now = false;
  {
    std::lock_guard lock(mutex_);
    if (!closed_ && !ready_locked()) {
      waiters_.emplace_back(now, std::move(waiter));
      return;
    }
    ready_now = !closed_;
  }
  waiter(ready_now);
}

void HlsStore::begin(std::string opus_init_name, std::shared_ptr<const std::string> opus_init) {
  std::lock_guard lock(mutex_);
  ++run_;
  live_ = false;
  for (auto& w : windows_) w = Window{};
  opus_init_name_ = std::move(opus_init_name);
  opus_init_ = std::move(opus_init);
  master_.reset();
}

void HlsStore::add(HlsVariant variant, HlsSegment segment) {
  std::vector<Waiter> ready_now;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    auto& segments = windows_[static_cast<int>(variant)].segments;
    segments.push_back(std::move(segment));
    while (static_cast<int>(segments.size()) > settings_.kept_segments) segments.pop_front();
    render_locked(variant);
    if (ready_locked()) {
      if (!master_) render_master_locked();
      ready_now = take_waiters_locked(std::nullopt);
    }
  }
  for (auto& w : ready_now) w(true);
}

void HlsStore::mark_live() {
  std::vector<Waiter> ready_now;
  {
    std::lock_guard lock(mutex_);
    if (live_ || closed_) return;
    live_ = true;
    if (ready_locked()) {
      render_master_locked();
      ready_now = take_waiters_locked(std::nullopt);
    }
  }
  for (auto& w : ready_now) w(true);
}

void HlsStore::render_locked(HlsVariant variant) {
  Window& w = windows_[static_cast<int>(variant)];
  proto::HlsMediaPlaylist p;
  p.version = variant == HlsVariant::aac ? 3 : 7;
  p.target_duration_s = settings_.segment_s;
  if (variant == HlsVariant::opus) p.map_uri = opus_init_name_;
  const std::size_t listed =
      std::min(w.segments.size(), static_cast<std::size_t>(settings_.window_segments));
  for (auto it = w.segments.end() - static_cast<std::ptrdiff_t>(listed); it != w.segments.end();
       ++it)
    p.segments.push_back({it->sequence, it->duration_s, it->name, it->program_date_time});
  w.playlist = std::make_shared<const std::string>(proto::render_media_playlist(p));
  w.etag = "\"" + std::string(variant_name(variant)) + "-" + std::to_string(run_) + "-" +
           std::to_string(w.segments.empty() ? 0 : w.segments.back().sequence) + "\"";
}

void HlsStore::render_master_locked() {
  std::vector<proto::HlsVariantEntry> variants;
  auto [aac_peak, aac_average] = bandwidth(windows_[0].segments);
  variants.push_back({"aac.m3u8", aac_peak, aac_average, "mp4a.40.2"});
  if (settings_.opus) {
    auto [opus_peak, opus_average] = bandwidth(windows_[1].segments);
    variants.push_back({"opus.m3u8", opus_peak, opus_average, "opus"});
  }
  master_ = std::make_shared<const std::string>(proto::render_master_playlist(variants));
}

std::vector<HlsStore::Waiter> HlsStore::take_waiters_locked(
    std::optional<Clock::time_point> older_than) {
  std::vector<Waiter> out;
  std::erase_if(waiters_, [&](auto& entry) {
    if (older_than && entry.first > *older_than) return false;
    out.push_back(std::move(entry.second));
    return true;
  });
  return out;
}

void HlsStore::expire_waiters(Clock::time_point now) {
  std::vector<Waiter> expired;
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) return;
    expired = take_waiters_locked(now - settings_.wait_limit);
  }
  for (auto& w : expired) w(false);
}

void HlsStore::reset() {
  std::lock_guard lock(mutex_);
  live_ = false;
  for (auto& w : windows_) w = Window{};
  opus_init_.reset();
  opus_init_name_.clear();
  master_.reset();
}

void HlsStore::close() {
  std::vector<Waiter> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    left = take_waiters_locked(std::nullopt);
  }
  for (auto& w : left) w(false);
}

}  // namespace auralis::server
