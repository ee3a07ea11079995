// listeners_bench: holds N HTTP stream listeners on one session of a freshly started auralis
// daemon, then the same N on Debian's icecast2 fed the same Ogg Opus stream, and prints server
// CPU seconds per listener-second, resident memory per listener and late/dropped listeners for
// each, with the ratio. Everything runs on 127.0.0.1 and is bounded in time; the children it
// starts are stopped on every exit path.
//
// The client is kept cheap so that the figures are the servers': one io_context thread connects
// the listeners and sweeps every socket with large non-blocking reads on a timer (one recv per
// listener per sweep instead of one async read per arrival); its own CPU is printed too.
//
// usage: listeners_bench [AURALIS_BIN] [--counts 1000,5000,10000] [--seconds 30] [--no-icecast]
//        [--no-auralis] [--ramp-per-s 1000] [--set key=value ...] (see --help)
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string auralis_bin;
  std::string icecast_bin = "icecast2";
  std::vector<int> counts{1000, 5000, 10000};
  double seconds = 30;       // measured window per N
  double settle_s = 3;       // after the last listener connected, before the window
  double baseline_s = 8;     // idle CPU before the listeners connect (subtracted)
  int ramp_per_s = 1000;     // new connections per second, at most
  double ramp_extra_s = 30;  // the ramp may take N / ramp_per_s + this
  int max_pending = 200;     // connections not yet streaming, at most (keeps accept queues short)
  int icecast_max_pending = 4;  // Icecast 2.4 listens with a backlog of 5
  int sweep_ms = 200;           // read sweep period
  double late_gap_s = 2;        // a listener with a data gap longer than this is late
  double max_total_s = 1200;
  bool run_auralis = true;
  bool run_icecast = true;
  std::vector<std::string> sets;  // extra --set key=value for the daemon
};

void usage() {
  std::puts(
      "listeners_bench [AURALIS_BIN] [options]\n"
      "  AURALIS_BIN            the auralis executable (or --auralis PATH, or env AURALIS_BIN)\n"
      "  --counts LIST          listener counts, comma-separated (default 1000,5000,10000)\n"
      "  --seconds S            measured window per count (default 30)\n"
      "  --settle S             wait after the ramp before measuring (default 3)\n"
      "  --baseline S           idle CPU measurement before the ramp (default 8)\n"
      "  --ramp-per-s R         new connections per second, at most (default 1000)\n"
      "  --ramp-extra S         the ramp may take N / ramp-per-s + S seconds (default 30; "
      "icecast2\n"
      "                         admits ~30 listeners/s here: 350 for its N=10000)\n"
      "  --max-pending N        connections not yet streaming, at most (default 200)\n"
      "  --icecast-max-pending N  the same for icecast2, whose listen backlog is 5 (default 4)\n"
      "  --sweep-ms MS          client read sweep period (default 200)\n"
      "  --late-gap S           data gap that makes a listener late (default 2)\n"
      "  --max-total S          hard limit for the whole run; children are killed (default 1200)\n"
      "  --no-auralis           skip the auralis measurement (icecast still needs the daemon)\n"
      "  --no-icecast           skip the icecast2 comparison\n"
      "  --icecast PATH         icecast2 executable (default icecast2 on PATH)\n"
      "  --set key=value        extra daemon setting (repeatable), e.g. stream.fanout_ms=200");
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
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--auralis") {
      o.auralis_bin = value();
    } else if (a == "--icecast") {
      o.icecast_bin = value();
    } else if (a == "--counts") {
      o.counts.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) o.counts.push_back(std::stoi(item));
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--settle") {
      o.settle_s = std::stod(value());
    } else if (a == "--baseline") {
      o.baseline_s = std::stod(value());
    } else if (a == "--ramp-per-s") {
      o.ramp_per_s = std::max(1, std::stoi(value()));
    } else if (a == "--ramp-extra") {
      o.ramp_extra_s = std::stod(value());
    } else if (a == "--max-pending") {
      o.max_pending = std::max(1, std::stoi(value()));
    } else if (a == "--icecast-max-pending") {
      o.icecast_max_pending = std::max(1, std::stoi(value()));
    } else if (a == "--sweep-ms") {
      o.sweep_ms = std::max(10, std::stoi(value()));
    } else if (a == "--late-gap") {
      o.late_gap_s = std::stod(value());
    } else if (a == "--max-total") {
      o.max_total_s = std::stod(value());
    } else if (a == "--no-auralis") {
      o.run_auralis = false;
    } else if (a == "--no-icecast") {
      o.run_icecast = false;
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
  return o;
}

