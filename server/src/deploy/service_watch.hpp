// The service manager's view of the daemon: READY=1 once it serves audio, WATCHDOG keep-alives
// that need both event loops to turn (the timer on the media loop, the ping on the network
// loop: a stall in either stops them and systemd restarts the service), RELOADING around a
// SIGHUP and STOPPING at shutdown.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>

#include "deploy/systemd_notify.hpp"

namespace auralis::server {

class ServiceWatch {
 public:
  ServiceWatch(boost::asio::io_context& net, boost::asio::io_context& media);

  // Sends READY=1 once `playing()` says so (polled every 100 ms), and starts the watchdog.
  void start(std::function<bool()> playing);
  void reloading() { notifier_.reloading(); }
  void reloaded(const std::string& status) { notifier_.ready(status); }
  void stopping();

 private:
  void wait_until_playing();
  void arm_watchdog();

  boost::asio::io_context& net_;
  SystemdNotifier notifier_;
  std::function<bool()> playing_;
  boost::asio::strand<boost::asio::io_context::executor_type> media_strand_;
  boost::asio::steady_timer ready_timer_;
  boost::asio::steady_timer watchdog_timer_;
};

}  // namespace auralis::server
