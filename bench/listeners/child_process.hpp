// The bench's children (the daemon, icecast2, ffmpeg): fork/exec with output to a log file,
// optionally as another user; stopped when their Child goes, killed with the bench.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace listeners_bench {

struct RunAs {
  uid_t uid;
  gid_t gid;
  std::string name;
};

class Child {
 public:
  Child(std::string name, std::vector<std::string> args, std::string log_path,
        const std::optional<RunAs>& as = std::nullopt);
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  const std::string& name() const { return name_; }
  const std::string& log() const { return log_; }
  pid_t pid() const { return pid_; }
  bool alive();
  // SIGTERM, then SIGKILL after 10 s.
  void stop();

 private:
  void forget();
  std::string name_, log_;
  pid_t pid_ = -1;
};

// SIGKILL to every living child: async-signal-safe, for a signal handler.
void kill_children_now();

// The last `bytes` of a log file.
std::string tail_of(const std::string& path, std::size_t bytes = 2000);

}  // namespace listeners_bench