// ---------------------------------------------------------------------------------------------
// Child processes: started with fork/exec, output to a log file, always stopped.

std::vector<pid_t> g_children;  // for the signal handler: kill(2) is async-signal-safe

extern "C" void on_fatal_signal(int sig) {
  for (pid_t pid : g_children)
    if (pid > 0) ::kill(pid, SIGKILL);
  const char msg[] =
      "listeners_bench: stopped by a signal or the --max-total limit; children killed\n";
  [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
  ::_exit(sig == SIGALRM ? 3 : 128 + sig);
}

class Child {
 public:
  Child(std::string name, std::vector<std::string> args, const std::string& log_path)
      : name_(std::move(name)) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the bench (until it changes its uid)
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::execvp(argv[0], argv.data());
      std::fprintf(stderr, "exec %s failed: %s\n", argv[0], std::strerror(errno));
      ::_exit(127);
    }
    g_children.push_back(pid_);
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

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

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + 10s;
    int status = 0;
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return forget();
      std::this_thread::sleep_for(20ms);
    }
    std::fprintf(stderr, "%s did not stop within 10 s: killed\n", name_.c_str());
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    forget();
  }

 private:
  void forget() {
    std::erase(g_children, pid_);
    pid_ = -1;
  }
  std::string name_;
  pid_t pid_ = -1;
};

