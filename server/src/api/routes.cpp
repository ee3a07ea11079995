#include "api/routes.hpp"

#include "api/access.hpp"

namespace auralis::server {

// A row of the dispatch table: a path template with at most two parameters ("{id}", and
// "{file}" after it), each matching one non-empty path segment or the part of one before a
// fixed suffix such as ".ogg"; and the handler of each method. GET routes answer HEAD too
// (HttpSession drops the body).
struct Routes::Entry {
  using Handler = RouteResult (Routes::*)(const RouteCall&) const;
  std::string_view path;
  std::vector<std::pair<http::verb, Handler>> methods;

  // The parameters when `target` matches (none for a template without any).
  std::optional<std::vector<std::string>> match(std::string_view target) const {
    std::vector<std::string> params;
    std::string_view pattern = path;
    while (true) {
      const auto open = pattern.find('{');
      if (open == std::string_view::npos) {
        if (target != pattern) return std::nullopt;
        return params;
      }
      if (!target.starts_with(pattern.substr(0, open))) return std::nullopt;
      target.remove_prefix(open);
      pattern.remove_prefix(pattern.find('}') + 1);
      // The literal after the parameter: up to the next parameter, or the rest (a suffix).
      const auto literal = pattern.substr(0, pattern.find('{'));
      const bool last = pattern.find('{') == std::string_view::npos;
      std::size_t end;
      if (last) {
        if (target.size() <= literal.size() || !target.ends_with(literal)) return std::nullopt;
        end = target.size() - literal.size();
      } else {
        end = target.find(literal, 1);
        if (end == std::string_view::npos) return std::nullopt;
      }
      const auto param = target.substr(0, end);
      if (param.empty() || param.find('/') != std::string_view::npos) return std::nullopt;
      params.emplace_back(param);
      target.remove_prefix(end);
    }
  }

  std::string allow() const {
    std::string out;
    for (const auto& [verb, handler] : methods) {
      out += std::string(out.empty() ? "" : ", ") + std::string(http::to_string(verb));
      if (verb == http::verb::get) out += ", HEAD";
    }
    return out;
  }
};

const std::vector<Routes::Entry>& Routes::dispatch_table() {
  using V = http::verb;
  static const std::vector<Routes::Entry> table = {
      {"/", {{V::get, &Routes::index}}},
      {"/healthz", {{V::get, &Routes::health}}},
      {"/readyz", {{V::get, &Routes::ready}}},
      {"/metrics", {{V::get, &Routes::metrics_text}}},
      {"/api/v1/openapi.json", {{V::get, &Routes::openapi}}},
      {"/api/v1/sessions", {{V::get, &Routes::list_sessions}, {V::post, &Routes::create_session}}},
      {"/api/v1/sessions/{id}",
       {{V::get, &Routes::get_session},
        {V::patch, &Routes::patch_session},
        {V::delete_, &Routes::delete_session}}},
      {"/stream/{id}.ogg", {{V::get, &Routes::http_stream}}},
      {"/stream/{id}.mp3", {{V::get, &Routes::mp3_stream}}},
      {"/stream/{id}.aac", {{V::get, &Routes::aac_stream}}},
      {"/hls/{id}/{file}", {{V::get, &Routes::hls_file}}},
      {"/ws/{id}", {{V::get, &Routes::ws_stream}}},
  };
  return table;
}

namespace {

ListenerLimits listener_limits_of(const config::Config& config) {
  ListenerLimits limits;
  limits.queue.max_age = std::chrono::milliseconds(config.listener_queue_ms);
  limits.queue.max_bytes = static_cast<std::size_t>(config.listener_queue_kib) * 1024;
  limits.sndbuf_bytes = config.listener_sndbuf_kib * 1024;
  limits.write_timeout = std::chrono::seconds(config.write_timeout_s);
  limits.write_period = std::chrono::milliseconds(config.http_write_ms);
  return limits;
}

ListenerLimiter::Limits admission_limits_of(const config::Config& config) {
  return {config.max_listeners, config.max_listeners_per_session, config.max_listeners_per_ip};
}

}  // namespace

std::vector<RouteSpec> route_table() {
  std::vector<RouteSpec> out;
  for (const auto& entry : Routes::dispatch_table())
    for (const auto& [verb, handler] : entry.methods)
      out.push_back({std::string(http::to_string(verb)), std::string(entry.path)});
  return out;
}

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

WsClientLimits Routes::ws_client_limits() const {
  WsClientLimits limits;
  limits.max_message_bytes = static_cast<std::size_t>(config_.ws_max_message_bytes);
  return limits;
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
  // Beast accepts targets such as "?x" or "*": everything below expects an absolute path.
  if (!path.starts_with('/'))
    return error_response(req, http::status::bad_request, "bad_request",
                          "the request target must start with /");
  const bool api = path.starts_with("/api/");
  auto answer = [&](RouteResult result) {
    if (auto* res = std::get_if<Response>(&result); res && api) add_cors(*res, config_.cors_origin);
    return result;
  };
  if (api && req.method() == http::verb::options) {  // CORS preflight
    Response res{http::status::no_content, req.version()};
    res.set(http::field::server, "auralis");
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return answer(std::move(res));
  }
  for (const auto& entry : dispatch_table()) {
    const auto params = entry.match(path);
    if (!params) continue;
    static const std::string none;
    const std::string& param = params->empty() ? none : (*params)[0];
    const std::string& file = params->size() < 2 ? none : (*params)[1];
    const auto verb = req.method() == http::verb::head ? http::verb::get : req.method();
    for (const auto& [method, handler] : entry.methods)
      if (method == verb) return answer((this->*handler)(RouteCall{req, param, client, file}));
    auto res = error_response(
        req, http::status::method_not_allowed, "method_not_allowed",
        std::string(req.method_string()) + " is not allowed here; allowed: " + entry.allow());
    res.set(http::field::allow, entry.allow());
    return answer(std::move(res));
  }
  if (!api)
    if (auto asset = web_asset(req, path)) return std::move(*asset);
  return answer(error_response(req, http::status::not_found, "not_found", "no route for " + path));
}

}  // namespace auralis::server
