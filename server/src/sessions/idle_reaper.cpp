#include "sessions/idle_reaper.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "auralis/config/log.hpp"
#include "sessions/session_manager.hpp"

namespace asio = boost::asio;

namespace auralis::server {

IdleReaper::IdleReaper(asio::io_context& media, SessionManager& sessions, int stop_after_s)
    : timer_(media), sessions_(sessions), stop_after_(stop_after_s) {}

void IdleReaper::start() {
  if (stop_after_.count() <= 0) return;
  asio::post(timer_.get_executor(), [this] { schedule(); });
}

void IdleReaper::stop() {
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void IdleReaper::schedule() {
  timer_.expires_after(std::min(std::chrono::seconds(5), stop_after_));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    look();
    schedule();
  });
}

void IdleReaper::look() {
  const auto now = std::chrono::steady_clock::now();
  for (const auto& s : sessions_.all()) {
    // HLS clients hold no connection: a session whose HLS is asked for is listened to.
    const bool hls_listened = s->formats().hls() && s->formats().hls()->wanted(now);
    if (s->pinned || s->http_listeners + s->ws_listeners > 0 || hls_listened) {
      idle_since_.erase(s->id());
      continue;
    }
    auto [it, fresh] = idle_since_.emplace(s->id(), now);
    if (fresh || now - it->second < stop_after_) continue;
    log::get("session")->info("session {} had no listener for {} s: ending it", s->id(),
                              stop_after_.count());
    // A store that cannot forget it keeps the session (tried again next time).
    if (sessions_.remove(s->id(), "idle: no listeners")) idle_since_.erase(it);
  }
}

}  // namespace auralis::server
