// listeners_bench: the fan-out cost of the auralis daemon against Debian's icecast2, both in one
// run on the same audio, in steady state.
//
// Each round starts a fresh daemon, icecast2 (as its own unprivileged user, queue 512 KiB,
// burst 64 KiB, open-file limit raised) and ffmpeg as icecast2's source client, relaying the
// daemon's default stream (`ffmpeg -i http://.../stream/default.ogg -c copy -f ogg
// icecast://...`). Then, for each listener count N and each server in turn (the order reverses
// every other round):
//   1. the server's CPU with no bench listener (the daemon's render + encode; icecast2 reading
//      its source), from utime + stime in /proc/PID/stat, for the figures net of it;
//   2. N plain HTTP/1.1 GETs (WebSocket upgrades for auralis-ws), opened briskly;
//   3. a wait until every listener is admitted and, over a check window, each receives at least
//      75% of the live rate; a server that does not get there within the bounds is reported as
//      not steady, and its figures stay out of the summary;
//   4. the measured window: server CPU and RSS, bytes per listener (under 90% of the live rate
//      counts as behind), and the daemon's own counters (writes, skips, drops) from /metrics.
// The live rate is a reference listener's, on the idle daemon at the start of the round, scaled
// by the stream's audio clock in each window (the reference's Ogg granule positions) should the
// daemon render slower than real time: a reference listener on a loaded daemon could fall
// behind with the others and hide it. The daemon's idle figure includes its reference listeners
// and ffmpeg (two or three listeners). Everything runs on 127.0.0.1 and is bounded in time;
// every child is stopped on every exit path (and killed with the bench: PR_SET_PDEATHSIG).
//
// The client is one thread on epoll: one recv per arrival, a short nap between polls so that
// arrivals are read in batches; its own CPU is printed beside the servers'. It connects as fast
// as --ramp-per-s allows: Icecast 2.4 listens with a backlog of 5, and a SYN dropped on its full
// accept queue is sent again by the kernel only after 1, 3, 7... s, so a connect unanswered for
// --connect-retry-ms starts again at once. (Keeping a few connections pending until their
// response arrived, as this bench once did, held icecast2 to ~30 admissions a second: it
// answers a listener only on its source thread's next pass.)
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Clock::time_point after(double s) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string auralis_bin;
  std::string icecast_bin = "icecast2";
  std::string ffmpeg_bin = "ffmpeg";
  std::vector<int> counts{1000, 5000};
  int rounds = 2;                // each configuration this many times, fresh servers each round
  double window_s = 20;          // measured window
  double baseline_s = 8;         // idle CPU before the listeners connect
  int ramp_per_s = 1000;         // new connections per second, at most
  int max_pending = 10000;       // connections not yet answered, at most
  int max_connecting = 64;       // connects not yet completed (handshake unanswered), at most
  int connect_retry_ms = 250;    // a handshake unanswered this long is started again
  double admit_rate = 20;        // admission fails when slower (listeners/s): 20 s + N / this
  double settle_s = 2;           // after the last admission, before the steady check
  double check_s = 6;            // steady check window (several of icecast2's 1 s pages)
  double steady_timeout_s = 60;  // steady state must come within this after admission
  double late_gap_s = 2.5;       // a listener with a data gap longer than this is late
  int nap_ms = 10;               // client nap between polls (batches reads)
  int icecast_page_ms = 1000;    // ffmpeg's Ogg page duration (its default: 1 s)
  double max_total_s = 0;        // hard limit for the run (0: computed from the plan)
  std::vector<std::string> servers{"auralis", "icecast"};
  std::vector<std::string> sets;  // extra --set key=value for the daemon
};

void usage() {
  std::puts(
      "listeners_bench [AURALIS_BIN] [options]\n"
      "  AURALIS_BIN          the auralis executable (or --auralis PATH, or env AURALIS_BIN)\n"
      "  --counts LIST        listener counts, comma-separated (default 1000,5000; 10000 works,\n"
      "                       icecast2 may not hold it)\n"
      "  --rounds R           rounds, fresh servers each, server order alternating (default 2)\n"
      "  --seconds S          measured window (default 20)\n"
      "  --baseline S         idle CPU measurement before each ramp (default 8)\n"
      "  --ramp-per-s R       new connections per second, at most (default 1000)\n"
      "  --max-pending N      connections not yet answered, at most (default 10000)\n"
      "  --max-connecting N   connects whose handshake is not yet answered, at most (default 64)\n"
      "  --connect-retry-ms MS  a connect unanswered this long starts again (default 250:\n"
      "                       icecast2 listens with a backlog of 5; a SYN dropped on a full\n"
      "                       accept queue is sent again by the kernel only after 1, 3, 7... s)\n"
      "  --admit-rate R       admission must average R listeners/s: it may take 20 s + N / R\n"
      "                       (default 20)\n"
      "  --settle S           wait after the last admission (default 2)\n"
      "  --check S            steady check window: every listener >= 75% of live (default 6)\n"
      "  --steady-timeout S   steady state must come within S after admission (default 60)\n"
      "  --late-gap S         data gap that makes a listener late (default 2.5)\n"
      "  --nap-ms MS          client nap between polls (default 10)\n"
      "  --ws                 also measure the daemon's WebSocket listeners (/ws/default)\n"
      "  --no-icecast         the daemon only\n"
      "  --servers LIST       which, in order: auralis, icecast, auralis-ws (default\n"
      "                       auralis,icecast; icecast2 is fed by the daemon in any case)\n"
      "  --icecast PATH       icecast2 executable (default icecast2)\n"
      "  --ffmpeg PATH        ffmpeg executable, icecast2's source client (default ffmpeg)\n"
      "  --icecast-page-ms MS Ogg page duration of the relayed stream (default 1000, ffmpeg's;\n"
      "                       icecast2 writes to a listener once per page)\n"
      "  --max-total S        hard limit for the run; children are killed (default: from the\n"
      "                       plan)\n"
      "  --set key=value      extra daemon setting (repeatable), e.g. stream.http_write_ms=1000");
}

Options parse_options(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("AURALIS_BIN")) o.auralis_bin = env;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() { return std::stod(value()); };
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--auralis") {
      o.auralis_bin = value();
    } else if (a == "--icecast") {
      o.icecast_bin = value();
    } else if (a == "--ffmpeg") {
      o.ffmpeg_bin = value();
    } else if (a == "--counts") {
      o.counts.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) {
        const int n = std::stoi(item);
        if (n < 1) throw std::runtime_error("--counts: each count must be at least 1");
        o.counts.push_back(n);
      }
    } else if (a == "--rounds") {
      o.rounds = std::max(1, static_cast<int>(number()));
    } else if (a == "--seconds") {
      o.window_s = std::max(1.0, number());
    } else if (a == "--baseline") {
      o.baseline_s = std::max(1.0, number());
    } else if (a == "--ramp-per-s") {
      o.ramp_per_s = std::max(1, static_cast<int>(number()));
    } else if (a == "--connect-retry-ms") {
      o.connect_retry_ms = std::max(10, static_cast<int>(number()));
    } else if (a == "--max-connecting") {
      o.max_connecting = std::max(1, static_cast<int>(number()));
    } else if (a == "--max-pending") {
      o.max_pending = std::max(1, static_cast<int>(number()));
    } else if (a == "--admit-rate") {
      o.admit_rate = std::max(0.1, number());
    } else if (a == "--settle") {
      o.settle_s = number();
    } else if (a == "--check") {
      o.check_s = std::max(1.0, number());
    } else if (a == "--steady-timeout") {
      o.steady_timeout_s = number();
    } else if (a == "--late-gap") {
      o.late_gap_s = number();
    } else if (a == "--nap-ms") {
      o.nap_ms = std::max(0, static_cast<int>(number()));
    } else if (a == "--icecast-page-ms") {
      o.icecast_page_ms = std::max(1, static_cast<int>(number()));
    } else if (a == "--max-total") {
      o.max_total_s = number();
    } else if (a == "--ws") {
      if (std::find(o.servers.begin(), o.servers.end(), "auralis-ws") == o.servers.end())
        o.servers.push_back("auralis-ws");
    } else if (a == "--no-icecast") {
      std::erase(o.servers, "icecast");
    } else if (a == "--servers") {
      o.servers.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) {
        if (item != "auralis" && item != "icecast" && item != "auralis-ws")
          throw std::runtime_error("--servers: auralis, icecast or auralis-ws, not " + item);
        o.servers.push_back(item);
      }
    } else if (a == "--set") {
      o.sets.push_back(value());
    } else if (!a.starts_with("-")) {
      o.auralis_bin = a;
    } else {
      throw std::runtime_error("unknown option " + a + " (see --help)");
    }
  }
  if (o.auralis_bin.empty())
    throw std::runtime_error("give the auralis executable (argument or AURALIS_BIN)");
  if (o.counts.empty()) throw std::runtime_error("--counts is empty");
  if (o.servers.empty()) throw std::runtime_error("no server to measure");
  return o;
}

