// Checks on a request's header that RFC 9112 asks of every server, made before its body is
// read: a Transfer-Encoding whose last coding is not chunked, or one beside a Content-Length,
// is refused (a proxy in front might frame the body differently: request smuggling); an
// HTTP/1.1 request needs one Host, a host name or address with an optional port.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>

namespace auralis::server {

struct RequestRefusal {
  std::string message;
  std::string field;  // the header at fault
};

std::optional<RequestRefusal> check_request_header(
    const boost::beast::http::request_header<>& header);

// host = reg-name / IPv4address / "[" IPv6 "]", then an optional ":" port (RFC 9110 7.2).
bool valid_host_header(std::string_view value);

}  // namespace auralis::server
