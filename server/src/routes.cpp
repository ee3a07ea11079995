#include "routes.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "auralis/server/api_params.hpp"
#include "auralis/version.hpp"
#include "embedded_asset.hpp"
#include "metrics_text.hpp"

namespace auralis::server {
namespace {

constexpr std::string_view kSessionsPath = "/api/v1/sessions";

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string content_type_for(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

// Header values carry no control characters (CR/LF would split the header; NUL and the rest
// make clients such as libcurl refuse the response).
std::string header_safe(std::string s) {
  std::erase_if(s, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  return s;
}

// GET, or HEAD: answered wherever GET is (HttpSession drops the body).
bool is_get(const Request& req) {
  return req.method() == http::verb::get || req.method() == http::verb::head;
}

Response method_not_allowed(const Request& req, const std::string& allow) {
  auto res =
      error_response(req, http::status::method_not_allowed, "method_not_allowed",
                     std::string(req.method_string()) + " is not allowed here; allowed: " + allow);
  res.set(http::field::allow, allow);
  return res;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

const std::vector<RouteSpec>& route_table() {
  static const std::vector<RouteSpec> table = {
      {"GET", "/"},
      {"GET", "/healthz"},
      {"GET", "/readyz"},
      {"GET", "/metrics"},
      {"GET", "/api/v1/openapi.json"},
      {"GET", "/api/v1/sessions"},
      {"POST", "/api/v1/sessions"},
      {"GET", "/api/v1/sessions/{id}"},
      {"PATCH", "/api/v1/sessions/{id}"},
      {"DELETE", "/api/v1/sessions/{id}"},
      {"GET", "/stream/{id}.ogg"},
      {"GET", "/ws/{id}"},
  };
  return table;
}

namespace {
ListenerLimits listener_limits_of(const config::Config& config) {
  ListenerLimits limits;
  limits.max_queue_age = std::chrono::milliseconds(config.listener_queue_ms);
  limits.max_queue_bytes = static_cast<std::size_t>(config.listener_queue_kib) * 1024;
  limits.sndbuf_bytes = config.listener_sndbuf_kib * 1024;
  limits.write_timeout = std::chrono::seconds(config.write_timeout_s);
  limits.batches_per_write = static_cast<std::size_t>(
      std::max(1, (config.http_write_ms + config.fanout_ms / 2) / std::max(1, config.fanout_ms)));
  return limits;
}
ListenerLimiter::Limits admission_limits_of(const config::Config& config) {
  return {config.max_listeners, config.max_listeners_per_session, config.max_listeners_per_ip};
}
}  // namespace

Routes::Routes(const config::Config& config, SessionManager& sessions,
               std::shared_ptr<ListenerMetrics> metrics)
    : config_(config),
      sessions_(sessions),
      metrics_(std::move(metrics)),
      limits_(listener_limits_of(config)),
      limiter_(std::make_shared<ListenerLimiter>(admission_limits_of(config))) {}

ListenerLimits Routes::listener_limits() const {
  std::lock_guard lock(limits_mutex_);
  return limits_;
}

void Routes::apply_live(const config::Config& config) {
  {
    std::lock_guard lock(limits_mutex_);
    limits_ = listener_limits_of(config);
  }
  limiter_->set_limits(admission_limits_of(config));
}

RouteResult Routes::route(const Request& req, const std::string& client) const {
  ++metrics_->requests;
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));

  auto only_get = [&](auto&& handler) -> RouteResult {
    if (!is_get(req)) return method_not_allowed(req, "GET, HEAD");
    return handler();
  };
  // Beast accepts targets such as "?x" or "*": everything below expects an absolute path.
  if (!path.starts_with('/'))
    return error_response(req, http::status::bad_request, "bad_request",
                          "the request target must start with /");

  if (path == "/healthz") return only_get([&] { return health(req); });
  if (path == "/readyz") return only_get([&] { return ready(req); });
  if (path == "/metrics") return only_get([&] { return metrics_text(req); });
  if (path.starts_with("/api/")) {
    Response res = api(req, path);
    add_cors(res);
    return res;
  }
  constexpr std::string_view kStream = "/stream/";
  constexpr std::string_view kOgg = ".ogg";
  if (path.starts_with(kStream) && path.ends_with(kOgg) &&
      path.size() > kStream.size() + kOgg.size()) {
    if (!is_get(req)) return method_not_allowed(req, "GET, HEAD");
    return stream(req, path.substr(kStream.size(), path.size() - kStream.size() - kOgg.size()),
                  client);
  }
  constexpr std::string_view kWs = "/ws/";
  if (path.starts_with(kWs) && path.size() > kWs.size()) {
    const std::string id = path.substr(kWs.size());
    auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
    if (!session)
      return error_response(req, http::status::not_found, "not_found", "no session '" + id + "'",
                            "id");
    if (req.method() != http::verb::get) return method_not_allowed(req, "GET");
    if (!boost::beast::websocket::is_upgrade(req))
      return error_response(req, http::status::upgrade_required, "upgrade_required",
                            "this is a WebSocket endpoint: send an Upgrade: websocket request");
    LimitRefusal refusal;
    auto ticket = limiter_->acquire(client, id, refusal);
    if (!ticket)
      return error_response(req, static_cast<http::status>(refusal.status), refusal.code,
                            refusal.message);
    return WebSocketRoute{std::move(session), std::move(ticket)};
  }
  const std::string name = path == "/" ? "index.html" : path.substr(1);
  for (const auto& asset : web_assets())
    if (asset.name == name) return only_get([&] { return static_file(req, name); });
  return error_response(req, http::status::not_found, "not_found", "no route for " + path);
}

Response Routes::static_file(const Request& req, const std::string& name) const {
  for (const auto& asset : web_assets()) {
    if (asset.name != name) continue;
    Response res{http::status::ok, req.version()};
    res.set(http::field::server, "auralis");
    res.set(http::field::content_type, content_type_for(name));
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(req.keep_alive());
    res.body() = std::string(asset.data);
    res.prepare_payload();
    return res;
  }
  return error_response(req, http::status::not_found, "not_found", "no file " + name);
}

Response Routes::health(const Request& req) const {
  const auto uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  nlohmann::json engines = nlohmann::json::array();
  for (const auto& e : sessions_.engines())
    engines.push_back({{"engine", e.name}, {"device", e.device}, {"workers", e.workers}});
  nlohmann::json body = {
      {"status", "ok"},
      {"version", kVersion},
      {"uptime_s", uptime},
      {"sessions", sessions_.size()},
      {"listeners",
       {{"http", metrics_->http_listeners.load()}, {"ws", metrics_->ws_listeners.load()}}},
      {"engines", engines}};
  return json_response(req, http::status::ok, body);
}

Response Routes::ready(const Request& req) const {
  const bool ok = sessions_.ready();
  return json_response(req, ok ? http::status::ok : http::status::service_unavailable,
                       {{"status", ok ? "ready" : "starting"}, {"sessions", sessions_.size()}});
}

Response Routes::metrics_text(const Request& req) const {
  Response res{http::status::ok, req.version()};
  res.set(http::field::server, "auralis");
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.keep_alive(req.keep_alive());
  res.body() = render_metrics(sessions_, *metrics_);
  res.prepare_payload();
  return res;
}

Response Routes::openapi(const Request& req) const {
  for (const auto& asset : proto_assets()) {
    if (asset.name != "openapi.json") continue;
    Response res{http::status::ok, req.version()};
    res.set(http::field::server, "auralis");
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::string(asset.data);
    res.prepare_payload();
    return res;
  }
  return error_response(req, http::status::not_found, "not_found", "openapi.json is not built in");
}

RouteResult Routes::stream(const Request& req, const std::string& id,
                           const std::string& client) const {
  auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
  if (!session)
    return error_response(req, http::status::not_found, "not_found", "no session '" + id + "'",
                          "id");
  ListenerLimiter::TicketPtr ticket;
  if (req.method() != http::verb::head) {
    LimitRefusal refusal;
    ticket = limiter_->acquire(client, id, refusal);
    if (!ticket)
      return error_response(req, static_cast<http::status>(refusal.status), refusal.code,
                            refusal.message);
  }

  // Close-delimited HTTP/1.1 body: no Content-Length, no chunking (players and GStreamer
  // accept it; Icecast does the same).
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Server: auralis\r\n"
      "Content-Type: audio/ogg\r\n"
      "Cache-Control: no-cache, no-store\r\n"
      "Pragma: no-cache\r\n"
      "Access-Control-Allow-Origin: *\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "icy-name: " +
      header_safe(config_.stream_name + " - " + session->name()) +
      "\r\n"
      "icy-description: " +
      header_safe(config_.stream_description) +
      "\r\n"
      "Connection: close\r\n\r\n";
  return StreamRoute{std::move(session), std::move(head), req.method() == http::verb::head,
                     std::move(ticket)};
}

void Routes::add_cors(Response& res) const {
  if (config_.cors_origin.empty()) return;
  res.set(http::field::access_control_allow_origin, config_.cors_origin);
  res.set(http::field::access_control_allow_methods, "GET, POST, PATCH, DELETE, OPTIONS");
  res.set(http::field::access_control_allow_headers, "Content-Type, Authorization");
  res.set(http::field::access_control_max_age, "600");
}

std::optional<Response> Routes::check_write_access(const Request& req) const {
  if (config_.api_token.empty()) return std::nullopt;
  const std::string_view auth = req[http::field::authorization];
  // The scheme name is case-insensitive (RFC 9110 11.1); the token is compared exactly.
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() > kBearer.size() &&
      boost::beast::iequals(auth.substr(0, kBearer.size()), kBearer) &&
      constant_time_equal(auth.substr(kBearer.size()), config_.api_token))
    return std::nullopt;
  auto res = error_response(req, http::status::unauthorized, "unauthorized",
                            "this request needs Authorization: Bearer <api.token>");
  res.set(http::field::www_authenticate, "Bearer realm=\"auralis\"");
  return res;
}

Response Routes::api(const Request& req, const std::string& path) const {
  if (req.method() == http::verb::options) {
    Response res{http::status::no_content, req.version()};
    res.set(http::field::server, "auralis");
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
  }
  if (path == "/api/v1/openapi.json") {
    if (!is_get(req)) return method_not_allowed(req, "GET, HEAD");
    return openapi(req);
  }
  if (path == kSessionsPath) {
    if (is_get(req)) return list_sessions(req);
    if (req.method() == http::verb::post) return create_session(req);
    return method_not_allowed(req, "GET, HEAD, POST");
  }
  const std::string prefix = std::string(kSessionsPath) + "/";
  if (path.starts_with(prefix) && path.size() > prefix.size()) {
    const std::string id = path.substr(prefix.size());
    if (id.find('/') == std::string::npos) {
      if (is_get(req)) return get_session(req, id);
      if (req.method() == http::verb::patch) return patch_session(req, id);
      if (req.method() == http::verb::delete_) return delete_session(req, id);
      return method_not_allowed(req, "GET, HEAD, PATCH, DELETE");
    }
  }
  return error_response(req, http::status::not_found, "not_found", "no route for " + path);
}

nlohmann::json Routes::resource(const Request& req, const Session& session) const {
  std::string host(req[http::field::host]);
  if (host.empty()) host = config_.listen_host + ":" + std::to_string(config_.listen_port);
  const bool tls = !config_.tls_cert.empty();
  const auto now = session.now_playing();
  const auto status = session.status();
  nlohmann::json now_playing = nullptr;
  if (now.started) {
    now_playing = {{"phrase", now.phrase},
                   {"key", music::pitch_class_name(now.key_pc)},
                   {"mode", music::mode_name(now.mode)},
                   {"tempo_bpm", now.tempo_bpm},
                   {"chord", now.chord},
                   {"bar", now.bar},
                   {"engine", now.engine}};
  }
  return {
      {"id", session.id()},
      {"name", session.name()},
      {"params", params_to_json(session.params())},
      {"stream_url",
       std::string(tls ? "https://" : "http://") + host + "/stream/" + session.id() + ".ogg"},
      {"ws_url", std::string(tls ? "wss://" : "ws://") + host + "/ws/" + session.id()},
      {"created_at", iso8601(session.created_at())},
      {"pinned", session.pinned.load()},
      {"listeners", {{"http", session.http_listeners.load()}, {"ws", session.ws_listeners.load()}}},
      {"phrase", now.started ? nlohmann::json(now.phrase) : nlohmann::json(nullptr)},
      {"lookahead_s", status.lookahead_s},
      {"now_playing", now_playing}};
}

Response Routes::list_sessions(const Request& req) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : sessions_.all()) list.push_back(resource(req, *s));
  return json_response(req, http::status::ok, {{"sessions", list}});
}

