#include "listeners/loopback_http.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace listeners_bench {

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
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("no free port on 127.0.0.1");
  return ntohs(a.sin_port);
}

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
    } catch (const std::exception&) {  // a header line or a value that is not a number
    }
  }
  return m;
}

}  // namespace listeners_bench
