// sd_notify messages reach systemd's notification socket (a datagram socket we bind here), the
// watchdog interval is half of WATCHDOG_USEC, and nothing is sent without NOTIFY_SOCKET.
#include "deploy/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace auralis::server {
namespace {

class NotifySocket {
 public:
  NotifySocket() {
    std::random_device rd;
    path_ = (std::filesystem::temp_directory_path() / ("auralis-notify-" + std::to_string(rd())))
                .string();
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() {
    close(fd_);
    unlink(path_.c_str());
  }
  std::string receive() {
    char buf[4096];
    const auto n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(SystemdNotify, SendsReadyStoppingReloadingAndWatchdog) {
  NotifySocket sock;
  setenv("NOTIFY_SOCKET", sock.path().c_str(), 1);
  setenv("WATCHDOG_USEC", "20000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  SystemdNotifier notifier;  // sd_notify() reads NOTIFY_SOCKET on every call: keep it set
  ASSERT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), std::chrono::seconds(10));
  notifier.ready("playing");
  EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=playing");
  notifier.watchdog();
  EXPECT_EQ(sock.receive(), "WATCHDOG=1");
  notifier.reloading();
  EXPECT_TRUE(sock.receive().starts_with("RELOADING=1\nMONOTONIC_USEC="));
  notifier.stopping();
  EXPECT_EQ(sock.receive(), "STOPPING=1");
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

TEST(SystemdNotify, WatchdogForAnotherProcessIsIgnored) {
  NotifySocket sock;
  setenv("NOTIFY_SOCKET", sock.path().c_str(), 1);
  setenv("WATCHDOG_USEC", "20000000", 1);
  setenv("WATCHDOG_PID", "1", 1);
  SystemdNotifier notifier;
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(notifier.watchdog_interval().count(), 0);
}

TEST(SystemdNotify, NoOpWithoutNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  notifier.ready();  // must not crash or block
  notifier.stopping();
  EXPECT_EQ(notifier.watchdog_interval().count(), 0);
}

}  // namespace
}  // namespace auralis::server
