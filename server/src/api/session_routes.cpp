// The session resource: /api/v1/sessions and /api/v1/sessions/{id}. Bodies are read into
// checked fields here, once (sessions/session_json.hpp); the session manager admits, journals
// and applies them.
#include <ctime>

#include "api/access.hpp"
#include "api/api_error.hpp"
#include "api/json_body.hpp"
#include "api/routes.hpp"
#include "sessions/session_id.hpp"

namespace auralis::server {
namespace {

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string Routes::base_url(const Request& req, bool websocket) const {
  const bool tls = !config_.tls_cert.empty();
  if (!config_.public_url.empty()) {
    const bool https = config_.public_url.starts_with("https://");
    const auto host = config_.public_url.substr(config_.public_url.find("://") + 3);
    return std::string(websocket ? (https ? "wss://" : "ws://")
                                 : (https ? "https://" : "http://")) +
           host;
  }
  std::string host(req[http::field::host]);  // checked by route()
  if (host.empty()) host = config_.listen_host + ":" + std::to_string(config_.listen_port);
  return std::string(websocket ? (tls ? "wss://" : "ws://") : (tls ? "https://" : "http://")) +
         host;
}

nlohmann::json Routes::resource(const Request& req, const Session& session) const {
  const auto now = session.now_playing();
  return {
      {"id", session.id()},
      {"name", session.name()},
      {"params", params_to_json(session.params().get())},
      {"stream_url", base_url(req, false) + "/stream/" + session.id() + ".ogg"},
      {"ws_url", base_url(req, true) + "/ws/" + session.id()},
      {"created_at", iso8601(session.created_at())},
      {"pinned", session.pinned.load()},
      {"listeners", {{"http", session.http_listeners.load()}, {"ws", session.ws_listeners.load()}}},
      {"phrase", now.started ? nlohmann::json(now.phrase) : nlohmann::json(nullptr)},
      {"lookahead_s", session.status().lookahead_s},
      {"now_playing", now_playing_json(now)}};
}

RouteResult Routes::list_sessions(const RouteCall& call) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : sessions_.all()) list.push_back(resource(call.req, *s));
  return json_response(call.req, http::status::ok, {{"sessions", list}});
}

RouteResult Routes::get_session(const RouteCall& call) const {
  auto session = sessions_.find(call.param);
  if (!session) return error_response(call.req, no_session(call.param));
  return json_response(call.req, http::status::ok, resource(call.req, *session));
}

RouteResult Routes::create_session(const RouteCall& call) const {
  if (auto denied = refuse_unauthorized(call.req, config_.api_token)) return *denied;
  nlohmann::json body;
  if (auto refused = read_json_body(call.req, body)) return *refused;
  music::SessionParams base = config_.session;
  base.seed = random_seed();  // unless the body names one
  auto fields = read_session_fields(body, base, IdField::allowed);
  if (!fields) return error_response(call.req, fields.error());
  SessionSpec spec;
  spec.id = fields->id;
  spec.name = fields->name.value_or("");
  spec.params = fields->params;
  spec.pinned = fields->pinned.value_or(false);
  auto created = sessions_.create(spec);
  if (!created) return error_response(call.req, created.error());
  auto res = json_response(call.req, http::status::created, resource(call.req, **created));
  res.set(http::field::location, "/api/v1/sessions/" + (*created)->id());
  return res;
}

RouteResult Routes::patch_session(const RouteCall& call) const {
  if (auto denied = refuse_unauthorized(call.req, config_.api_token)) return *denied;
  if (!sessions_.find(call.param)) return error_response(call.req, no_session(call.param));
  nlohmann::json body;
  if (auto refused = read_json_body(call.req, body)) return *refused;
  auto updated = sessions_.update(call.param, [&](const music::SessionParams& current) {
    return read_session_fields(body, current);
  });
  if (!updated) return error_response(call.req, updated.error());
  // `change`: the id of this change's events on the stream (a page matches them to the input).
  auto body_out = resource(call.req, *updated->session);
  body_out["change"] = updated->change;
  return json_response(call.req, http::status::ok, body_out);
}

RouteResult Routes::delete_session(const RouteCall& call) const {
  if (auto denied = refuse_unauthorized(call.req, config_.api_token)) return *denied;
  if (auto ended = sessions_.end(call.param, "session deleted"); !ended)
    return error_response(call.req, ended.error());
  Response res{http::status::no_content, call.req.version()};
  res.set(http::field::server, "auralis");
  res.keep_alive(call.req.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace auralis::server
