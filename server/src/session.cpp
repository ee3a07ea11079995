#include "auralis/server/session.hpp"

#include <stdexcept>

#include "auralis/devices/log.hpp"

namespace auralis::server {
namespace {
constexpr auto kPacketDuration = std::chrono::milliseconds(20);
}

Session::Session(SessionSettings settings, devices::EnginePool& pool, synthesis::Engine& prime_engine)
    : settings_(std::move(settings)),
      source_(devices::RenderAheadSource::create(settings_.id, settings_.params, pool,
                                                 settings_.lookahead_phrases)),
      encoder_(settings_.encoder),
      header_pages_(std::make_shared<const std::vector<std::uint8_t>>(encoder_.header_pages())),
      hub_(settings_.burst_ms, settings_.fanout_ms),
      frame_(proto::kOpusFrameSamples * proto::kOpusChannels) {
  source_->prime(prime_engine);
  source_->start_rendering();
  log::get("session")->info("session {} created (seed {}, serial {:08x})", settings_.id,
                            settings_.params.seed, encoder_.serial());
}

Session::~Session() { close(); }

void Session::start(Clock::time_point now) {
  std::lock_guard lock(encode_mutex_);
  start_ = now;
}

Session::Clock::time_point Session::advance(Clock::time_point now) {
  std::lock_guard lock(encode_mutex_);
  while (!closed_ && start_ + kPacketDuration * (packets_ + 1) <= now) {
    if (!source_->read_frame(frame_))
      log::get("session")->error("session {}: no rendered audio for packet {} (render behind); "
                                 "sending silence", settings_.id, packets_);
    auto page = encoder_.encode_frame(frame_);
    ++packets_;
    if (page) hub_.publish(page);
  }
  // The next page is due when its last packet is due.
  const auto per_page = settings_.encoder.packets_per_page;
  const std::int64_t next_page_end = (packets_ / per_page + 1) * per_page;
  return start_ + kPacketDuration * next_page_end;
}

std::int64_t Session::packets_encoded() const {
  std::lock_guard lock(encode_mutex_);
  return packets_;
}

void Session::close() {
  {
    std::lock_guard lock(encode_mutex_);
    if (closed_) return;
    closed_ = true;
  }
  hub_.close();
  log::get("session")->info("session {} closed", settings_.id);
}

bool Session::closed() const {
  std::lock_guard lock(encode_mutex_);
  return closed_;
}

}  // namespace auralis::server