std::string tail_of(const std::string& path, std::size_t bytes = 3000) {
  std::ifstream f(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// ---------------------------------------------------------------------------------------------
// /proc measurements

struct ProcSample {
  double cpu_s = 0;  // utime + stime of every thread
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

unsigned short free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// One blocking HTTP GET on 127.0.0.1 that reads only the status line; 0 when nothing answers.
int http_status(unsigned short port, const std::string& path) {
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    const std::string req =
        "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: listeners_bench\r\n\r\n";
    asio::write(s, asio::buffer(req));
    asio::streambuf buf;
    asio::read_until(s, buf, "\r\n");
    std::istream is(&buf);
    std::string version;
    int status = 0;
    is >> version >> status;
    return status;
  } catch (const std::exception&) {
    return 0;
  }
}

bool wait_for_status(unsigned short port, const std::string& path, int want, double timeout_s,
                     Child& child) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    if (!child.alive()) return false;
    if (http_status(port, path) == want) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The load client: N listeners on one io_context thread.

struct WindowStats {
  int listeners = 0;  // in the body when the window started
  int late = 0;       // data gap > late_gap_s in the window
  int dropped = 0;    // closed by the server (or error) since connecting
  int failed = 0;     // refused: connect error or a non-200 answer
  double max_gap_s = 0;
  double min_kib_s = 0, median_kib_s = 0;  // per listener in the window
  double total_mib = 0;                    // delivered to all listeners in the window
  std::vector<double> rates;               // KiB/s per listener, sorted
  double max_sweep_ms = 0;                 // longest client sweep (client saturation check)
};

class LoadClient {
 public:
  LoadClient(asio::io_context& io, const Options& o, int max_pending)
      : io_(io), opts_(o), max_pending_(max_pending), sweep_timer_(io), ramp_timer_(io) {
    buffer_.resize(256 * 1024);
  }

  // Starts connecting `count` listeners to 127.0.0.1:port GET path, ramp_per_s per second.
  void start(unsigned short port, const std::string& path, int count) {
    asio::post(io_, [this, port, path, count] {
      endpoint_ = tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
      request_ = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                 "\r\nUser-Agent: auralis-listeners-bench\r\nAccept: */*\r\n\r\n";
      target_ = count;
      ramp_started_ = Clock::now();
      ramp();
      sweep_timer_.expires_after(std::chrono::milliseconds(opts_.sweep_ms));
      sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) sweep();
      });
    });
  }

  int streaming() const { return streaming_.load(); }
  int failed() const { return failed_.load(); }
  int dropped() const { return dropped_.load(); }
  int started() const { return started_.load(); }
  int connected() const { return connected_.load(); }

  void begin_window() {
    run_on_io([this] {
      const auto now = Clock::now();
      window_ = true;
      max_sweep_ = 0;
      for (auto& c : conns_) {
        c->bytes_at_window = c->bytes;
        c->late = false;
        c->max_gap = 0;
        c->in_window = c->state == State::body;
        if (c->in_window)
          c->last_data = std::max(c->last_data, now - std::chrono::milliseconds(opts_.sweep_ms));
      }
      window_start_ = now;
    });
  }

  WindowStats end_window() {
    WindowStats st;
    run_on_io([this, &st] {
      sweep_once();
      const auto now = Clock::now();
      const double window_s = std::chrono::duration<double>(now - window_start_).count();
      std::vector<double> rates;
      for (auto& c : conns_) {
        if (!c->in_window) continue;
        ++st.listeners;
        if (c->state == State::body) note_gap(*c, now);
        if (c->late) ++st.late;
        st.max_gap_s = std::max(st.max_gap_s, c->max_gap);
        rates.push_back(static_cast<double>(c->bytes - c->bytes_at_window) / 1024.0 / window_s);
      }
      window_ = false;
      st.dropped = dropped_;
      st.failed = failed_;
      st.max_sweep_ms = max_sweep_;
      if (!rates.empty()) {
        std::sort(rates.begin(), rates.end());
        st.min_kib_s = rates.front();
        st.median_kib_s = rates[rates.size() / 2];
        for (double x : rates) st.total_mib += x * window_s / 1024.0;
      }
      st.rates = std::move(rates);
    });
    return st;
  }

  // Closes every listener and stops the timers.
  void stop() {
    run_on_io([this] {
      stopping_ = true;
      sweep_timer_.cancel();
      ramp_timer_.cancel();
      for (auto& c : conns_) {
        boost::system::error_code ec;
        c->socket.close(ec);
      }
    });
    // Aborted connects and timers complete with operation_aborted; let them run while this
    // object still exists, then drop the sockets.
    run_on_io([this] { conns_.clear(); });
    run_on_io([] {});
  }

 private:
  enum class State { connecting, head, body, done };
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    State state = State::connecting;
    std::string head;
    std::uint64_t bytes = 0, bytes_at_window = 0;
    Clock::time_point last_data;
    double max_gap = 0;
    bool late = false, in_window = false;
  };

  template <class F>
  void run_on_io(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void ramp() {
    if (stopping_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - ramp_started_).count();
    const int due = std::min(target_, static_cast<int>(elapsed * opts_.ramp_per_s) + 1);
    // A server whose accept queue overflows drops the handshake's last ACK and the client backs
    // off for seconds: keep the connections that are not yet streaming few.
    while (started_ < due && started_ - streaming_ - failed_ - dropped_ < max_pending_)
      connect_one();
    if (started_ < target_) {
      ramp_timer_.expires_after(10ms);
      ramp_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) ramp();
      });
    }
  }

  void connect_one() {
    ++started_;
    conns_.push_back(std::make_unique<Conn>(io_));
    Conn* c = conns_.back().get();
    c->socket.async_connect(endpoint_, [this, c](boost::system::error_code ec) {
      if (stopping_) return;
      if (ec) return fail(*c);
      c->socket.non_blocking(true, ec);
      // The request is small: one non-blocking send goes into an empty socket buffer.
      const auto sent =
          ::send(c->socket.native_handle(), request_.data(), request_.size(), MSG_NOSIGNAL);
      if (ec || sent != static_cast<ssize_t>(request_.size())) return fail(*c);
      c->state = State::head;
      c->last_data = Clock::now();
      ++connected_;
      wait_head(c);
    });
  }

  void fail(Conn& c) {
    ++failed_;
    c.state = State::done;
    boost::system::error_code ec;
    c.socket.close(ec);
  }

  void sweep() {
    if (stopping_) return;
    sweep_once();
    sweep_timer_.expires_after(std::chrono::milliseconds(opts_.sweep_ms));
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) sweep();
    });
  }

  // Reads what `c` has waiting; true when it got bytes.
  bool read_conn(Conn& c) {
    bool got = false;
    for (;;) {
      const ssize_t n =
          ::recv(c.socket.native_handle(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
      if (n > 0) {
        got = true;
        if (c.state == State::head) {
          if (!on_head_bytes(c, static_cast<std::size_t>(n))) break;
        } else {
          c.bytes += static_cast<std::uint64_t>(n);
        }
        if (static_cast<std::size_t>(n) < buffer_.size()) break;  // drained: no second syscall
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      // End of stream or an error: the server dropped this listener.
      if (c.state == State::body) {
        ++dropped_;
        --streaming_;
      } else {
        ++failed_;
      }
      c.state = State::done;
      boost::system::error_code ec;
      c.socket.close(ec);
      break;
    }
    return got;
  }

  // Until its response head arrives a listener waits for it by itself, so that the pending
  // count (and the ramp) moves as fast as the server answers; then the sweeps read it.
  void wait_head(Conn* c) {
    c->socket.async_wait(tcp::socket::wait_read, [this, c](boost::system::error_code ec) {
      if (stopping_ || ec || c->state != State::head) return;
      read_conn(*c);
      if (c->state == State::head) wait_head(c);
    });
  }

  void sweep_once() {
    const auto t0 = Clock::now();
    for (auto& cp : conns_) {
      Conn& c = *cp;
      if (c.state != State::head && c.state != State::body) continue;
      const bool got = read_conn(c);
      if (c.state != State::body) continue;
      const auto now = Clock::now();
      if (got) {
        if (window_ && c.in_window) note_gap(c, now);
        c.last_data = now;
      }
    }
    max_sweep_ =
        std::max(max_sweep_, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (window_) {
      const auto now = Clock::now();
      for (auto& cp : conns_)
        if (cp->in_window && cp->state == State::body) note_gap(*cp, now, false);
    }
  }

  void note_gap(Conn& c, Clock::time_point now, bool record = true) {
    const double gap = std::chrono::duration<double>(now - c.last_data).count();
    if (record) c.max_gap = std::max(c.max_gap, gap);
    if (gap > opts_.late_gap_s) {
      c.late = true;
      c.max_gap = std::max(c.max_gap, gap);
    }
  }

  // Collects the response head; returns false when the listener was refused.
  bool on_head_bytes(Conn& c, std::size_t n) {
    c.head.append(buffer_.data(), n);
    const auto end = c.head.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c.head.size() > 16384) {
        fail(c);
        return false;
      }
      return true;
    }
    // "HTTP/1.1 200 OK" (auralis) or "HTTP/1.0 200 OK" (icecast).
    if (c.head.size() < 12 || c.head.compare(0, 5, "HTTP/") != 0 ||
        c.head.compare(8, 4, " 200") != 0) {
      if (failed_reports_++ < 3)
        std::fprintf(stderr, "  refused: %s\n", c.head.substr(0, c.head.find('\r')).c_str());
      fail(c);
      return false;
    }
    c.bytes += c.head.size() - (end + 4);
    c.head.clear();
    c.head.shrink_to_fit();
    c.state = State::body;
    ++streaming_;
    return true;
  }

  asio::io_context& io_;
  const Options& opts_;
  const int max_pending_;
  asio::steady_timer sweep_timer_, ramp_timer_;
  tcp::endpoint endpoint_;
  std::string request_;
  std::vector<char> buffer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  int target_ = 0;
  Clock::time_point ramp_started_, window_start_;
  bool window_ = false, stopping_ = false;
  double max_sweep_ = 0;
  int failed_reports_ = 0;
  std::atomic<int> started_{0}, connected_{0}, streaming_{0}, failed_{0}, dropped_{0};
};

// ---------------------------------------------------------------------------------------------
// Source relay: auralis' /stream/default.ogg, page for page, into an Icecast mount (HTTP PUT).

std::string base64(const std::string& in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = -6;
  for (unsigned char ch : in) {
    v = (v << 8) | ch;
    bits += 8;
    while (bits >= 0) {
      out += k[(v >> bits) & 0x3f];
      bits -= 6;
    }
  }
  if (bits > -6) out += k[((v << 8) >> (bits + 8)) & 0x3f];
  while (out.size() % 4) out += '=';
  return out;
}

class SourceRelay : public std::enable_shared_from_this<SourceRelay> {
 public:
  SourceRelay(asio::io_context& io, unsigned short auralis_port, unsigned short icecast_port,
              std::string mount, std::string password)
      : in_(io),
        out_(io),
        auralis_port_(auralis_port),
        icecast_port_(icecast_port),
        mount_(std::move(mount)),
        password_(std::move(password)) {}

  // Connects both ends (blocking: called before the io thread serves the relay).
  void connect() {
    const auto lo = asio::ip::make_address("127.0.0.1");
    out_.connect(tcp::endpoint(lo, icecast_port_));
    const std::string put =
        "PUT " + mount_ + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(icecast_port_) +
        "\r\nAuthorization: Basic " + base64("source:" + password_) +
        "\r\nUser-Agent: listeners_bench\r\nContent-Type: audio/ogg\r\nIce-Public: 0\r\n"
        "Ice-Name: auralis bench\r\n\r\n";
    asio::write(out_, asio::buffer(put));
    in_.connect(tcp::endpoint(lo, auralis_port_));
    const std::string get =
        "GET /stream/default.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
        "listeners_bench\r\n\r\n";
    asio::write(in_, asio::buffer(get));
  }

  void start() {
    read_in();
    read_out();
  }
  void stop() {
    stopped_ = true;
    boost::system::error_code ec;
    in_.close(ec);
    out_.close(ec);
  }
  bool failed() const { return failed_; }
  std::uint64_t relayed() const { return relayed_; }

 private:
  void read_in() {
    in_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                boost::system::error_code ec, std::size_t n) {
      if (ec) return self->fail("auralis stream: " + ec.message());
      std::size_t skip = 0;
      if (!self->head_done_) {
        self->head_.append(self->buf_.data(), n);
        const auto end = self->head_.find("\r\n\r\n");
        if (end == std::string::npos) return self->read_in();
        self->head_done_ = true;
        skip = n - (self->head_.size() - (end + 4));
      }
      asio::async_write(self->out_, asio::buffer(self->buf_.data() + skip, n - skip),
                        [self](boost::system::error_code e, std::size_t w) {
                          if (e) return self->fail("icecast source: " + e.message());
                          self->relayed_ += w;
                          self->read_in();
                        });
    });
  }
  void read_out() {
    out_.async_read_some(asio::buffer(answer_), [self = shared_from_this()](
                                                    boost::system::error_code ec, std::size_t n) {
      if (ec) return self->fail("icecast closed the source connection: " + ec.message());
      const std::string text(self->answer_.data(), n);
      if (text.starts_with("HTTP/") && text.compare(8, 4, " 200") != 0 &&
          text.compare(8, 4, " 100") != 0)
        return self->fail("icecast refused the source: " + text.substr(0, text.find('\r')));
      self->read_out();
    });
  }
  void fail(const std::string& why) {
    if (stopped_) return;
    if (!failed_.exchange(true)) std::fprintf(stderr, "  relay: %s\n", why.c_str());
    stop();
  }

  tcp::socket in_, out_;
  unsigned short auralis_port_, icecast_port_;
  std::string mount_, password_;
  std::array<char, 65536> buf_{};
  std::array<char, 4096> answer_{};
  std::string head_;
  bool head_done_ = false;
  bool stopped_ = false;
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> relayed_{0};
};

