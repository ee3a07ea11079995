// The Auralis daemon: network threads (Beast HTTP), a pacer thread that releases each
// session's packets in real time, the render engine pool, and the session registry.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "auralis/config/config.hpp"

namespace auralis::server {

class Daemon {
 public:
  explicit Daemon(const config::Config& config);  // binds the port; throws on failure
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // The bound port (useful with port 0).
  unsigned short port() const;

  // Runs until stop() or SIGINT/SIGTERM (when handle_signals); returns the exit code.
  int run(bool handle_signals = true);
  // Thread-safe; closes listeners and returns run() promptly.
  void stop();
  // How SIGHUP builds the configuration again (e.g. config::reload_config on the same argv);
  // without one, SIGHUP logs that it cannot reload.
  void set_config_reloader(std::function<config::Config()> reload);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace auralis::server
