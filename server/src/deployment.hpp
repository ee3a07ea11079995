// The daemon's service-manager side, in one place the daemon wires with a few calls: the
// session store in state.dir, systemd notification (READY once playing, WATCHDOG from both
// event loops, RELOADING/STOPPING), SIGHUP configuration reload, and the Icecast source.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "auralis/config/config.hpp"
#include "icecast_source.hpp"
#include "session_store.hpp"
#include "systemd_notify.hpp"

namespace auralis::server {

class Session;
class SessionManager;

struct DeploymentHooks {
  // Finds a live session by id (for the Icecast source); required for icecast.enabled.
  std::function<std::shared_ptr<Session>(const std::string& id)> find_session;
  // True once the daemon serves audio (the default session plays); empty: at once.
  std::function<bool()> playing;
  // Builds the configuration again (config::reload_config); empty: SIGHUP cannot reload.
  std::function<config::Config()> reload_config;
  // Applies live keys the daemon owns itself (listener limits, ...), after the built-in ones.
  std::function<void(const config::Config&)> apply_live;
};

class Deployment {
 public:
  // Opens the session store when config.state_dir is set: a corrupt store is moved aside with
  // an ERROR; throws StoreError when no store can be made (unusable directory).
  Deployment(const config::Config& config, boost::asio::io_context& net,
             boost::asio::io_context& media);
  ~Deployment();

  // Null when state.dir is empty (sessions are not kept).
  SessionStore* store() { return store_.get(); }

  // Restores the stored sessions into `sessions` (with their id, name, parameters, seed,
  // creation time, resuming at the stored phrase), then keeps the store in step: created,
  // changed and removed sessions, and every 5 s the phrase each one reached. The session named
  // `config_session` comes from the configuration and is not stored. No-op without a store.
  void attach(SessionManager& sessions, const std::string& config_session);

  // After the daemon listens and has created its sessions: starts the Icecast source and the
  // watchdog, and sends READY=1 once hooks.playing() says so. Call once.
  void started(DeploymentHooks hooks);
  // SIGHUP (on a network thread): re-reads the configuration, applies the live keys, logs
  // every change and whether it needs a restart. A bad file changes nothing.
  void reload();
  // At shutdown, before sessions close: STOPPING=1, the Icecast source and timers stop.
  void stopping();

  // Icecast push state (for /metrics and /healthz); all zero when not pushing.
  IcecastStatus icecast_status() const;

 private:
  void start_icecast();
  void stop_icecast();
  void wait_until_playing();
  void arm_watchdog();
  void save_phrases(bool again);

  boost::asio::io_context& net_;
  std::unique_ptr<SessionStore> store_;
  SystemdNotifier notifier_;
  DeploymentHooks hooks_;                     // set once by started()
  // The media loop may run on several threads: its two timers share a strand.
  boost::asio::strand<boost::asio::io_context::executor_type> media_strand_;
  boost::asio::steady_timer ready_timer_;     // media: polls hooks_.playing()
  boost::asio::steady_timer watchdog_timer_;  // media, then a ping posted to net
  // On strand_: the current configuration and the Icecast source's life cycle.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  config::Config config_;
  boost::asio::steady_timer icecast_retry_;
  boost::asio::steady_timer phrase_timer_;  // on strand_: phrase indexes to the store
  SessionManager* sessions_ = nullptr;
  std::string config_session_;
  bool stopping_ = false;
  mutable std::mutex icecast_mutex_;  // icecast_ is read by icecast_status() from any thread
  std::shared_ptr<IcecastSource> icecast_;
};

}  // namespace auralis::server