namespace {
// Where a body stopped parsing: the key path being read ("layers.pad"), and whether a number
// did not fit a double (valid JSON, like {"tempo_bpm": 1e400}, that nlohmann cannot hold).
struct ParseFailure : nlohmann::json_sax<nlohmann::json> {
  std::vector<std::string> path;  // one entry per open object: its current key
  bool number_overflow = false;
  std::string field() const {
    std::string f;
    for (const auto& k : path) f += (f.empty() ? "" : ".") + k;
    return f;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    path.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    path.back() = k;
    return true;
  }
  bool end_object() override {
    path.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    number_overflow = std::string_view(e.what()).find("number overflow") != std::string_view::npos;
    return false;
  }
};

// Parses a JSON request body, or returns the 415/400 answer.
std::optional<Response> parse_json_body(const Request& req, nlohmann::json& out) {
  // The media type before any parameters (";charset=utf-8"), without case (RFC 9110 8.3.1).
  std::string_view type = req[http::field::content_type];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  if (!boost::beast::iequals(type, "application/json"))
    return error_response(req, http::status::unsupported_media_type, "unsupported_media_type",
                          "send the body as Content-Type: application/json");
  out = nlohmann::json::parse(req.body(), nullptr, false);
  if (out.is_discarded()) {
    ParseFailure failure;
    nlohmann::json::sax_parse(req.body(), &failure);
    if (const auto field = failure.field(); failure.number_overflow && !field.empty())
      return error_response(req, http::status::bad_request, "invalid_value",
                            field + " is a number out of range", field);
    return error_response(req, http::status::bad_request, "bad_json", "the body is not valid JSON");
  }
  return std::nullopt;
}
}  // namespace

