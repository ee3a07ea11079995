// The HTTP surface: one table of routes (path template, methods, handler) that both dispatches
// requests and is checked against proto/openapi.json by a test. A route answers with a
// response, hands the connection over to a stream listener (/stream/{id}.ogg over HTTP,
// /ws/{id} over WebSocket, /stream/{id}.mp3 and .aac through TakeOverRoute) with its admission
// ticket, or answers later (DeferredRoute: an HLS playlist waiting for its first segments).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "auralis/config/config.hpp"
#include "http/messages.hpp"
#include "sessions/session_manager.hpp"
#include "streaming/format_metrics.hpp"
#include "streaming/icecast_source.hpp"
#include "streaming/listener_limiter.hpp"
#include "streaming/listener_limits.hpp"
#include "streaming/listener_metrics.hpp"
#include "streaming/ws_listener.hpp"

namespace auralis::server {

struct StreamRoute {
  std::shared_ptr<StreamSource> source;
  std::string response_head;  // the HTTP response head for this stream
  bool head_only = false;     // a HEAD request: send the head and close
  ListenerLimiter::TicketPtr ticket;
};
struct WebSocketRoute {
  std::shared_ptr<StreamSource> source;
  ListenerLimiter::TicketPtr ticket;
};
// The connection goes to a listener made by whichever function fits its transport.
struct TakeOverRoute {
  std::function<void(boost::asio::ip::tcp::socket)> plain;
  std::function<void(TlsStream)> tls;
};
// The answer comes later: `start` is called once with the function that sends it (callable
// from any thread, exactly once).
struct DeferredRoute {
  std::function<void(std::function<void(Response)>)> start;
};
using RouteResult =
    std::variant<Response, StreamRoute, WebSocketRoute, TakeOverRoute, DeferredRoute>;

// A route as OpenAPI names it: "GET", "/api/v1/sessions/{id}".
struct RouteSpec {
  std::string method;
  std::string path;
};
// Every route the server answers, from the dispatch table.
std::vector<RouteSpec> route_table();

// One request being routed: the request, the path parameters ({id}, and {file} where the
// template has a second) and the peer address.
struct RouteCall {
  const Request& req;
  const std::string& param;
  const std::string& client;
  const std::string& file;
};

class Routes {
 public:
  Routes(const config::Config& config, SessionManager& sessions,
         std::shared_ptr<ListenerMetrics> metrics);

  // `client` is the peer address (for per-address listener limits).
  RouteResult route(const Request& req, const std::string& client = "") const;

  // Queue, buffer and timeout bounds for a listener starting now.
  ListenerLimits listener_limits() const;
  WsClientLimits ws_client_limits() const;
  // SIGHUP: the stream.listener_* / write_timeout_s bounds and the limits.max_listeners*
  // admission limits apply to listeners that start from now on (running ones keep theirs).
  void apply_live(const config::Config& config);
  // The Icecast push's state, for /metrics (not set: not pushing).
  void set_icecast_status(std::function<IcecastStatus()> status) {
    icecast_status_ = std::move(status);
  }
  const std::shared_ptr<ListenerMetrics>& metrics() const { return metrics_; }
  const config::Config& config() const { return config_; }

  struct Entry;  // one row of the dispatch table (routes.cpp)

 private:
  friend std::vector<RouteSpec> route_table();
  static const std::vector<Entry>& dispatch_table();

  // Operations (ops_routes.cpp)
  RouteResult health(const RouteCall& call) const;
  RouteResult ready(const RouteCall& call) const;
  RouteResult metrics_text(const RouteCall& call) const;
  RouteResult openapi(const RouteCall& call) const;
  RouteResult index(const RouteCall& call) const;
  std::optional<Response> web_asset(const Request& req, const std::string& path) const;
  // Sessions (session_routes.cpp)
  RouteResult list_sessions(const RouteCall& call) const;
  RouteResult create_session(const RouteCall& call) const;
  RouteResult get_session(const RouteCall& call) const;
  RouteResult patch_session(const RouteCall& call) const;
  RouteResult delete_session(const RouteCall& call) const;
  nlohmann::json resource(const Request& req, const Session& session) const;
  std::string base_url(const Request& req, bool websocket) const;
  // Streams (stream_routes.cpp)
  // A listener's place under the limits, or the refusal to answer with. HEAD takes no place.
  std::variant<ListenerLimiter::TicketPtr, RouteResult> admit_listener(const RouteCall& call,
                                                                       const std::string& id) const;
  RouteResult http_stream(const RouteCall& call) const;
  RouteResult ws_stream(const RouteCall& call) const;
  // Other formats (format_routes.cpp)
  RouteResult mp3_stream(const RouteCall& call) const;
  RouteResult aac_stream(const RouteCall& call) const;
  RouteResult chunk_stream(const RouteCall& call, ExtraFormat format) const;
  RouteResult hls_file(const RouteCall& call) const;

  const config::Config& config_;
  SessionManager& sessions_;
  std::shared_ptr<ListenerMetrics> metrics_;
  std::function<IcecastStatus()> icecast_status_;
  mutable std::mutex limits_mutex_;
  ListenerLimits limits_;  // guarded by limits_mutex_
  std::shared_ptr<ListenerLimiter> limiter_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace auralis::server
