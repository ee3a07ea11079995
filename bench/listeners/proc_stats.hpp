// What /proc says about a process, the bench itself, the machine and a listening socket.
#pragma once

#include <sys/types.h>

namespace listeners_bench {

struct ProcSample {
  double cpu_s = 0;  // utime + stime of every thread, living or ended
  long rss_kib = 0;
};

ProcSample sample_process(pid_t pid);

// This process's own CPU seconds (user + system).
double self_cpu_s();

// The whole machine's busy and total jiffies (/proc/stat), to say how shared it was.
struct MachineSample {
  unsigned long long busy = 0, total = 0;
};

MachineSample sample_machine();
double load_average();

// Connections waiting for accept() on 127.0.0.1:port; -1 when no such listening socket. A
// queue that is seldom empty during a ramp means that the server, not the client, holds
// admission back.
int accept_queue(unsigned short port);

// The machine's count of connections dropped on a full accept queue (TcpExt ListenOverflows).
long long listen_overflows();

}  // namespace listeners_bench
