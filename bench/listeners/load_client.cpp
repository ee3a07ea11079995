#include "listeners/load_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "listeners/loopback_http.hpp"

namespace listeners_bench {
namespace {

std::uint64_t key(std::size_t g, std::size_t c) {
  return (g << 32) | c;
}

}  // namespace

LoadClient::LoadClient(const ClientPacing& pacing) : pacing_(pacing), buffer_(256 * 1024) {
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
}

LoadClient::~LoadClient() {
  for (std::size_t g = 0; g < groups_.size(); ++g) close_group(static_cast<int>(g));
  ::close(ep_);
}
// Starts opening `count` listeners to 127.0.0.1:port; the run loop connects them.
int LoadClient::open_group(const std::string& label, unsigned short port, const std::string& path,
                           Transport transport, int count, StreamFormat format) {
  auto g = std::make_unique<Group>();
  g->label = label;
  g->port = port;
  g->transport = transport;
  g->format = format;
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
void LoadClient::close_group(int gi) {
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

// Runs the loop until `deadline` or until done() holds (checked every pass).
void LoadClient::run_until(Clock::time_point deadline, const std::function<bool()>& done) {
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
    if (!ramping && pacing_.nap_ms > 0 && n < static_cast<int>(events.size()))
      std::this_thread::sleep_for(std::min<Clock::duration>(
          std::chrono::milliseconds(pacing_.nap_ms), deadline - Clock::now()));
  }
}

// Opens what the ramp allows; true while a group still has listeners to open.
bool LoadClient::ramp(Clock::time_point now) {
  bool more = false;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    Group& g = *groups_[gi];
    if (g.closed) continue;
    if (g.connecting > 0 && now - g.last_retry_scan > std::chrono::milliseconds(50)) {
      g.last_retry_scan = now;
      retry_stalled_connects(gi, g, now);
    }
    const int started = static_cast<int>(g.conns.size());
    if (started >= g.target) {
      more = more || g.connecting > 0;
      continue;
    }
    const int due = std::min(
        g.target, static_cast<int>(seconds_between(g.ramp_start, now) * pacing_.ramp_per_s) + 1);
    int open = started;
    while (open < due && open - g.answered < pacing_.max_pending &&
           g.connecting < pacing_.max_connecting) {
      connect_one(gi, g);
      ++open;
    }
    more = more || open < g.target;
  }
  return more;
}

void LoadClient::fail(Group& g, Conn& c, const std::string& why) {
  if (c.pending_connect) --g.connecting;
  c.pending_connect = false;
  if (c.state == State::connecting || c.state == State::head) ++g.answered;
  c.state = State::failed;
  ++g.failed;
  ++g.failures[why];
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
}

void LoadClient::connect_one(std::size_t gi, Group& g) {
  g.conns.emplace_back();
  if (g.transport == Transport::ws) g.conns.back().ws = std::make_unique<WsFrames>();
  if (g.transport == Transport::http) {
    if (g.format == StreamFormat::mp3)
      g.conns.back().clock = std::make_unique<Mp3Clock>();
    else
      g.conns.back().clock = std::make_unique<OggClock>();
  }
  start_connect(gi, g, g.conns.size() - 1);
}

// A handshake unanswered for connect_retry_ms had its SYN dropped by a full accept queue;
// the kernel would send it again only after 1, 3, 7... s: a fresh connect goes now.
void LoadClient::retry_stalled_connects(std::size_t gi, Group& g, Clock::time_point now) {
  const auto limit = std::chrono::milliseconds(pacing_.connect_retry_ms);
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

void LoadClient::start_connect(std::size_t gi, Group& g, std::size_t ci) {
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

void LoadClient::send_request(std::size_t gi, Group& g, Conn& c, std::size_t ci, bool was_pending) {
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

void LoadClient::handle(const epoll_event& ev, Clock::time_point now) {
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
    if (c.head.size() < 12 || c.head.compare(0, 5, "HTTP/") != 0 || c.head.compare(8, 4, want) != 0)
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
  if (c.clock) c.clock->feed(data, size);
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

Snapshot snapshot(const Group& g) {
  Snapshot s;
  s.t = Clock::now();
  for (const auto& c : g.conns) {
    s.bytes.push_back(c.bytes);
    s.reads.push_back(c.reads);
    s.state.push_back(c.state);
    s.audio_s.push_back(c.clock ? c.clock->audio_s() : -1.0);
  }
  return s;
}

}  // namespace listeners_bench
