// JSON response helpers shared by the HTTP routes.
#pragma once

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace auralis::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

inline Response json_response(const Request& req, http::status status, const nlohmann::json& body) {
  Response res{status, req.version()};
  res.set(http::field::server, "auralis");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  // Messages quote what the client sent (a path, a field): bytes that are not UTF-8 become
  // U+FFFD instead of a type_error that would escape the handler and end the daemon.
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

// The one error shape: {"error":{"code":..., "message":..., "field":...}}.
inline Response error_response(const Request& req, http::status status, const std::string& code,
                               const std::string& message, const std::string& field = "") {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!field.empty()) error["field"] = field;
  return json_response(req, status, {{"error", error}});
}

}  // namespace auralis::server
