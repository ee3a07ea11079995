#include "listeners/proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace listeners_bench {

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

int accept_queue(unsigned short port) {
  // /proc/net/tcp lists listening sockets first: reading stops at the first other one.
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

}  // namespace listeners_bench
