// Who may change sessions and which pages may call the API: the bearer token (api.token) for
// writes, compared in constant time whatever the lengths; the CORS headers (api.cors_origin).
#pragma once

#include <optional>
#include <string>

#include "http/messages.hpp"

namespace auralis::server {

// Nothing when the request may write (no token configured, or the right one), else the 401.
std::optional<Response> refuse_unauthorized(const Request& req, const std::string& token);

void add_cors(Response& res, const std::string& origin);

}  // namespace auralis::server
