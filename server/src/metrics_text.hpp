// Prometheus text exposition (format 0.0.4) of the daemon's counters. Written by hand:
// prometheus-cpp is not packaged for Debian 12, and the format is a few lines of text.
#pragma once

#include <string>

#include "auralis/server/metrics.hpp"
#include "auralis/server/session_manager.hpp"

namespace auralis::server {

std::string render_metrics(const SessionManager& sessions, const ListenerMetrics& listeners);

}  // namespace auralis::server
