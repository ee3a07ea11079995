// A request's JSON body: the media type checked (415 otherwise), the text parsed (400
// bad_json otherwise; a number too large for a double names its field: 400 invalid_value).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "http/messages.hpp"

namespace auralis::server {

// The parsed body, or the answer refusing it.
std::optional<Response> read_json_body(const Request& req, nlohmann::json& out);

}  // namespace auralis::server
