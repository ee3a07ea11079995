#include "sessions/pacer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "sessions/session.hpp"

namespace asio = boost::asio;

namespace auralis::server {

void start_pacer(asio::io_context& media, const std::shared_ptr<Session>& session,
                 devices::Clock& clock) {
  auto timer = std::make_shared<asio::steady_timer>(media);
  auto tick = std::make_shared<std::function<void()>>();
  std::weak_ptr<Session> weak = session;
  *tick = [weak, timer, tick, &clock] {
    auto s = weak.lock();
    if (!s || s->closed()) {
      *tick = nullptr;  // break the self-reference
      return;
    }
    timer->expires_at(s->advance(clock.now()));
    timer->async_wait([tick](boost::system::error_code ec) {
      if (!ec && *tick) (*tick)();
    });
  };
  asio::post(media, [tick] { (*tick)(); });
}

}  // namespace auralis::server
