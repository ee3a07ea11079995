// The stream mounts: /stream/{id}.ogg (HTTP, Ogg Opus) and /ws/{id} (WebSocket). A route
// admits the listener (limits.max_listeners*) and hands the connection over.
#include <boost/beast/websocket/rfc6455.hpp>

#include "api/api_error.hpp"
#include "api/routes.hpp"
#include "auralis/proto/header_text.hpp"
#include "sessions/session_id.hpp"

namespace auralis::server {
namespace {

// RFC 6455 4.1: the key is the base64 of a 16-byte nonce, so 24 characters ending in "==".
bool valid_websocket_key(std::string_view key) {
  if (key.size() != 24 || !key.ends_with("==")) return false;
  for (const char c : key.substr(0, 22))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  return true;
}

}  // namespace

std::variant<ListenerLimiter::TicketPtr, RouteResult> Routes::admit_listener(
    const RouteCall& call, const std::string& id) const {
  if (call.req.method() == http::verb::head) return ListenerLimiter::TicketPtr{};
  LimitRefusal refusal;
  auto ticket = limiter_->acquire(call.client, id, refusal);
  if (!ticket)
    return error_response(call.req, static_cast<http::status>(refusal.status), refusal.code,
                          refusal.message);
  return ticket;
}

RouteResult Routes::http_stream(const RouteCall& call) const {
  const auto& id = call.param;
  auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
  if (!session) return error_response(call.req, no_session(id));
  const bool head_only = call.req.method() == http::verb::head;
  auto admitted = admit_listener(call, id);
  if (auto* refused = std::get_if<RouteResult>(&admitted)) return std::move(*refused);
  auto ticket = std::get<ListenerLimiter::TicketPtr>(std::move(admitted));
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
      proto::header_value(config_.stream_name + " - " + session->name()) +
      "\r\n"
      "icy-description: " +
      proto::header_value(config_.stream_description) +
      "\r\n"
      "Connection: close\r\n\r\n";
  return StreamRoute{std::move(session), std::move(head), head_only, std::move(ticket)};
}

RouteResult Routes::ws_stream(const RouteCall& call) const {
  const auto& id = call.param;
  auto session = valid_session_id(id) ? sessions_.find(id) : nullptr;
  if (!session) return error_response(call.req, no_session(id));
  if (!boost::beast::websocket::is_upgrade(call.req))
    return error_response(call.req, http::status::upgrade_required, "upgrade_required",
                          "this is a WebSocket endpoint: send an Upgrade: websocket request");
  if (!valid_websocket_key(call.req[http::field::sec_websocket_key]))
    return error_response(call.req, http::status::bad_request, "invalid_value",
                          "Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 4.1)",
                          "Sec-WebSocket-Key");
  auto admitted = admit_listener(call, id);
  if (auto* refused = std::get_if<RouteResult>(&admitted)) return std::move(*refused);
  return WebSocketRoute{std::move(session), std::get<ListenerLimiter::TicketPtr>(admitted)};
}

}  // namespace auralis::server
