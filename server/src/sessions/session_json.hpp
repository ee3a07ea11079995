// A session's fields as JSON: the REST API's request and resource bodies, the WebSocket
// greeting and the session store's records all use this one mapping. Reading is strict: an
// unknown field, a wrong type or a value out of range is an error naming the field, and then
// nothing is taken from the body.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auralis/music/params.hpp"
#include "sessions/session_error.hpp"

namespace auralis::server {

// What a body sets. Absent fields keep the base they were read onto.
struct SessionFields {
  std::optional<std::string> id;  // only where allowed (creation)
  std::optional<std::string> name;
  std::optional<bool> pinned;  // never ended for being idle
  music::ValidParams params;   // the base with the body's parameters applied, checked as a whole
  bool seed_given = false;
};

enum class IdField { refused, allowed };

// Reads `body` (a JSON object) onto `base`.
SessionResult<SessionFields> read_session_fields(const nlohmann::json& body,
                                                 const music::SessionParams& base,
                                                 IdField id = IdField::refused);

nlohmann::json params_to_json(const music::SessionParams& params);

// A display name: 1-100 characters, none of them a control character (it is sent in the
// stream's icy-name header).
bool valid_display_name(const std::string& name);

}  // namespace auralis::server
