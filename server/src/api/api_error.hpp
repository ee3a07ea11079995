// How the session room's typed errors answer over HTTP: the status for each code and the one
// error body, {"error":{"code","message","field"}}.
#pragma once

#include "http/messages.hpp"
#include "sessions/session_error.hpp"

namespace auralis::server {

// 400 invalid_value / unknown_field / invalid_body, 404 not_found, 409 conflict,
// 429 too_many_sessions, 503 store_unavailable.
Response error_response(const Request& req, const SessionError& error);

}  // namespace auralis::server