bool measures(const Options& o, const std::string& server) {
  return std::find(o.servers.begin(), o.servers.end(), server) != o.servers.end();
}

// ---------------------------------------------------------------------------------------------
// Child processes: fork/exec, output to a log file, optionally as another user, always stopped.

// The signal handler kills what is listed here; kill(2) is async-signal-safe.
std::array<std::atomic<pid_t>, 8> g_children{};

extern "C" void on_fatal_signal(int sig) {
  for (auto& pid : g_children)
    if (const pid_t p = pid.load(); p > 0) ::kill(p, SIGKILL);
  const char msg[] =
      "listeners_bench: stopped by a signal or the --max-total limit; children killed\n";
  [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
  ::_exit(sig == SIGALRM ? 3 : 128 + sig);
}

struct RunAs {
  uid_t uid;
  gid_t gid;
  std::string name;
};

class Child {
 public:
  Child(std::string name, std::vector<std::string> args, std::string log_path,
        const std::optional<RunAs>& as = std::nullopt)
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
      if (as &&
          (::setgroups(0, nullptr) != 0 || ::setgid(as->gid) != 0 || ::setuid(as->uid) != 0)) {
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
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  const std::string& name() const { return name_; }
  const std::string& log() const { return log_; }
  pid_t pid() const { return pid_; }
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      forget();
      return false;
    }
    return true;
  }

  // SIGTERM, then SIGKILL after 10 s.
  void stop() {
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

 private:
  void forget() {
    for (auto& slot : g_children) {
      pid_t mine = pid_;
      slot.compare_exchange_strong(mine, 0);
    }
    pid_ = -1;
  }
  std::string name_, log_;
  pid_t pid_ = -1;
};

std::string tail_of(const std::string& path, std::size_t bytes = 2000) {
  std::ifstream f(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// ---------------------------------------------------------------------------------------------
// /proc measurements

struct ProcSample {
  double cpu_s = 0;  // utime + stime of every thread, living or ended
  long rss_kib = 0;
};

ProcSample sample_process(pid_t pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  if (close_paren != std::string::npos) {
    std::istringstream rest(line.substr(close_paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // After "(comm) ": state is field 3; utime and stime are fields 14 and 15.
    for (int index = 3; index <= 15 && rest >> field; ++index) {
      if (index == 14) utime = std::stoull(field);
      if (index == 15) stime = std::stoull(field);
    }
    s.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) s.rss_kib = std::stol(line.substr(6));
  return s;
}

double self_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The whole machine's busy and total jiffies (/proc/stat), to say how shared it was.
struct MachineSample {
  unsigned long long busy = 0, total = 0;
};

MachineSample sample_machine() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  f >> cpu;
  MachineSample m;
  unsigned long long v = 0;
  for (int i = 0; i < 8 && f >> v; ++i) {
    m.total += v;
    if (i != 3 && i != 4) m.busy += v;  // idle and iowait are not busy
  }
  return m;
}

double load_average() {
  std::ifstream f("/proc/loadavg");
  double one = 0;
  f >> one;
  return one;
}

// Connections waiting for accept() on 127.0.0.1:port (/proc/net/tcp lists listening sockets
// first: reading stops at the first other one); -1 when not found. A queue that is seldom
// empty during the ramp means that the server, not the client, holds admission back.
int accept_queue(unsigned short port) {
  std::ifstream f("/proc/net/tcp");
  std::string line;
  std::getline(f, line);
  char want[16];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string sl, local, remote, st, queues;
    in >> sl >> local >> remote >> st >> queues;
    if (st != "0A") break;
    if (local != want) continue;
    // tx_queue:rx_queue; for a listening socket rx_queue is the accept queue's length.
    return static_cast<int>(std::stoul(queues.substr(9), nullptr, 16));
  }
  return -1;
}

// The machine's count of connections dropped on a full accept queue (TcpExt ListenOverflows).
long long listen_overflows() {
  std::ifstream f("/proc/net/netstat");
  std::string names, values;
  while (std::getline(f, names) && std::getline(f, values)) {
    if (!names.starts_with("TcpExt:")) continue;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value)
      if (name == "ListenOverflows") return std::stoll(value);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Plain sockets on 127.0.0.1

sockaddr_in loopback(unsigned short port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port on 127.0.0.1");
  ::close(fd);
  return ntohs(a.sin_port);
}

// One blocking GET (2 s bounds): the whole answer of a server that closes after it, or only
// up to the end of the status line (a stream never ends). Empty when nothing answers.
std::string http_get(unsigned short port, const std::string& path, bool whole) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string got;
  const sockaddr_in a = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
    const std::string req =
        "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: listeners_bench\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      while (got.size() < (1u << 20) && (whole || got.find("\r\n") == std::string::npos)) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  return got;
}

int http_status(unsigned short port, const std::string& path) {
  const std::string got = http_get(port, path, false);
  return got.starts_with("HTTP/") && got.size() >= 12 ? std::atoi(got.c_str() + 9) : 0;
}

// The daemon's /metrics, each metric summed over its series.
std::map<std::string, double> daemon_metrics(unsigned short port) {
  std::map<std::string, double> m;
  std::istringstream in(http_get(port, "/metrics", true));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.starts_with("HTTP/")) continue;
    const auto name_end = line.find_first_of("{ ");
    const auto value_at = line.rfind(' ');
    if (name_end == std::string::npos || value_at == std::string::npos) continue;
    try {
      m[line.substr(0, name_end)] += std::stod(line.substr(value_at + 1));
    } catch (const std::exception&) {
    }
  }
  return m;
}

bool wait_for_status(unsigned short port, const std::string& path, int want, double timeout_s,
                     Child& child) {
  const auto deadline = after(timeout_s);
  while (Clock::now() < deadline) {
    if (!child.alive()) return false;
    if (http_status(port, path) == want) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The load client: groups of listeners on one epoll, read one recv per arrival.

enum class Transport { http, ws };

// RFC 6455 frames from the server (unmasked): counted, not decoded, except that pings are
// answered (the daemon closes a WebSocket that stays silent through its idle timeout).
struct WsFrames {
  std::array<unsigned char, 14> head{};
  std::uint8_t have = 0, need = 2;
  bool in_payload = false;
  unsigned char opcode = 0;
  std::uint64_t left = 0;
  std::string ping;

  // Feeds bytes; calls pong(payload) for each complete ping.
  template <class Pong>
  void feed(const char* p, std::size_t n, Pong&& pong) {
    const char* end = p + n;
    while (p < end) {
      if (!in_payload) {
        head[have++] = static_cast<unsigned char>(*p++);
        if (have == 2) {
          const unsigned len7 = head[1] & 0x7fu;
          need = static_cast<std::uint8_t>(2 +
                                           (len7 == 126   ? 2
                                            : len7 == 127 ? 8
                                                          : 0) +
                                           ((head[1] & 0x80u) ? 4 : 0));
        }
        if (have < 2 || have < need) continue;
        const unsigned len7 = head[1] & 0x7fu;
        left = len7;
        if (len7 == 126) left = (std::uint64_t{head[2]} << 8) | head[3];
        if (len7 == 127) {
          left = 0;
          for (int i = 2; i < 10; ++i) left = (left << 8) | head[i];
        }
        opcode = head[0] & 0x0fu;
        have = 0;
        need = 2;
        in_payload = true;
        ping.clear();
      } else {
        const auto take = static_cast<std::size_t>(
            std::min<std::uint64_t>(left, static_cast<std::uint64_t>(end - p)));
        if (opcode == 0x9 && ping.size() < 125) ping.append(p, std::min<std::size_t>(take, 125));
        p += take;
        left -= take;
      }
      if (in_payload && left == 0) {
        in_payload = false;
        if (opcode == 0x9) pong(ping);
      }
    }
  }
};

// The audio clock of an Ogg stream: the granule position (48 kHz samples for Opus) of the
// last page header read. The stream starts on a page boundary after the response head.
struct OggClock {
  std::string head;        // the page header being read: 27 bytes and the segment table
  std::uint64_t skip = 0;  // page body bytes still to pass
  std::int64_t granule = -1;
  bool lost = false;  // not a page where one should start

  void feed(const char* p, std::size_t n) {
    while (n > 0 && !lost) {
      if (skip > 0) {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(skip, n));
        p += take;
        n -= take;
        skip -= take;
        continue;
      }
      head.push_back(*p++);
      --n;
      if (head.size() < 27) continue;
      if (head.size() == 27 && head.compare(0, 4, "OggS") != 0) {
        lost = true;
        return;
      }
      const std::size_t segments = static_cast<unsigned char>(head[26]);
      if (head.size() < 27 + segments) continue;
      std::uint64_t g = 0;
      for (int i = 13; i >= 6; --i) g = (g << 8) | static_cast<unsigned char>(head[i]);
      if (g != ~std::uint64_t{0}) granule = static_cast<std::int64_t>(g);  // -1: no packet ends
      for (std::size_t i = 0; i < segments; ++i) skip += static_cast<unsigned char>(head[27 + i]);
      head.clear();
    }
  }
};

enum class State : std::uint8_t { connecting, head, body, dropped, failed };

struct Conn {
  int fd = -1;
  State state = State::connecting;
  std::uint64_t bytes = 0;  // after the response head
  std::uint32_t reads = 0;  // recv calls that returned data, in the body
  bool pending_connect = false;
  Clock::time_point connect_at{};
  Clock::time_point last_data{};
  double max_gap_s = 0;
  std::string head;
  std::unique_ptr<WsFrames> ws;
  std::unique_ptr<OggClock> ogg;  // the reference listener's audio clock
};

struct Group {
  std::string label;
  unsigned short port = 0;
  Transport transport = Transport::http;
  std::string request;
  int target = 0;
  Clock::time_point ramp_start{};
  std::vector<Conn> conns;
  int answered = 0;    // got a response head, or failed before it
  int connecting = 0;  // handshake not yet answered
  int connect_retries = 0;
  Clock::time_point last_retry_scan{};
  int streaming = 0, dropped = 0, failed = 0;
  Clock::time_point last_admitted{};
  std::map<std::string, int> failures;  // reason -> count
  bool closed = false;
  bool audio_clock = false;  // read the Ogg pages' audio clock (the reference listener)
};

class LoadClient {
 public:
  LoadClient(const Options& o) : opts_(o), buffer_(256 * 1024) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
  }
  ~LoadClient() {
    for (std::size_t g = 0; g < groups_.size(); ++g) close_group(static_cast<int>(g));
    ::close(ep_);
  }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Starts opening `count` listeners to 127.0.0.1:port; the run loop connects them.
  int open_group(const std::string& label, unsigned short port, const std::string& path,
                 Transport transport, int count, bool audio_clock = false) {
    auto g = std::make_unique<Group>();
    g->audio_clock = audio_clock;
    g->label = label;
    g->port = port;
    g->transport = transport;
    g->target = count;
    g->conns.reserve(static_cast<std::size_t>(count));
    g->request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                 "\r\nUser-Agent: listeners_bench\r\nAccept: */*\r\n";
    if (transport == Transport::ws)
      g->request +=
          "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Key: bGlzdGVuZXJzX2JlbmNoIQ==\r\n";
    g->request += "\r\n";
    g->ramp_start = Clock::now();
    groups_.push_back(std::move(g));
    return static_cast<int>(groups_.size()) - 1;
  }

  // Closes every listener of a group with a reset (no TIME_WAIT left behind on either side).
  void close_group(int gi) {
    Group& g = *groups_[static_cast<std::size_t>(gi)];
    const linger reset{1, 0};
    for (auto& c : g.conns) {
      if (c.fd < 0) continue;
      ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(c.fd);
      c.fd = -1;
    }
    g.closed = true;
    g.conns.clear();
    g.conns.shrink_to_fit();
  }

  Group& group(int gi) { return *groups_[static_cast<std::size_t>(gi)]; }

  // Runs the loop until `deadline` or until done() holds (checked every pass).
  void run_until(Clock::time_point deadline, const std::function<bool()>& done = {}) {
    std::array<epoll_event, 4096> events{};
    for (;;) {
      auto now = Clock::now();
      if (now >= deadline || (done && done())) return;
      const bool ramping = ramp(now);
      const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      const int timeout =
          static_cast<int>(std::clamp<long long>(left_ms.count(), 0, ramping ? 5 : 100));
      const int n = ::epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout);
      now = Clock::now();
      for (int i = 0; i < n; ++i) handle(events[static_cast<std::size_t>(i)], now);
      // Nap so that the next poll finds many arrivals at once; not while connecting.
      if (!ramping && opts_.nap_ms > 0 && n < static_cast<int>(events.size()))
        std::this_thread::sleep_for(std::min<Clock::duration>(
            std::chrono::milliseconds(opts_.nap_ms), deadline - Clock::now()));
    }
  }

 private:
  static std::uint64_t key(std::size_t g, std::size_t c) { return (g << 32) | c; }

  // Opens what the ramp allows; true while a group still has listeners to open.
  bool ramp(Clock::time_point now) {
    bool more = false;
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      Group& g = *groups_[gi];
      if (g.closed) continue;
      if (g.connecting > 0 && now - g.last_retry_scan > 50ms) {
        g.last_retry_scan = now;
        retry_stalled_connects(gi, g, now);
      }
      const int started = static_cast<int>(g.conns.size());
      if (started >= g.target) {
        more = more || g.connecting > 0;
        continue;
      }
      const int due = std::min(
          g.target, static_cast<int>(seconds_between(g.ramp_start, now) * opts_.ramp_per_s) + 1);
      int open = started;
      while (open < due && open - g.answered < opts_.max_pending &&
             g.connecting < opts_.max_connecting) {
        connect_one(gi, g);
        ++open;
      }
      more = more || open < g.target;
    }
    return more;
  }

  void fail(Group& g, Conn& c, const std::string& why) {
    if (c.pending_connect) --g.connecting;
    c.pending_connect = false;
    if (c.state == State::connecting || c.state == State::head) ++g.answered;
    c.state = State::failed;
    ++g.failed;
    ++g.failures[why];
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }

  void connect_one(std::size_t gi, Group& g) {
    g.conns.emplace_back();
    if (g.transport == Transport::ws) g.conns.back().ws = std::make_unique<WsFrames>();
    if (g.audio_clock) g.conns.back().ogg = std::make_unique<OggClock>();
    start_connect(gi, g, g.conns.size() - 1);
  }

  // A handshake unanswered for connect_retry_ms had its SYN dropped by a full accept queue;
  // the kernel would send it again only after 1, 3, 7... s: a fresh connect goes now.
  void retry_stalled_connects(std::size_t gi, Group& g, Clock::time_point now) {
    const auto limit = std::chrono::milliseconds(opts_.connect_retry_ms);
    for (std::size_t ci = 0; ci < g.conns.size() && g.connecting > 0; ++ci) {
      Conn& c = g.conns[ci];
      if (!c.pending_connect || now - c.connect_at < limit) continue;
      ::close(c.fd);
      c.fd = -1;
      c.pending_connect = false;
      --g.connecting;
      ++g.connect_retries;
      start_connect(gi, g, ci);
    }
  }

  void start_connect(std::size_t gi, Group& g, std::size_t ci) {
    Conn& c = g.conns[ci];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(g, c, std::string("socket: ") + std::strerror(errno));
    c.connect_at = Clock::now();
    const sockaddr_in a = loopback(g.port);
    const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    if (rc != 0 && errno != EINPROGRESS)
      return fail(g, c, std::string("connect: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN | (rc == 0 ? 0u : static_cast<unsigned>(EPOLLOUT));
    ev.data.u64 = key(gi, ci);
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0)
      return fail(g, c, std::string("epoll_ctl: ") + std::strerror(errno));
    if (rc == 0) return send_request(gi, g, c, ci, false);
    c.pending_connect = true;
    ++g.connecting;
  }

  void send_request(std::size_t gi, Group& g, Conn& c, std::size_t ci, bool was_pending) {
    // The request is small: one send into an empty socket buffer.
    const ssize_t sent = ::send(c.fd, g.request.data(), g.request.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(g.request.size()))
      return fail(g, c, std::string("send: ") + (sent < 0 ? std::strerror(errno) : "short"));
    c.state = State::head;
    if (was_pending) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = key(gi, ci);
      ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    }
  }

  void handle(const epoll_event& ev, Clock::time_point now) {
    const std::size_t gi = ev.data.u64 >> 32, ci = ev.data.u64 & 0xffffffffu;
    Group& g = *groups_[gi];
    if (g.closed || ci >= g.conns.size()) return;
    Conn& c = g.conns[ci];
    if (c.fd < 0) return;
    if (c.state == State::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return fail(g, c, std::string("connect: ") + std::strerror(err));
      if (!(ev.events & EPOLLOUT)) return;
      c.pending_connect = false;
      --g.connecting;
      return send_request(gi, g, c, ci, true);
    }
    const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {  // end of stream or an error: the server closed this listener
      if (c.state == State::head) return fail(g, c, "closed before the response head");
      c.state = State::dropped;
      --g.streaming;
      ++g.dropped;
      ::close(c.fd);
      c.fd = -1;
      return;
    }
    const char* data = buffer_.data();
    auto size = static_cast<std::size_t>(n);
    if (c.state == State::head) {
      c.head.append(data, size);
      const auto end = c.head.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.head.size() > 16384) fail(g, c, "response head over 16 KiB");
        return;
      }
      const char* want = g.transport == Transport::ws ? " 101" : " 200";
      if (c.head.size() < 12 || c.head.compare(0, 5, "HTTP/") != 0 ||
          c.head.compare(8, 4, want) != 0)
        return fail(g, c, "answered " + c.head.substr(0, c.head.find('\r')));
      // The bytes after the head are body: hand them on below.
      const std::size_t body = c.head.size() - (end + 4);
      data = buffer_.data() + (size - body);
      size = body;
      std::string().swap(c.head);
      c.state = State::body;
      c.last_data = now;
      ++g.answered;
      ++g.streaming;
      g.last_admitted = now;
      if (size == 0) return;
    }
    c.bytes += size;
    ++c.reads;
    c.max_gap_s = std::max(c.max_gap_s, seconds_between(c.last_data, now));
    c.last_data = now;
    if (c.ogg) c.ogg->feed(data, size);
    if (c.ws)
      c.ws->feed(data, size, [&](const std::string& payload) {
        std::string pong = {static_cast<char>(0x8a),
                            static_cast<char>(0x80 | static_cast<unsigned>(payload.size())),
                            0,
                            0,
                            0,
                            0};  // masked with the zero key: the payload as it is
        pong += payload;
        ::send(c.fd, pong.data(), pong.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      });
  }

  const Options& opts_;
  int ep_ = -1;
  std::vector<char> buffer_;
  std::vector<std::unique_ptr<Group>> groups_;
};

