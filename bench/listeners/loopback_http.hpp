// Plain blocking HTTP on 127.0.0.1: probes, the daemon's /metrics.
#pragma once

#include <netinet/in.h>

#include <map>
#include <string>

namespace listeners_bench {

sockaddr_in loopback(unsigned short port);
unsigned short free_port();

// One GET (2 s bounds): the whole answer of a server that closes after it, or only up to the
// end of the status line (a stream never ends). Empty when nothing answers.
std::string http_get(unsigned short port, const std::string& path, bool whole);

// The status code of a GET; 0 when nothing answers.
int http_status(unsigned short port, const std::string& path);

// The daemon's /metrics, each metric summed over its series.
std::map<std::string, double> daemon_metrics(unsigned short port);

}  // namespace listeners_bench
