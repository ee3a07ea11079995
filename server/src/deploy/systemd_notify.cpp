#include "deploy/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

#include "auralis/config/log.hpp"

namespace auralis::server {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // > 0 only when the watchdog is meant for this process (WATCHDOG_PID matches).
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  if (enabled_)
    log::get("systemd")->debug("notify socket {}, watchdog every {} ms", socket,
                               watchdog_interval_.count() / 1000);
}

void SystemdNotifier::notify(const std::string& state) {
  if (!enabled_) return;
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) log::get("systemd")->warn("sd_notify({}) failed: error {}", state, -rc);
}

void SystemdNotifier::ready(const std::string& status) {
  notify(status.empty() ? "READY=1" : "READY=1\nSTATUS=" + status);
}

void SystemdNotifier::reloading() {
  // MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match the reload; older ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::stopping() {
  notify("STOPPING=1");
}

void SystemdNotifier::status(const std::string& text) {
  notify("STATUS=" + text);
}

void SystemdNotifier::watchdog() {
  notify("WATCHDOG=1");
}

}  // namespace auralis::server
