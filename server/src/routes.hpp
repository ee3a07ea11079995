// Maps HTTP requests to responses (REST API, health, metrics, web player), or to a stream
// hand-over: /stream/{id}.ogg (HTTP Ogg) and /ws/{id} (WebSocket).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "auralis/config/config.hpp"
#include "auralis/server/metrics.hpp"
#include "auralis/server/session_manager.hpp"
#include "http_responses.hpp"
#include "listener_limiter.hpp"
#include "stream_listener.hpp"

namespace auralis::server {

struct StreamRoute {
  std::shared_ptr<Session> session;
  std::string response_head;  // the HTTP response head for this stream
  bool head_only = false;     // a HEAD request: send the head and close
  ListenerLimiter::TicketPtr ticket;
};
struct WebSocketRoute {
  std::shared_ptr<Session> session;
  ListenerLimiter::TicketPtr ticket;
};
using RouteResult = std::variant<Response, StreamRoute, WebSocketRoute>;

// Every route the server answers: checked against proto/openapi.json by a test.
struct RouteSpec {
  std::string method;  // "GET", ...
  std::string path;    // OpenAPI template, e.g. "/api/v1/sessions/{id}"
};
const std::vector<RouteSpec>& route_table();

class Routes {
 public:
  Routes(const config::Config& config, SessionManager& sessions,
         std::shared_ptr<ListenerMetrics> metrics);

  // `client` is the peer address (for per-address listener limits).
  RouteResult route(const Request& req, const std::string& client = "") const;

  // Queue, buffer and timeout bounds for a listener starting now.
  ListenerLimits listener_limits() const;
  // SIGHUP: the stream.listener_* / write_timeout_s bounds and the limits.max_listeners* admission
  // limits from `config` apply to listeners that start from now on (running ones keep theirs).
  void apply_live(const config::Config& config);
  const std::shared_ptr<ListenerMetrics>& metrics() const { return metrics_; }
  const config::Config& config() const { return config_; }

 private:
  Response health(const Request& req) const;
  Response ready(const Request& req) const;
  Response metrics_text(const Request& req) const;
  Response static_file(const Request& req, const std::string& name) const;
  Response openapi(const Request& req) const;
  RouteResult stream(const Request& req, const std::string& id, const std::string& client) const;
  Response api(const Request& req, const std::string& path) const;
  Response list_sessions(const Request& req) const;
  Response create_session(const Request& req) const;
  Response get_session(const Request& req, const std::string& id) const;
  Response patch_session(const Request& req, const std::string& id) const;
  Response delete_session(const Request& req, const std::string& id) const;
  nlohmann::json resource(const Request& req, const Session& session) const;
  std::optional<Response> check_write_access(const Request& req) const;
  void add_cors(Response& res) const;

  const config::Config& config_;
  SessionManager& sessions_;
  std::shared_ptr<ListenerMetrics> metrics_;
  mutable std::mutex limits_mutex_;
  ListenerLimits limits_;  // guarded by limits_mutex_
  std::shared_ptr<ListenerLimiter> limiter_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace auralis::server
