#include "http/request_checks.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace http = boost::beast::http;

namespace auralis::server {

bool valid_host_header(std::string_view value) {
  if (value.empty() || value.size() > 261) return false;
  std::string_view host = value;
  std::string_view port;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    const auto inside = host.substr(1, close - 1);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](unsigned char c) {
          return std::isxdigit(c) || c == ':' || c == '.';
        }))
      return false;
    const auto rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (host.empty() || host.size() > 253 ||
        !std::all_of(host.begin(), host.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '.' || c == '-' || c == '_';
        }))
      return false;
  }
  if (value.find(':') != std::string_view::npos && value.front() != '[' && port.empty())
    return false;  // "host:" with no port
  return port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::optional<RequestRefusal> check_request_header(const http::request_header<>& header) {
  if (header.count(http::field::transfer_encoding) > 0) {
    // The codings of every Transfer-Encoding line, in order: the last must be chunked.
    std::string last;
    const auto [first, end] = header.equal_range(http::field::transfer_encoding);
    for (auto field = first; field != end; ++field)
      for (const auto& coding : http::token_list{field->value()}) last = std::string(coding);
    if (!boost::beast::iequals(last, "chunked"))
      return RequestRefusal{"Transfer-Encoding must end with chunked (RFC 9112 6.1)",
                            "Transfer-Encoding"};
    if (header.count(http::field::content_length) > 0)
      return RequestRefusal{"a request may not carry both Transfer-Encoding and Content-Length",
                            "Content-Length"};
  }
  if (header.version() >= 11) {
    if (header.count(http::field::host) != 1)
      return RequestRefusal{"an HTTP/1.1 request needs exactly one Host header", "Host"};
    if (!valid_host_header(header[http::field::host]))
      return RequestRefusal{"Host must be a host name or address with an optional port", "Host"};
  }
  return std::nullopt;
}

}  // namespace auralis::server