// Bytes and reads per listener of a group at one moment.
struct Snapshot {
  Clock::time_point t;
  std::vector<std::uint64_t> bytes;
  std::vector<std::uint32_t> reads;
  std::vector<State> state;
};

Snapshot snapshot(Group& g) {
  Snapshot s;
  s.t = Clock::now();
  for (const auto& c : g.conns) {
    s.bytes.push_back(c.bytes);
    s.reads.push_back(c.reads);
    s.state.push_back(c.state);
  }
  return s;
}

// The stream's live rate from a reference listener on the daemon (the same window for the
// figures; since past its burst for the round's line).
struct Reference {
  int group = -1;
  Clock::time_point t0{};
  std::uint64_t bytes0 = 0;
  bool started = false;

  double kib_s(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || g.conns[0].state != State::body) return 0;
    if (!started) return 0;
    const double s = seconds_between(t0, Clock::now());
    return s > 0 ? static_cast<double>(g.conns[0].bytes - bytes0) / 1024.0 / s : 0;
  }
  // Bytes received so far; 0 when the reference lost the stream.
  std::uint64_t bytes(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || g.conns[0].state != State::body) return 0;
    return g.conns[0].bytes;
  }
  // Audio position (s) of the stream the reference receives; negative when unknown.
  double audio_s(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || !g.conns[0].ogg || g.conns[0].ogg->lost) return -1;
    return static_cast<double>(g.conns[0].ogg->granule) / 48000.0;
  }
  void mark(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || g.conns[0].state != State::body) return;
    t0 = Clock::now();
    bytes0 = g.conns[0].bytes;
    started = true;
  }
};

