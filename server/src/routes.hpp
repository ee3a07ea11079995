// Maps HTTP requests to responses, or to a stream hand-over for /stream/{id}.ogg.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "auralis/config/config.hpp"
#include "auralis/server/metrics.hpp"
#include "auralis/server/session_registry.hpp"
#include "http_responses.hpp"
#include "stream_listener.hpp"

namespace auralis::server {

struct StreamRoute {
  std::shared_ptr<Session> session;
  std::string response_head;  // the HTTP response head for this stream
  bool head_only = false;     // a HEAD request: send the head and close
};
using RouteResult = std::variant<Response, StreamRoute>;

class Routes {
 public:
  Routes(const config::Config& config, SessionRegistry& sessions,
         std::shared_ptr<ListenerMetrics> metrics);

  RouteResult route(const Request& req) const;

  ListenerLimits listener_limits() const { return limits_; }
  const std::shared_ptr<ListenerMetrics>& metrics() const { return metrics_; }

 private:
  Response health(const Request& req) const;
  RouteResult stream(const Request& req, const std::string& id) const;

  const config::Config& config_;
  SessionRegistry& sessions_;
  std::shared_ptr<ListenerMetrics> metrics_;
  ListenerLimits limits_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace auralis::server
