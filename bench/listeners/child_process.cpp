#include "listeners/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "listeners/clock.hpp"

namespace listeners_bench {
namespace {

// The living children, for kill_children_now(): kill(2) is async-signal-safe, atomics are.
std::array<std::atomic<pid_t>, 8> g_children{};

}  // namespace

void kill_children_now() {
  for (auto& pid : g_children)
    if (const pid_t p = pid.load(); p > 0) ::kill(p, SIGKILL);
}

Child::Child(std::string name, std::vector<std::string> args, std::string log_path,
             const std::optional<RunAs>& as)
    : name_(std::move(name)), log_(std::move(log_path)) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  if (pid_ == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (as && (::setgroups(0, nullptr) != 0 || ::setgid(as->gid) != 0 || ::setuid(as->uid) != 0)) {
      std::fprintf(stderr, "cannot become user %s: %s\n", as->name.c_str(), std::strerror(errno));
      ::_exit(126);
    }
    // After the change of user (which clears it): die with the bench.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "exec %s failed: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid_)) break;
  }
}

bool Child::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    forget();
    return false;
  }
  return true;
}

void Child::stop() {
  using namespace std::chrono_literals;
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + 10s;
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return forget();
    std::this_thread::sleep_for(20ms);
  }
  std::fprintf(stderr, "%s did not stop within 10 s after SIGTERM: killed\n", name_.c_str());
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  forget();
}

void Child::forget() {
  for (auto& slot : g_children) {
    pid_t mine = pid_;
    slot.compare_exchange_strong(mine, 0);
  }
  pid_ = -1;
}

std::string tail_of(const std::string& path, std::size_t bytes) {
  std::ifstream f(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace listeners_bench