// ---------------------------------------------------------------------------------------------
// One measurement: a server process, N listeners.

struct Result {
  std::string server;
  int n = 0;
  bool ok = false;
  std::string error;
  double window_s = 0;
  double baseline_cores = 0;  // idle server CPU (cores) before the listeners
  double gross_cores = 0;     // server CPU (cores) with the listeners
  double cpu_per_ls = 0;      // (gross - baseline) CPU s per listener-second
  double gross_per_ls = 0;
  long rss_base_kib = 0, rss_peak_kib = 0;
  double rss_per_listener_kib = 0;       // growth over the ramp (before -> window start)
  double rss_peak_per_listener_kib = 0;  // peak in the window over the RSS before the ramp
  double client_cores = 0;
  double live_kib_s = 0;   // the stream's rate, from one listener on the idle server
  int behind = 0;          // listeners that got under 90% of the live rate in the window
  double cpu_per_gib = 0;  // net server CPU s per GiB delivered
  double ramp_s = 0;
  WindowStats stats;
};

Result measure(const Options& o, asio::io_context& io, const std::string& server, Child& child,
               unsigned short port, const std::string& path, int n) {
  Result r;
  r.server = server;
  r.n = n;
  std::printf("[%s] N=%d: idle baseline %.0f s\n", server.c_str(), n, o.baseline_s);
  std::fflush(stdout);
  // One reference listener on the idle server gives the stream's live rate; the idle CPU is
  // measured with it attached (its cost is negligible next to the idle session's).
  {
    LoadClient reference(io, o, 1);
    reference.start(port, path, 1);
    std::this_thread::sleep_for(2s);  // past the burst
    reference.begin_window();
    const auto b0 = sample_process(child.pid());
    std::this_thread::sleep_for(std::chrono::duration<double>(o.baseline_s));
    const auto b1 = sample_process(child.pid());
    r.baseline_cores = (b1.cpu_s - b0.cpu_s) / o.baseline_s;
    r.live_kib_s = reference.end_window().median_kib_s;
    reference.stop();
  }

  LoadClient client(io, o, server == "icecast" ? o.icecast_max_pending : o.max_pending);
  r.rss_base_kib = sample_process(child.pid()).rss_kib;
  const auto ramp_t0 = Clock::now();
  client.start(port, path, n);
  const double ramp_limit_s = static_cast<double>(n) / o.ramp_per_s + o.ramp_extra_s;
  while (client.streaming() + client.failed() + client.dropped() < n) {
    if (std::chrono::duration<double>(Clock::now() - ramp_t0).count() > ramp_limit_s ||
        !child.alive())
      break;
    std::this_thread::sleep_for(50ms);
  }
  r.ramp_s = std::chrono::duration<double>(Clock::now() - ramp_t0).count();
  std::printf(
      "[%s] N=%d: %d streaming, %d refused, %d dropped, %d connecting, %d awaiting the response "
      "after %.1f s ramp; settling %.0f s\n",
      server.c_str(), n, client.streaming(), client.failed(), client.dropped(),
      client.started() - client.connected(),
      client.connected() - client.streaming() - client.failed() - client.dropped(), r.ramp_s,
      o.settle_s);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.settle_s));

  client.begin_window();
  const auto w0 = Clock::now();
  const auto s0 = sample_process(child.pid());
  const double c0 = self_cpu_s();
  long peak = s0.rss_kib;
  while (Clock::now() - w0 < std::chrono::duration<double>(o.seconds) && child.alive()) {
    std::this_thread::sleep_for(500ms);
    peak = std::max(peak, sample_process(child.pid()).rss_kib);
  }
  const bool alive = child.alive();
  const auto s1 = alive ? sample_process(child.pid()) : s0;
  const double c1 = self_cpu_s();
  r.window_s = std::chrono::duration<double>(Clock::now() - w0).count();
  r.stats = client.end_window();
  client.stop();

  if (!alive) {
    r.error = server + " exited during the measurement";
    return r;
  }
  r.gross_cores = (s1.cpu_s - s0.cpu_s) / r.window_s;
  r.client_cores = (c1 - c0) / r.window_s;
  const double listener_s = static_cast<double>(std::max(1, r.stats.listeners)) * r.window_s;
  r.gross_per_ls = (s1.cpu_s - s0.cpu_s) / listener_s;
  r.cpu_per_ls = std::max(0.0, (s1.cpu_s - s0.cpu_s) - r.baseline_cores * r.window_s) / listener_s;
  r.rss_peak_kib = peak;
  for (double x : r.stats.rates)
    if (x < 0.9 * r.live_kib_s) ++r.behind;
  if (r.stats.total_mib > 0)
    r.cpu_per_gib = std::max(0.0, (s1.cpu_s - s0.cpu_s) - r.baseline_cores * r.window_s) /
                    (r.stats.total_mib / 1024.0);
  const int listeners = std::max(1, r.stats.listeners);
  r.rss_per_listener_kib = static_cast<double>(s0.rss_kib - r.rss_base_kib) / listeners;
  r.rss_peak_per_listener_kib = static_cast<double>(peak - r.rss_base_kib) / listeners;
  r.ok = r.stats.listeners > 0;
  if (!r.ok) r.error = "no listener streamed";
  std::printf(
      "[%s] N=%d: %.1f s window: server %.3f cores (idle %.3f), %.2f us CPU per listener-second "
      "(gross %.2f), "
      "RSS %.1f KiB/listener (peak %.1f), late %d, dropped %d, refused %d, per-listener %.1f-%.1f "
      "KiB/s, "
      "client %.3f cores "
      "(longest sweep %.0f ms)\n",
      server.c_str(), n, r.window_s, r.gross_cores, r.baseline_cores, r.cpu_per_ls * 1e6,
      r.gross_per_ls * 1e6, r.rss_per_listener_kib, r.rss_peak_per_listener_kib, r.stats.late,
      r.stats.dropped, r.stats.failed, r.stats.min_kib_s, r.stats.median_kib_s, r.client_cores,
      r.stats.max_sweep_ms);
  std::fflush(stdout);
  // Let the server notice the closed sockets before it is stopped.
  std::this_thread::sleep_for(1s);
  return r;
}

