// JSON <-> session parameters for the REST API. Parsing is strict: unknown fields, wrong types
// and out-of-range values are errors naming the field; nothing is applied on error.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "auralis/music/params.hpp"

namespace auralis::server {

struct ApiError {
  int status = 400;
  std::string code;     // "invalid_value", "unknown_field", ...
  std::string message;
  std::string field;
};

struct ParamsUpdate {
  music::SessionParams params;       // the full parameters after the update
  std::optional<std::string> name;   // when "name" was given
  std::optional<std::string> id;     // when "id" was given (POST only)
  std::optional<bool> pinned;        // when "pinned" was given: never ended for being idle
};

// Applies the fields present in `body` to `base`; returns the error for the first bad field.
// `allow_id` admits an "id" field (POST). The result is validated as a whole.
std::optional<ApiError> parse_params(const nlohmann::json& body, const music::SessionParams& base,
                                     bool allow_id, ParamsUpdate& out);

nlohmann::json params_to_json(const music::SessionParams& params);

}  // namespace auralis::server
