// Typed failures of the session room: what went wrong (a code the API maps to an HTTP status),
// a message for people, and the field it concerns. Results carry them instead of exceptions.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <string>

namespace auralis::server {

enum class SessionErrc {
  invalid_value,      // a field out of range or of the wrong type
  unknown_field,      // a field the resource does not have
  invalid_body,       // not a JSON object
  conflict,           // the id is taken
  reserved_id,        // the configured session's id
  not_found,          // no session with this id
  too_many_sessions,  // api.max_sessions reached
  store_unavailable,  // the session store could not keep the change: nothing was changed
};

struct SessionError {
  SessionErrc code = SessionErrc::invalid_value;
  std::string message;
  std::string field;  // "tempo_bpm", "layers.pad", "id"; empty when none applies
};

template <class T>
using SessionResult = boost::system::result<T, SessionError>;

// result::value() on an error throws this (boost::system::result finds it by ADL).
[[noreturn]] void throw_exception_from_error(const SessionError& error,
                                             const boost::source_location& location);

// "no session 'x'" for the id field: the one not-found error.
SessionError no_session(const std::string& id);

}  // namespace auralis::server
