#include "deploy/service_watch.hpp"

#include <boost/asio/post.hpp>

#include "auralis/config/log.hpp"

namespace asio = boost::asio;

namespace auralis::server {

ServiceWatch::ServiceWatch(asio::io_context& net, asio::io_context& media)
    : net_(net),
      media_strand_(asio::make_strand(media)),
      ready_timer_(media_strand_),
      watchdog_timer_(media_strand_) {}

void ServiceWatch::start(std::function<bool()> playing) {
  playing_ = std::move(playing);
  asio::post(media_strand_, [this] {
    arm_watchdog();
    wait_until_playing();
  });
}

void ServiceWatch::stopping() {
  notifier_.stopping();
  asio::post(media_strand_, [this] {
    ready_timer_.cancel();
    watchdog_timer_.cancel();
  });
}

void ServiceWatch::wait_until_playing() {
  if (!playing_ || playing_()) {
    notifier_.ready("playing");
    if (notifier_.enabled()) log::get("systemd")->info("READY=1 sent");
    return;
  }
  ready_timer_.expires_after(std::chrono::milliseconds(100));
  ready_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) wait_until_playing();
  });
}

void ServiceWatch::arm_watchdog() {
  const auto interval = notifier_.watchdog_interval();
  if (interval.count() == 0) return;
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    asio::post(net_, [this] { notifier_.watchdog(); });
    arm_watchdog();
  });
}

}  // namespace auralis::server