// ---------------------------------------------------------------------------------------------
// The servers of one round

constexpr const char* kMount = "/auralis.ogg";

std::vector<std::string> auralis_args(const Options& o, unsigned short port) {
  std::vector<std::string> a = {o.auralis_bin, "--listen", "127.0.0.1:" + std::to_string(port)};
  // Room for every bench listener from one address, and a fixed seed so that rounds play the
  // same music; --set from the command line comes later and wins.
  for (const std::string s :
       {"log.level=warn", "limits.max_listeners=30000", "limits.max_listeners_per_session=30000",
        "limits.max_listeners_per_ip=0", "engine.primary=cpu", "session.seed=7"}) {
    a.push_back("--set");
    a.push_back(s);
  }
  for (const auto& s : o.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

// Icecast refuses to run as root: as root the bench runs it as Debian's icecast2 user.
std::optional<RunAs> icecast_user() {
  if (::geteuid() != 0) return std::nullopt;
  for (const char* name : {"icecast2", "icecast", "nobody"})
    if (const passwd* pw = ::getpwnam(name)) return RunAs{pw->pw_uid, pw->pw_gid, name};
  throw std::runtime_error("running as root and no icecast2 or nobody user to run icecast2 as");
}

std::string icecast_config(const std::string& dir, unsigned short port, const std::string& password,
                           int clients) {
  const std::string path = dir + "/icecast.xml";
  std::ofstream f(path);
  // As its users run it for a large audience: queue 512 KiB, burst 64 KiB (Icecast's own
  // defaults), room for every listener.
  f << "<icecast>\n"
       "  <location>loopback</location>\n  <admin>bench@localhost</admin>\n"
       "  <limits>\n"
       "    <clients>"
    << clients
    << "</clients>\n    <sources>2</sources>\n"
       "    <queue-size>524288</queue-size>\n    <client-timeout>30</client-timeout>\n"
       "    <header-timeout>15</header-timeout>\n    <source-timeout>10</source-timeout>\n"
       "    <burst-on-connect>1</burst-on-connect>\n    <burst-size>65536</burst-size>\n"
       "  </limits>\n"
       "  <authentication>\n    <source-password>"
    << password << "</source-password>\n    <admin-user>admin</admin-user>\n    <admin-password>"
    << password
    << "</admin-password>\n  </authentication>\n"
       "  <hostname>127.0.0.1</hostname>\n"
       "  <listen-socket>\n    <port>"
    << port
    << "</port>\n    <bind-address>127.0.0.1</bind-address>\n  </listen-socket>\n"
       "  <fileserve>0</fileserve>\n"
       "  <paths>\n    <basedir>/usr/share/icecast2</basedir>\n    <logdir>"
    << dir
    << "</logdir>\n"
       "    <webroot>/usr/share/icecast2/web</webroot>\n"
       "    <adminroot>/usr/share/icecast2/admin</adminroot>\n  </paths>\n"
       "  <logging>\n    <accesslog>icecast-access.log</accesslog>\n"
       "    <errorlog>icecast-error.log</errorlog>\n    <loglevel>2</loglevel>\n"
       "  </logging>\n"
       "  <security>\n    <chroot>0</chroot>\n  </security>\n</icecast>\n";
  return path;
}

struct Round {
  std::string dir;
  std::unique_ptr<Child> auralis, icecast, ffmpeg;
  unsigned short aport = 0, iport = 0;
  long auralis_idle_rss_kib = 0, icecast_idle_rss_kib = 0;
  Reference ref_http, ref_ws;
  // The live rates (KiB/s) measured with no load: a reference listener under load could fall
  // behind with the others and hide it.
  double http_live = 0, ws_live = 0;

  ~Round() {  // the source first, then the servers
    ffmpeg.reset();
    icecast.reset();
    auralis.reset();
  }
};

void start_round(const Options& o, const std::optional<RunAs>& ice_as, LoadClient& client, Round& r,
                 int round) {
  r.aport = free_port();
  r.auralis = std::make_unique<Child>("auralis", auralis_args(o, r.aport),
                                      r.dir + "/auralis-round" + std::to_string(round) + ".log");
  if (!wait_for_status(r.aport, "/readyz", 200, 60, *r.auralis))
    throw std::runtime_error("auralis did not become ready within 60 s; " + r.auralis->log() +
                             ":\n" + tail_of(r.auralis->log()));
  // The live rate comes from reference listeners on the daemon, held for the whole round.
  r.ref_http.group =
      client.open_group("reference", r.aport, "/stream/default.ogg", Transport::http, 1, true);

  if (measures(o, "auralis-ws"))
    r.ref_ws.group = client.open_group("reference-ws", r.aport, "/ws/default", Transport::ws, 1);

  if (measures(o, "icecast")) {
    r.iport = free_port();
    const std::string password = "bench" + std::to_string(::getpid());
    const int max_n = *std::max_element(o.counts.begin(), o.counts.end());
    const std::string conf = icecast_config(r.dir, r.iport, password, max_n + 100);
    r.icecast =
        std::make_unique<Child>("icecast2", std::vector<std::string>{o.icecast_bin, "-c", conf},
                                r.dir + "/icecast-round" + std::to_string(round) + ".out", ice_as);
    const auto deadline = after(20);
    while (http_status(r.iport, "/") == 0 && Clock::now() < deadline && r.icecast->alive())
      client.run_until(after(0.1));
    if (!r.icecast->alive() || http_status(r.iport, "/") == 0)
      throw std::runtime_error("icecast2 did not start within 20 s:\n" + tail_of(r.icecast->log()) +
                               tail_of(r.dir + "/icecast-error.log"));
    r.ffmpeg = std::make_unique<Child>(
        "ffmpeg",
        std::vector<std::string>{
            o.ffmpeg_bin, "-nostdin", "-hide_banner", "-loglevel", "warning", "-i",
            "http://127.0.0.1:" + std::to_string(r.aport) + "/stream/default.ogg", "-c", "copy",
            "-f", "ogg", "-page_duration", std::to_string(o.icecast_page_ms * 1000LL),
            "-content_type", "audio/ogg", "-ice_name", "auralis listeners_bench",
            "icecast://source:" + password + "@127.0.0.1:" + std::to_string(r.iport) + kMount},
        r.dir + "/ffmpeg-round" + std::to_string(round) + ".log");
    const auto live_by = after(30);
    bool live = false;
    while (!live && Clock::now() < live_by && r.ffmpeg->alive() && r.icecast->alive()) {
      client.run_until(after(0.2));
      live = http_status(r.iport, kMount) == 200;
    }
    if (!live)
      throw std::runtime_error("the icecast2 mount never went live within 30 s; ffmpeg:\n" +
                               tail_of(r.ffmpeg->log()) + "\nicecast2:\n" +
                               tail_of(r.dir + "/icecast-error.log"));
  }
  // Past the references' bursts and the first phrase: then the live rate is counted.
  client.run_until(after(4));
  r.ref_http.mark(client);
  if (measures(o, "auralis-ws")) r.ref_ws.mark(client);
  client.run_until(after(6));
  r.http_live = r.ref_http.kib_s(client);
  if (measures(o, "auralis-ws")) r.ws_live = r.ref_ws.kib_s(client);
  if (r.http_live <= 0 || (measures(o, "auralis-ws") && r.ws_live <= 0))
    throw std::runtime_error("the reference listeners got no stream from the idle daemon");
  r.auralis_idle_rss_kib = sample_process(r.auralis->pid()).rss_kib;
  if (r.icecast) r.icecast_idle_rss_kib = sample_process(r.icecast->pid()).rss_kib;
}

// ---------------------------------------------------------------------------------------------
// One measurement: a server, N listeners, steady state.

struct Result {
  std::string server;  // auralis, icecast, auralis-ws
  int n = 0, round = 0;
  bool steady = false;
  std::string error;
  double admit_s = 0, steady_s = 0, window_s = 0;
  double idle_cores = 0, gross_cores = 0;
  double gross_us = 0, net_us = 0;  // server CPU us per listener-second
  long idle_rss_kib = 0, rss_kib = 0, rss_peak_kib = 0;
  double rss_per_listener_kib = 0;       // (RSS in the window - the fresh server's idle RSS) / N
  double ramp_rss_per_listener_kib = 0;  // (RSS in the window - RSS before this ramp) / N
  double audio_rate = 0;                 // the stream's audio seconds per second in the window
  double ref_kib_s = 0;                  // the reference listener's rate in the window
  bool daemon_metrics = false;           // the daemon's counters over the window (/metrics)
  double server_writes_per_ls = 0;       // socket writes per listener-second
  double skips = 0, drops = 0, skips_before = 0, drops_before = 0, underruns = 0, misses = 0;
  double live_kib_s = 0, min_kib_s = 0, median_kib_s = 0, max_kib_s = 0;
  int held = 0, behind = 0, late = 0, dropped = 0, failed = 0;
  double max_gap_s = 0, reads_per_ls = 0;
  double client_cores = 0, machine_busy = 0, load = 0;
};

std::string format(const char* fmt, double x) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

Result measure(const Options& o, LoadClient& client, Round& r, const std::string& server, int n,
               int round) {
  const bool ws = server == "auralis-ws";
  const bool ice = server == "icecast";
  Child& child = ice ? *r.icecast : *r.auralis;
  const unsigned short port = ice ? r.iport : r.aport;
  const std::string path = ice ? kMount : ws ? "/ws/default" : "/stream/default.ogg";
  Reference& ref = ws ? r.ref_ws : r.ref_http;
  const double idle_live = ws ? r.ws_live : r.http_live;
  // The live rate of a window: the idle rate, times the stream's pace when the daemon renders
  // slower than real time (the reference's audio clock).
  auto live_over = [&](double audio_from, double audio_to, double seconds) {
    const double pace =
        audio_from >= 0 && audio_to > audio_from ? (audio_to - audio_from) / seconds : 1.0;
    return idle_live * std::min(1.0, pace);
  };
  // icecast2 writes whole pages of the relayed stream: a listener's count over a window may be
  // a page short of the audio that went by.
  const double page_s = ice ? o.icecast_page_ms / 1000.0 : 0.0;
  auto floor_of = [&](double share, double seconds) {
    return share * std::max(0.0, 1.0 - page_s / seconds);
  };
  Result res;
  res.server = server;
  res.n = n;
  res.round = round;
  res.idle_rss_kib = ice ? r.icecast_idle_rss_kib : r.auralis_idle_rss_kib;
  // The measured server, and for icecast2 its source too.
  auto alive = [&] { return child.alive() && (!ice || (r.ffmpeg->alive() && r.auralis->alive())); };
  auto tag = [&] {
    return "[round " + std::to_string(round) + " " + server + " N=" + std::to_string(n) + "]";
  };

  if (!alive()) {
    res.error = "the server (or icecast2's source) exited earlier in this round";
    std::printf("%s FAILED: %s\n", tag().c_str(), res.error.c_str());
    return res;
  }

  // 1. Idle: the server with no bench listener.
  const auto b0 = sample_process(child.pid());
  const auto bt0 = Clock::now();
  client.run_until(after(o.baseline_s), [&] { return !alive(); });
  const auto b1 = sample_process(child.pid());
  res.idle_cores = (b1.cpu_s - b0.cpu_s) / seconds_between(bt0, Clock::now());

  // 2. Admission: every listener answered.
  const long rss_before_ramp = sample_process(child.pid()).rss_kib;
  // The daemon's own counters: writes, listeners skipped to the live edge, dropped, render.
  const bool daemon = !ice;
  std::map<std::string, double> met_ramp, met0, met1;
  if (daemon) met_ramp = daemon_metrics(port);
  const int gi = client.open_group(server, port, path, ws ? Transport::ws : Transport::http, n);
  Group& g = client.group(gi);
  const auto t0 = Clock::now();
  const double admit_limit = 20 + static_cast<double>(n) / o.admit_rate;
  std::vector<double> queue;
  const long long overflows0 = listen_overflows();
  auto next_sample = Clock::now();
  client.run_until(after(admit_limit), [&] {
    if (Clock::now() >= next_sample) {  // how many wait for the server's accept()?
      next_sample = after(0.1);
      queue.push_back(accept_queue(port));
    }
    return !alive() || (static_cast<int>(g.conns.size()) == n && g.answered == n);
  });
  res.admit_s = seconds_between(t0, g.streaming > 0 ? g.last_admitted : Clock::now());
  auto counts_text = [&] {
    std::string s = std::to_string(g.streaming) + " streaming, " +
                    std::to_string(g.connect_retries) + " connects started again, " +
                    std::to_string(g.failed) + " failed, " + std::to_string(g.dropped) +
                    " dropped, " + std::to_string(static_cast<int>(g.conns.size()) - g.answered) +
                    " unanswered";
    for (const auto& [why, count] : g.failures) s += "; " + std::to_string(count) + "x " + why;
    return s;
  };
  std::string error;
  if (!alive())
    error = "a child exited during admission";
  else if (g.streaming != n)
    error = "not all admitted within " + std::to_string(static_cast<int>(admit_limit)) +
            " s: " + counts_text();
  const long long overflows = listen_overflows() - overflows0;
  const auto waiting = std::count_if(queue.begin(), queue.end(), [](double q) { return q > 0; });
  std::printf(
      "%s admission %.1f s (%.0f listeners/s): %s\n"
      "    waiting for the server's accept(): median %.0f, max %.0f, none in %.0f%% of %zu "
      "samples; %lld dropped on a full accept queue (the machine's ListenOverflows)\n",
      tag().c_str(), res.admit_s, res.admit_s > 0 ? g.streaming / res.admit_s : 0.0,
      counts_text().c_str(), median(queue),
      queue.empty() ? 0.0 : *std::max_element(queue.begin(), queue.end()),
      queue.empty() ? 0.0 : 100.0 * static_cast<double>(queue.size() - waiting) / queue.size(),
      queue.size(), overflows);
  std::fflush(stdout);

  // 3. Steady: over a check window every listener gets at least 75% of the live rate.
  if (error.empty()) {
    client.run_until(after(o.settle_s));
    const auto steady_by = after(o.steady_timeout_s);
    for (;;) {
      const Snapshot a = snapshot(g);
      const double aa = r.ref_http.audio_s(client);
      client.run_until(after(o.check_s), [&] { return !alive(); });
      const Snapshot b = snapshot(g);
      const double s = seconds_between(a.t, b.t);
      const double live = live_over(aa, r.ref_http.audio_s(client), s);
      int under = 0;
      for (std::size_t i = 0; i < b.bytes.size(); ++i)
        if (b.state[i] != State::body ||
            static_cast<double>(b.bytes[i] - a.bytes[i]) / 1024.0 / s < floor_of(0.75, s) * live)
          ++under;
      if (!alive()) {
        error = "a child exited before steady state";
        break;
      }
      if (under == 0) break;
      if (Clock::now() >= steady_by) {
        error = "not steady within " + std::to_string(static_cast<int>(o.steady_timeout_s)) +
                " s of admission: " + std::to_string(under) + " of " + std::to_string(n) +
                " under 75% of the live rate (or gone)";
        break;
      }
      std::printf("%s %d listeners under 75%% of the live rate; checking again\n", tag().c_str(),
                  under);
      std::fflush(stdout);
    }
    res.steady_s = seconds_between(t0, Clock::now());
  }

  // 4. The window (measured even when not steady, to show what the server did).
  for (auto& c : g.conns) c.max_gap_s = 0;
  if (daemon) met0 = daemon_metrics(port);
  const Snapshot w0 = snapshot(g);
  const auto s0 = sample_process(child.pid());
  const auto m0 = sample_machine();
  const double c0 = self_cpu_s();
  const double a0 = r.ref_http.audio_s(client);
  const std::uint64_t ref0 = ref.bytes(client);
  long peak = s0.rss_kib;
  const auto window_end = after(o.window_s);
  while (Clock::now() < window_end && alive()) {
    client.run_until(std::min(window_end, after(1)));
    peak = std::max(peak, sample_process(child.pid()).rss_kib);
  }
  const bool ok = alive();
  const auto s1 = sample_process(child.pid());
  const auto m1 = sample_machine();
  const double c1 = self_cpu_s();
  const Snapshot w1 = snapshot(g);
  const double a1 = r.ref_http.audio_s(client);
  if (daemon && ok) met1 = daemon_metrics(port);
  res.window_s = seconds_between(w0.t, w1.t);
  const std::uint64_t ref1 = ref.bytes(client);
  res.ref_kib_s =
      ref0 > 0 && ref1 > ref0 ? static_cast<double>(ref1 - ref0) / 1024.0 / res.window_s : 0;
  res.audio_rate = a0 >= 0 && a1 >= 0 ? (a1 - a0) / res.window_s : 0;
  res.live_kib_s = live_over(a0, a1, res.window_s);
  res.load = load_average();
  if (!ok && error.empty()) error = "a child exited during the window";

  res.gross_cores = (s1.cpu_s - s0.cpu_s) / res.window_s;
  res.gross_us = res.gross_cores / n * 1e6;
  res.net_us = (res.gross_cores - res.idle_cores) / n * 1e6;
  res.client_cores = (c1 - c0) / res.window_s;
  res.machine_busy = m1.total > m0.total ? static_cast<double>(m1.busy - m0.busy) /
                                               static_cast<double>(m1.total - m0.total)
                                         : 0;
  res.rss_kib = s1.rss_kib;
  res.rss_peak_kib = peak;
  res.rss_per_listener_kib = static_cast<double>(s1.rss_kib - res.idle_rss_kib) / n;
  res.ramp_rss_per_listener_kib = static_cast<double>(s1.rss_kib - rss_before_ramp) / n;
  std::vector<double> rates;
  double reads = 0;
  const auto now = Clock::now();
  for (std::size_t i = 0; i < w1.bytes.size(); ++i) {
    if (w0.state[i] != State::body) continue;
    const Conn& c = g.conns[i];
    if (c.state == State::body) ++res.held;
    if (c.state == State::dropped) ++res.dropped;
    const double gap =
        c.state == State::body ? std::max(c.max_gap_s, seconds_between(c.last_data, now)) : 1e9;
    if (gap > o.late_gap_s) ++res.late;
    if (c.state == State::body) res.max_gap_s = std::max(res.max_gap_s, gap);
    rates.push_back(static_cast<double>(w1.bytes[i] - w0.bytes[i]) / 1024.0 / res.window_s);
    reads += w1.reads[i] - w0.reads[i];
  }
  res.failed = g.failed;
  res.dropped = g.dropped;
  if (!rates.empty()) {
    std::sort(rates.begin(), rates.end());
    res.min_kib_s = rates.front();
    res.median_kib_s = median(rates);
    res.max_kib_s = rates.back();
    for (double x : rates)
      if (x < floor_of(0.9, res.window_s) * res.live_kib_s) ++res.behind;
    res.reads_per_ls = reads / static_cast<double>(rates.size()) / res.window_s;
  }
  // Listeners that never streamed count as behind too.
  res.behind += n - static_cast<int>(rates.size());
  if (daemon && !met1.empty()) {
    auto delta = [](auto& later, auto& earlier, const char* name) {
      return later[name] - earlier[name];
    };
    res.daemon_metrics = true;
    res.server_writes_per_ls =
        delta(met1, met0, "auralis_listener_writes_total") / (n + 1.0) / res.window_s;
    res.skips = delta(met1, met0, "auralis_listener_skips_total");
    res.drops = delta(met1, met0, "auralis_listener_drops_total");
    res.skips_before = delta(met0, met_ramp, "auralis_listener_skips_total");
    res.drops_before = delta(met0, met_ramp, "auralis_listener_drops_total");
    res.underruns = delta(met1, met0, "auralis_underrun_frames_total");
    res.misses = delta(met1, met0, "auralis_deadline_misses_total");
  }
  if (error.empty() &&
      (res.behind > 0 || res.dropped > 0 || res.held != n || res.skips > 0 || res.drops > 0))
    error = std::to_string(res.behind) + " under 90% of the live rate, " +
            std::to_string(res.dropped) + " dropped since admission" +
            (res.daemon_metrics ? ", the daemon skipped " + format("%.0f", res.skips) +
                                      " to the live edge and dropped " + format("%.0f", res.drops) +
                                      " in the window"
                                : "");
  res.steady = error.empty();
  res.error = error;

  std::printf("%s %s%.1f s window\n", tag().c_str(),
              res.steady ? "" : "NOT STEADY, figures not comparable: ", res.window_s);
  std::printf(
      "    server CPU  %.2f%% of a core (idle before the ramp %.2f%%): %.1f us per "
      "listener-second, net of idle %.1f\n",
      res.gross_cores * 100, res.idle_cores * 100, res.gross_us, res.net_us);
  std::printf(
      "    server RSS  %.1f MiB (peak %.1f): %.2f KiB per listener over the fresh server's "
      "%.1f MiB, %.2f over the RSS before this ramp\n",
      static_cast<double>(res.rss_kib) / 1024, static_cast<double>(res.rss_peak_kib) / 1024,
      res.rss_per_listener_kib, static_cast<double>(res.idle_rss_kib) / 1024,
      res.ramp_rss_per_listener_kib);
  std::printf(
      "    listeners   %d held; KiB/s min %.2f, median %.2f, max %.2f (live %.2f; the stream "
      "ran at %.3fx real time; the reference listener %.2f); %d under 90%% of live, %d late (gap > "
      "%.1f s; longest "
      "%.2f s), %d dropped since admission, %d failed; %.2f reads per listener-second\n",
      res.held, res.min_kib_s, res.median_kib_s, res.max_kib_s, res.live_kib_s, res.audio_rate,
      res.ref_kib_s, res.behind, res.late, o.late_gap_s, res.max_gap_s, res.dropped, res.failed,
      res.reads_per_ls);
  if (res.daemon_metrics)
    std::printf(
        "    daemon      %.2f writes per listener-second; %.0f listeners skipped to the "
        "live edge and %.0f dropped in the window (%.0f and %.0f between the ramp and the "
        "window); %.0f underrun frames, %.0f render deadline misses\n",
        res.server_writes_per_ls, res.skips, res.drops, res.skips_before, res.drops_before,
        res.underruns, res.misses);
  std::printf("    client      %.2f%% of a core; the machine %.0f%% busy (all cores), load %.1f\n",
              res.client_cores * 100, res.machine_busy * 100, res.load);
  if (!res.steady) std::printf("%s FAILED: %s\n", tag().c_str(), res.error.c_str());
  std::fflush(stdout);

  // Close, and let the server notice before the next measurement.
  client.close_group(gi);
  client.run_until(after(3));
  return res;
}

// ---------------------------------------------------------------------------------------------
// Summary: medians and spreads over the rounds, ratios.

std::string spread(const std::vector<double>& v, const char* fmt) {
  if (v.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return format(fmt, median(v)) + " [" + format(fmt, *lo) + "-" + format(fmt, *hi) + "]";
}

void print_summary(const Options& o, const std::vector<Result>& results) {
  auto pick = [&](const std::string& s, int n, const std::function<double(const Result&)>& f) {
    std::vector<double> v;
    for (const auto& r : results)
      if (r.server == s && r.n == n && r.steady) v.push_back(f(r));
    return v;
  };
  struct Row {
    const char* title;
    const char* fmt;
    std::function<double(const Result&)> field;
  };
  const std::vector<Row> rows = {
      {"server CPU, % of a core", "%.2f", [](const Result& r) { return r.gross_cores * 100; }},
      {"  idle, before the ramp", "%.2f", [](const Result& r) { return r.idle_cores * 100; }},
      {"CPU us per listener-second", "%.1f", [](const Result& r) { return r.gross_us; }},
      {"  net of idle", "%.1f", [](const Result& r) { return r.net_us; }},
      {"RSS MiB", "%.1f", [](const Result& r) { return r.rss_kib / 1024.0; }},
      {"  KiB per listener (fresh)", "%.2f",
       [](const Result& r) { return r.rss_per_listener_kib; }},
      {"  KiB per listener (ramp)", "%.2f",
       [](const Result& r) { return r.ramp_rss_per_listener_kib; }},
      {"median KiB/s per listener", "%.2f", [](const Result& r) { return r.median_kib_s; }},
      {"reads per listener-second", "%.2f", [](const Result& r) { return r.reads_per_ls; }},
      {"client CPU, % of a core", "%.2f", [](const Result& r) { return r.client_cores * 100; }},
      {"machine busy, %", "%.0f", [](const Result& r) { return r.machine_busy * 100; }},
      {"load average", "%.1f", [](const Result& r) { return r.load; }},
  };
  std::printf(
      "\nsummary: median [min-max] over the steady rounds. Net: above the server's own CPU with "
      "no bench listener,\nmeasured just before (the daemon's render + encode). KiB per listener: "
      "RSS in the window over the fresh\nserver's idle RSS (fresh), or over its RSS just before "
      "this ramp (ramp; freed memory is kept by both).\n");
  for (int n : o.counts) {
    std::printf("\nN=%-26d", n);
    for (const auto& s : o.servers) std::printf(" %24s", s.c_str());
    std::printf("\n%-28s", "steady rounds");
    for (const auto& s : o.servers) {
      int steady = 0, all = 0;
      for (const auto& r : results)
        if (r.server == s && r.n == n) {
          ++all;
          steady += r.steady;
        }
      std::printf(" %24s", (std::to_string(steady) + " of " + std::to_string(all)).c_str());
    }
    std::printf("\n");
    for (const auto& row : rows) {
      std::printf("%-28s", row.title);
      for (const auto& s : o.servers)
        std::printf(" %24s", spread(pick(s, n, row.field), row.fmt).c_str());
      std::printf("\n");
    }
    for (const auto& r : results)
      if (r.n == n && !r.steady)
        std::printf("%s, round %d FAILED: %s\n", r.server.c_str(), r.round, r.error.c_str());
  }

  // Ratios of the medians, and per round (the servers measured a minute or two apart).
  auto ratios = [&](const std::string& a, const std::string& b, const char* title) {
    for (int n : o.counts) {
      auto ga = pick(a, n, [](const Result& r) { return r.gross_us; });
      auto gb = pick(b, n, [](const Result& r) { return r.gross_us; });
      if (ga.empty() || gb.empty()) continue;
      auto m = [&](const std::string& s, double (*f)(const Result&)) {
        return median(pick(s, n, f));
      };
      auto net = [](const Result& r) { return r.net_us; };
      auto rss = [](const Result& r) { return static_cast<double>(r.rss_kib); };
      auto per = [](const Result& r) { return r.rss_per_listener_kib; };
      std::string per_round;
      for (int round = 1; round <= o.rounds; ++round) {
        const Result *x = nullptr, *y = nullptr;
        for (const auto& r : results) {
          if (r.n != n || r.round != round || !r.steady) continue;
          if (r.server == a) x = &r;
          if (r.server == b) y = &r;
        }
        if (x && y && y->gross_us > 0) per_round += " " + format("%.2f", x->gross_us / y->gross_us);
      }
      auto ratio = [](double x, double y) { return y > 0 ? format("%.2fx", x / y) : "-"; };
      std::printf(
          "%s, N=%d: CPU per listener-second %s (net of idle %s; per round%s), RSS %s, RSS per "
          "listener %s\n",
          title, n, ratio(median(ga), median(gb)).c_str(), ratio(m(a, net), m(b, net)).c_str(),
          per_round.c_str(), ratio(m(a, rss), m(b, rss)).c_str(),
          ratio(m(a, per), m(b, per)).c_str());
    }
  };
  std::printf("\n");
  ratios("auralis", "icecast", "auralis / icecast2");
  ratios("auralis-ws", "auralis", "auralis WebSocket / HTTP");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    return 2;
  }
  const std::vector<std::string>& servers = o.servers;
  const int max_n = *std::max_element(o.counts.begin(), o.counts.end());
  if (o.max_total_s <= 0) {  // every wait is bounded; this is their sum, and some slack
    double per_round = 120;  // starting the servers
    for (int n : o.counts)
      per_round += static_cast<double>(servers.size()) *
                   (o.baseline_s + 20 + static_cast<double>(n) / o.admit_rate + o.settle_s +
                    o.steady_timeout_s + o.check_s + o.window_s + 45);
    o.max_total_s = per_round * o.rounds;
  }
  std::signal(SIGINT, on_fatal_signal);
  std::signal(SIGTERM, on_fatal_signal);
  std::signal(SIGHUP, on_fatal_signal);
  std::signal(SIGALRM, on_fatal_signal);
  std::signal(SIGPIPE, SIG_IGN);
  ::alarm(static_cast<unsigned>(o.max_total_s));

  // The bench and the servers each hold one descriptor per listener: the soft limit goes up to
  // the hard one, and the children inherit it (icecast2 does not raise its own).
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  std::optional<RunAs> ice_as;
  try {
    if (measures(o, "icecast")) ice_as = icecast_user();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    return 2;
  }
  std::printf("listeners_bench: counts");
  for (int n : o.counts) std::printf(" %d", n);
  std::printf(
      ", %d rounds, window %.0f s, idle baseline %.0f s, ramp %d/s (at most %d connecting, %d "
      "unanswered), servers:",
      o.rounds, o.window_s, o.baseline_s, o.ramp_per_s, o.max_connecting, o.max_pending);
  for (const auto& s : servers) std::printf(" %s", s.c_str());
  std::printf(
      "\n  open-file limit %llu (children inherit it); %u CPU cores; load average %.2f; time "
      "limit %.0f s\n",
      static_cast<unsigned long long>(lim.rlim_cur), std::thread::hardware_concurrency(),
      load_average(), o.max_total_s);
  if (measures(o, "icecast"))
    std::printf(
        "  icecast2: queue 512 KiB, burst 64 KiB, source ffmpeg -c copy with %d ms Ogg pages, "
        "run as %s\n",
        o.icecast_page_ms, ice_as ? ice_as->name.c_str() : "this user");
  if (lim.rlim_cur < static_cast<rlim_t>(max_n) + 200) {
    std::fprintf(stderr,
                 "listeners_bench: the open-file limit %llu is below N=%d: raise ulimit -Hn\n",
                 static_cast<unsigned long long>(lim.rlim_cur), max_n);
    return 2;
  }
  std::fflush(stdout);

  char dir_template[] = "/tmp/auralis-listeners-bench-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = dir_template;
  ::chmod(dir.c_str(), 0755);
  if (ice_as && ::chown(dir.c_str(), ice_as->uid, ice_as->gid) != 0)  // icecast2's logs
    std::perror("chown");

  std::vector<Result> results;
  int exit_code = 0;
  try {
    for (int round = 1; round <= o.rounds; ++round) {
      LoadClient client(o);
      Round r;
      r.dir = dir;
      start_round(o, ice_as, client, r, round);
      std::printf("round %d: daemon idle RSS %.1f MiB", round, r.auralis_idle_rss_kib / 1024.0);
      if (r.icecast) std::printf(", icecast2 idle RSS %.1f MiB", r.icecast_idle_rss_kib / 1024.0);
      std::printf("; live rate %.2f KiB/s over HTTP", r.http_live);
      if (r.ws_live > 0) std::printf(", %.2f over WebSocket", r.ws_live);
      std::printf("\n");
      std::fflush(stdout);
      // Alternate the order between rounds so that neither server always goes first.
      std::vector<std::string> order = servers;
      if (round % 2 == 0) std::reverse(order.begin(), order.end());
      for (int n : o.counts)
        for (const auto& s : order) results.push_back(measure(o, client, r, s, n, round));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    exit_code = 1;
  }
  print_summary(o, results);
  std::printf("\nload average at the end %.2f; logs: %s\n", load_average(), dir.c_str());
  for (const auto& r : results)
    if (!r.steady) exit_code = 1;
  return exit_code;
}