std::vector<std::string> auralis_args(const Options& o, unsigned short port) {
  std::vector<std::string> a = {o.auralis_bin, "--listen", "127.0.0.1:" + std::to_string(port)};
  // Room for every bench listener from one address; the bench's own defaults come first so
  // that --set from the command line wins.
  for (const std::string s :
       {"log.level=warn", "stream.fanout_ms=100", "limits.max_listeners=20000",
        "limits.max_listeners_per_session=20000", "limits.max_listeners_per_ip=0",
        "engine.primary=cpu"}) {
    a.push_back("--set");
    a.push_back(s);
  }
  for (const auto& s : o.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

std::unique_ptr<Child> start_auralis(const Options& o, const std::string& dir,
                                     unsigned short& port) {
  port = free_port();
  const std::string log = dir + "/auralis-" + std::to_string(port) + ".log";
  auto child = std::make_unique<Child>("auralis", auralis_args(o, port), log);
  if (!wait_for_status(port, "/readyz", 200, 60, *child))
    throw std::runtime_error("auralis did not become ready; log " + log + ":\n" + tail_of(log));
  return child;
}

std::string icecast_config(const std::string& dir, unsigned short port,
                           const std::string& password) {
  const std::string path = dir + "/icecast-" + std::to_string(port) + ".xml";
  std::ofstream f(path);
  // Limits raised for the load; queue and burst comparable with auralis' defaults
  // (stream.listener_queue_kib = 512, stream.burst_ms = 500: 8 KiB at 128 kb/s).
  f << "<icecast>\n"
       "  <location>loopback</location>\n  <admin>bench@localhost</admin>\n"
       "  <limits>\n"
       "    <clients>12000</clients>\n    <sources>2</sources>\n"
       "    <queue-size>524288</queue-size>\n    <client-timeout>30</client-timeout>\n"
       "    <header-timeout>15</header-timeout>\n    <source-timeout>10</source-timeout>\n"
       "    <burst-on-connect>1</burst-on-connect>\n    <burst-size>8192</burst-size>\n"
       "  </limits>\n"
       "  <authentication>\n"
       "    <source-password>"
    << password << "</source-password>\n    <relay-password>" << password
    << "</relay-password>\n"
       "    <admin-user>admin</admin-user>\n    <admin-password>"
    << password << "</admin-password>\n  </authentication>\n"
    << "  <hostname>127.0.0.1</hostname>\n"
       "  <listen-socket>\n    <port>"
    << port << "</port>\n    <bind-address>127.0.0.1</bind-address>\n  </listen-socket>\n"
    << "  <fileserve>0</fileserve>\n"
       "  <paths>\n    <basedir>/usr/share/icecast2</basedir>\n    <logdir>"
    << dir << "</logdir>\n"
    << "    <webroot>/usr/share/icecast2/web</webroot>\n    "
       "<adminroot>/usr/share/icecast2/admin</adminroot>\n"
       "  </paths>\n"
       "  <logging>\n    <accesslog>icecast-access.log</accesslog>\n    "
       "<errorlog>icecast-error.log</errorlog>\n"
       "    <loglevel>2</loglevel>\n    <logsize>100000</logsize>\n  </logging>\n"
       "  <security>\n    <chroot>0</chroot>\n";
  // Icecast refuses to run as root: as root it binds, then drops to nobody.
  if (::geteuid() == 0)
    f << "    <changeowner>\n      <user>nobody</user>\n      <group>nogroup</group>\n    "
         "</changeowner>\n";
  f << "  </security>\n</icecast>\n";
  return path;
}

void print_table(const std::vector<Result>& results) {
  std::printf("\n%-8s %6s %6s %8s %7s %12s %12s %10s %11s %5s %7s %7s %6s %15s %7s\n", "server",
              "N", "held", "window", "cores", "CPU s/lis-s", "(gross)", "CPU s/GiB", "RSS KiB/lis",
              "late", "dropped", "refused", "behind", "KiB/s min-med", "client");
  for (const auto& r : results) {
    if (!r.ok) {
      std::printf("%-8s %6d  FAILED: %s\n", r.server.c_str(), r.n, r.error.c_str());
      continue;
    }
    std::printf(
        "%-8s %6d %6d %7.1fs %7.3f %12.3e %12.3e %10.2f %11.1f %5d %7d %7d %6d %5.1f-%4.1f/%4.1f "
        "%7.3f\n",
        r.server.c_str(), r.n, r.stats.listeners, r.window_s, r.gross_cores, r.cpu_per_ls,
        r.gross_per_ls, r.cpu_per_gib, r.rss_per_listener_kib, r.stats.late, r.stats.dropped,
        r.stats.failed, r.behind, r.stats.min_kib_s, r.stats.median_kib_s, r.live_kib_s,
        r.client_cores);
  }
  bool header = false;
  for (const auto& a : results) {
    if (a.server != "auralis" || !a.ok) continue;
    for (const auto& b : results) {
      if (b.server != "icecast" || b.n != a.n || !b.ok) continue;
      if (!header) {
        std::printf("\nauralis / icecast   %6s %14s %14s %14s %14s\n", "N", "CPU (net)",
                    "CPU (gross)", "CPU per GiB", "RSS/listener");
        header = true;
      }
      auto ratio = [](double x, double y) { return y > 0 ? x / y : 0.0; };
      std::printf("                    %6d %14.3f %14.3f %14.3f %14.3f\n", a.n,
                  ratio(a.cpu_per_ls, b.cpu_per_ls), ratio(a.gross_per_ls, b.gross_per_ls),
                  ratio(a.cpu_per_gib, b.cpu_per_gib),
                  ratio(a.rss_per_listener_kib, b.rss_per_listener_kib));
    }
  }
  std::printf(
      "\nCPU s/lis-s: server CPU seconds per listener-second above its idle baseline (gross: "
      "including the idle\n"
      "session's rendering and encoding). held: listeners streaming in the window. RSS KiB/lis: "
      "VmRSS growth over the ramp / "
      "listeners. late: data\n"
      "gap over the limit; dropped: closed by the server; refused: not served; behind: got under "
      "90%% of the\nlive rate (KiB/s: min-median/live, one listener on the idle server). CPU "
      "s/GiB: "
      "net server CPU per GiB\ndelivered. client: the bench's own cores.\n");
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
  std::signal(SIGINT, on_fatal_signal);
  std::signal(SIGTERM, on_fatal_signal);
  std::signal(SIGALRM, on_fatal_signal);
  std::signal(SIGPIPE, SIG_IGN);
  ::alarm(static_cast<unsigned>(o.max_total_s));

  // Both the bench and its children hold one descriptor per listener.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  const int max_n = o.counts.empty() ? 0 : *std::max_element(o.counts.begin(), o.counts.end());
  std::printf("listeners_bench: open-file limit %llu (children inherit it); %u CPU cores\n",
              static_cast<unsigned long long>(lim.rlim_cur), std::thread::hardware_concurrency());
  if (lim.rlim_cur < static_cast<rlim_t>(max_n) + 200)
    std::printf("warning: the open-file limit is below N=%d: raise ulimit -Hn\n", max_n);

  char dir_template[] = "/tmp/auralis-listeners-bench-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = dir_template;
  ::chmod(dir.c_str(), 0777);  // icecast writes its logs here after dropping to nobody

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });

  std::vector<Result> results;
  int exit_code = 0;
  try {
    if (o.run_auralis) {
      for (int n : o.counts) {
        unsigned short port = 0;
        auto daemon = start_auralis(o, dir, port);
        std::this_thread::sleep_for(2s);  // first phrase rendered, pacer steady
        results.push_back(measure(o, io, "auralis", *daemon, port, "/stream/default.ogg", n));
        daemon->stop();
      }
    }
    if (o.run_icecast) {
      unsigned short aport = 0;
      auto daemon = start_auralis(o, dir, aport);
      const std::string password = "bench-" + std::to_string(::getpid());
      for (int n : o.counts) {
        const unsigned short iport = free_port();
        const std::string conf = icecast_config(dir, iport, password);
        Child icecast("icecast2", {o.icecast_bin, "-c", conf},
                      dir + "/icecast-" + std::to_string(iport) + ".out");
        const auto deadline = Clock::now() + 20s;
        while (http_status(iport, "/") == 0 && Clock::now() < deadline && icecast.alive())
          std::this_thread::sleep_for(100ms);
        if (!icecast.alive() || http_status(iport, "/") == 0) {
          Result r{"icecast", n};
          r.error = "icecast2 did not start: " +
                    tail_of(dir + "/icecast-" + std::to_string(iport) + ".out") +
                    tail_of(dir + "/icecast-error.log");
          results.push_back(r);
          continue;
        }
        auto relay = std::make_shared<SourceRelay>(io, aport, iport, "/auralis.ogg", password);
        relay->connect();
        asio::post(io, [relay] { relay->start(); });
        if (!wait_for_status(iport, "/auralis.ogg", 200, 20, icecast) || relay->failed()) {
          Result r{"icecast", n};
          r.error = "the icecast mount never went live; " + tail_of(dir + "/icecast-error.log");
          results.push_back(r);
          asio::post(io, [relay] { relay->stop(); });
          continue;
        }
        std::this_thread::sleep_for(2s);
        results.push_back(measure(o, io, "icecast", icecast, iport, "/auralis.ogg", n));
        if (relay->failed()) results.back().error += " (the source relay failed)";
        asio::post(io, [relay] { relay->stop(); });
        icecast.stop();
      }
      daemon->stop();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    exit_code = 1;
  }
  work.reset();
  io.stop();
  io_thread.join();
  print_table(results);
  std::printf("logs: %s\n", dir.c_str());
  for (const auto& r : results)
    if (!r.ok) exit_code = 1;
  return exit_code;
}
