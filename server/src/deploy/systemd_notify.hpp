// Tells systemd how the service is doing (sd_notify): READY once listening and playing,
// RELOADING/READY around a SIGHUP reload, STOPPING at shutdown, and WATCHDOG keep-alives.
// Every call is a no-op when systemd did not start the daemon (NOTIFY_SOCKET unset).
#pragma once

#include <chrono>
#include <string>

namespace auralis::server {

class SystemdNotifier {
 public:
  SystemdNotifier();  // reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID

  bool enabled() const { return enabled_; }
  void ready(const std::string& status = {});
  void reloading();
  void stopping();
  void status(const std::string& text);

  // How often to call watchdog(): half the unit's WatchdogSec, or zero when there is none.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }
  void watchdog();

 private:
  void notify(const std::string& state);
  bool enabled_ = false;
  std::chrono::microseconds watchdog_interval_{0};
};

}  // namespace auralis::server
