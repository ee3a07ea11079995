#include "api/api_error.hpp"

namespace auralis::server {

Response error_response(const Request& req, const SessionError& error) {
  struct Answer {
    http::status status;
    const char* code;
  };
  const Answer answer = [&]() -> Answer {
    switch (error.code) {
      case SessionErrc::invalid_value:
        return {http::status::bad_request, "invalid_value"};
      case SessionErrc::unknown_field:
        return {http::status::bad_request, "unknown_field"};
      case SessionErrc::invalid_body:
        return {http::status::bad_request, "invalid_body"};
      case SessionErrc::conflict:
        return {http::status::conflict, "conflict"};
      case SessionErrc::reserved_id:
        return {http::status::conflict, "conflict"};
      case SessionErrc::not_found:
        return {http::status::not_found, "not_found"};
      case SessionErrc::too_many_sessions:
        return {http::status::too_many_requests, "too_many_sessions"};
      case SessionErrc::store_unavailable:
        return {http::status::service_unavailable, "store_unavailable"};
    }
    return {http::status::internal_server_error, "internal_error"};
  }();
  return error_response(req, answer.status, answer.code, error.message, error.field);
}

}  // namespace auralis::server