Response Routes::create_session(const Request& req) const {
  if (auto denied = check_write_access(req)) return *denied;
  nlohmann::json body;
  if (auto err = parse_json_body(req, body)) return *err;
  ParamsUpdate update;
  music::SessionParams base = config_.session;
  base.seed = 0;
  if (auto err = parse_params(body, base, true, update))
    return error_response(req, static_cast<http::status>(err->status), err->code, err->message,
                          err->field);
  if (!body.contains("seed")) {
    std::random_device rd;
    update.params.seed = ((static_cast<std::uint64_t>(rd()) << 21) ^ rd()) & 0x1fffffffffffffULL;
  }
  // The configured session's id stays its own: it is made from the configuration at every
  // start (and never stored), so an API session under that id would silently not survive.
  if (update.id && *update.id == config_.default_session)
    return error_response(req, http::status::conflict, "conflict",
                          "'" + *update.id +
                              "' is the id of the configured session (session.name); choose "
                              "another id",
                          "id");
  if (update.id && sessions_.find(*update.id))
    return error_response(req, http::status::conflict, "conflict",
                          "a session '" + *update.id + "' exists", "id");
  if (static_cast<int>(sessions_.size()) >= config_.max_sessions)
    return error_response(
        req, http::status::too_many_requests, "too_many_sessions",
        "at most " + std::to_string(config_.max_sessions) + " sessions (api.max_sessions)");
  std::shared_ptr<Session> session;
  try {
    session = sessions_.create({update.id, update.name.value_or(""), update.params, 0, std::nullopt,
                                update.pinned.value_or(false)});
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()) == "exists")
      return error_response(req, http::status::conflict, "conflict",
                            "a session with this id exists", "id");
    throw;
  }
  auto res = json_response(req, http::status::created, resource(req, *session));
  res.set(http::field::location, std::string(kSessionsPath) + "/" + session->id());
  return res;
}

