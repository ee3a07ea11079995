// Ends sessions nobody has listened to for limits.idle_session_stop_s (pinned ones never):
// an unheard session would hold a share of the render workers forever. Runs on a media
// thread, looking every few seconds.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <string>

namespace auralis::server {

class SessionManager;

class IdleReaper {
 public:
  IdleReaper(boost::asio::io_context& media, SessionManager& sessions, int stop_after_s);
  void start();
  void stop();

 private:
  void schedule();
  void look();

  boost::asio::steady_timer timer_;
  SessionManager& sessions_;
  const std::chrono::seconds stop_after_;
  std::map<std::string, std::chrono::steady_clock::time_point> idle_since_;  // timer's thread
};

}  // namespace auralis::server
