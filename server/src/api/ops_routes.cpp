// Routes for operators and the page: health, readiness, metrics, the OpenAPI document and the
// web player's files.
#include <string>

#include "api/embedded_asset.hpp"
#include "api/metrics_text.hpp"
#include "api/routes.hpp"
#include "auralis/version.hpp"

namespace auralis::server {
namespace {

std::string content_type_for(std::string_view name) {
  auto ends = [&](std::string_view s) { return name.ends_with(s); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

Response file_response(const Request& req, std::string_view name, std::string_view data) {
  Response res{http::status::ok, req.version()};
  res.set(http::field::server, "auralis");
  res.set(http::field::content_type, content_type_for(name));
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(req.keep_alive());
  res.body() = std::string(data);
  res.prepare_payload();
  return res;
}

}  // namespace

RouteResult Routes::index(const RouteCall& call) const {
  return *web_asset(call.req, "/index.html");
}

std::optional<Response> Routes::web_asset(const Request& req, const std::string& path) const {
  const std::string_view name = std::string_view(path).substr(1);
  for (const auto& asset : web_assets()) {
    if (asset.name != name) continue;
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = error_response(
          req, http::status::method_not_allowed, "method_not_allowed",
          std::string(req.method_string()) + " is not allowed here; allowed: GET, HEAD");
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    return file_response(req, asset.name, asset.data);
  }
  return std::nullopt;
}

RouteResult Routes::openapi(const RouteCall& call) const {
  for (const auto& asset : proto_assets())
    if (asset.name == "openapi.json") return file_response(call.req, asset.name, asset.data);
  return error_response(call.req, http::status::not_found, "not_found",
                        "openapi.json is not built in");
}

RouteResult Routes::health(const RouteCall& call) const {
  const auto uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  nlohmann::json engines = nlohmann::json::array();
  for (const auto& e : sessions_.engines())
    engines.push_back({{"engine", e.name}, {"device", e.device}, {"workers", e.workers}});
  const nlohmann::json body = {
      {"status", "ok"},
      {"version", kVersion},
      {"uptime_s", uptime},
      {"sessions", sessions_.size()},
      {"listeners",
       {{"http", metrics_->http_listeners.load()}, {"ws", metrics_->ws_listeners.load()}}},
      {"engines", engines}};
  return json_response(call.req, http::status::ok, body);
}

// Ready: every session plays. The session store's state is a detail: a store that cannot
// write refuses changes (503) but does not stop the music, so it does not make the daemon
// unready.
RouteResult Routes::ready(const RouteCall& call) const {
  const bool ok = sessions_.ready();
  nlohmann::json body = {{"status", ok ? "ready" : "starting"}, {"sessions", sessions_.size()}};
  if (const auto journal = sessions_.journal_health()) {
    body["store"] = journal->writable ? "ok" : "failing";
    if (!journal->writable) body["store_error"] = journal->last_error;
  }
  return json_response(call.req, ok ? http::status::ok : http::status::service_unavailable, body);
}

RouteResult Routes::metrics_text(const RouteCall& call) const {
  Response res{http::status::ok, call.req.version()};
  res.set(http::field::server, "auralis");
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.keep_alive(call.req.keep_alive());
  res.body() = render_metrics(sessions_, *metrics_,
                              icecast_status_ ? std::optional(icecast_status_()) : std::nullopt);
  res.prepare_payload();
  return res;
}

}  // namespace auralis::server