Response Routes::get_session(const Request& req, const std::string& id) const {
  auto session = sessions_.find(id);
  if (!session)
    return error_response(req, http::status::not_found, "not_found", "no session '" + id + "'",
                          "id");
  return json_response(req, http::status::ok, resource(req, *session));
}

Response Routes::patch_session(const Request& req, const std::string& id) const {
  if (auto denied = check_write_access(req)) return *denied;
  auto session = sessions_.find(id);
  if (!session)
    return error_response(req, http::status::not_found, "not_found", "no session '" + id + "'",
                          "id");
  nlohmann::json body;
  if (auto err = parse_json_body(req, body)) return *err;
  ParamsUpdate update;
  if (auto err = parse_params(body, session->params(), false, update))
    return error_response(req, static_cast<http::status>(err->status), err->code, err->message,
                          err->field);
  if (update.name) session->set_name(*update.name);
  if (update.pinned) session->pinned = *update.pinned;
  session->set_params(update.params);
  if (sessions_.on_changed) sessions_.on_changed(session);
  return json_response(req, http::status::ok, resource(req, *session));
}

Response Routes::delete_session(const Request& req, const std::string& id) const {
  if (auto denied = check_write_access(req)) return *denied;
  if (!sessions_.remove(id, "session deleted"))
    return error_response(req, http::status::not_found, "not_found", "no session '" + id + "'",
                          "id");
  Response res{http::status::no_content, req.version()};
  res.set(http::field::server, "auralis");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace auralis::server
