#include "sessions/session_error.hpp"

#include <stdexcept>

namespace auralis::server {

void throw_exception_from_error(const SessionError& error, const boost::source_location&) {
  throw std::runtime_error(error.field.empty() ? error.message
                                               : error.field + ": " + error.message);
}

SessionError no_session(const std::string& id) {
  return {SessionErrc::not_found, "no session '" + id + "'", "id"};
}

}  // namespace auralis::server
