#include "routes.hpp"

#include "auralis/version.hpp"

namespace auralis::server {

Routes::Routes(const config::Config& config, SessionRegistry& sessions,
               std::shared_ptr<ListenerMetrics> metrics)
    : config_(config), sessions_(sessions), metrics_(std::move(metrics)) {
  limits_.max_queue_age = std::chrono::milliseconds(config.listener_queue_ms);
  limits_.max_queue_bytes = static_cast<std::size_t>(config.listener_queue_kib) * 1024;
  limits_.sndbuf_bytes = config.listener_sndbuf_kib * 1024;
  limits_.write_timeout = std::chrono::seconds(config.write_timeout_s);
}

RouteResult Routes::route(const Request& req) const {
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  const bool get_or_head = req.method() == http::verb::get || req.method() == http::verb::head;

  if (path == "/healthz") {
    if (!get_or_head) return error_response(req, http::status::method_not_allowed, "method_not_allowed",
                                            "use GET on /healthz");
    return health(req);
  }
  constexpr std::string_view kStream = "/stream/";
  constexpr std::string_view kOgg = ".ogg";
  if (path.starts_with(kStream) && path.ends_with(kOgg) && path.size() > kStream.size() + kOgg.size()) {
    if (!get_or_head) return error_response(req, http::status::method_not_allowed, "method_not_allowed",
                                            "use GET on a stream");
    return stream(req, path.substr(kStream.size(), path.size() - kStream.size() - kOgg.size()));
  }
  return error_response(req, http::status::not_found, "not_found", "no route for " + path);
}

Response Routes::health(const Request& req) const {
  const auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  nlohmann::json body = {{"status", "ok"},
                         {"version", kVersion},
                         {"uptime_s", uptime},
                         {"sessions", sessions_.size()},
                         {"listeners", metrics_->http_listeners.load()}};
  return json_response(req, http::status::ok, body);
}

RouteResult Routes::stream(const Request& req, const std::string& id) const {
  auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
  if (!session) return error_response(req, http::status::not_found, "not_found", "no session '" + id + "'", "session");

  // Close-delimited HTTP/1.1 body: no Content-Length, no chunking (players and GStreamer
  // accept it; Icecast does the same).
  std::string head = "HTTP/1.1 200 OK\r\n"
                     "Server: auralis\r\n"
                     "Content-Type: audio/ogg\r\n"
                     "Cache-Control: no-cache, no-store\r\n"
                     "Pragma: no-cache\r\n"
                     "Access-Control-Allow-Origin: *\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "icy-name: " + config_.stream_name + " - " + id + "\r\n"
                     "icy-description: " + config_.stream_description + "\r\n"
                     "Connection: close\r\n\r\n";
  return StreamRoute{std::move(session), std::move(head), req.method() == http::verb::head};
}

}  // namespace auralis::server
