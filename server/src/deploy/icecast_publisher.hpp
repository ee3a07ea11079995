// Pushes the configured session ([icecast] session) to an Icecast server while the daemon
// runs: starts the source once the session exists (looking again every 5 s), restarts it when
// SIGHUP changes an icecast.* key, stops it at shutdown. Runs on a strand of the network loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <mutex>

#include "auralis/config/config.hpp"
#include "streaming/icecast_source.hpp"

namespace auralis::server {

class SessionManager;

class IcecastPublisher {
 public:
  IcecastPublisher(boost::asio::io_context& net, SessionManager& sessions);

  void start(const config::Config& config);
  // New settings (SIGHUP): the source restarts with them.
  void restart(const config::Config& config);
  void stop();
  // All zero when not pushing.
  IcecastStatus status() const;

 private:
  void start_on_strand();
  void stop_on_strand();

  boost::asio::io_context& net_;
  SessionManager& sessions_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer retry_;
  config::Config config_;  // strand only
  bool stopped_ = false;   // strand only
  mutable std::mutex source_mutex_;
  std::shared_ptr<IcecastSource> source_;
};

}  // namespace auralis::server
