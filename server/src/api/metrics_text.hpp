// Prometheus text exposition (format 0.0.4) of the daemon's counters. Written by hand:
// prometheus-cpp is not packaged for Debian 12, and the format is a few lines of text.
#pragma once

#include <optional>
#include <string>

#include "sessions/session_manager.hpp"
#include "streaming/icecast_source.hpp"
#include "streaming/listener_metrics.hpp"

namespace auralis::server {

// `icecast`: the push's state when the daemon pushes to an Icecast server.
std::string render_metrics(const SessionManager& sessions, const ListenerMetrics& listeners,
                           const std::optional<IcecastStatus>& icecast);

}  // namespace auralis::server
