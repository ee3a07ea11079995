#include "api/access.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>

namespace auralis::server {
namespace {

// Every byte of both is looked at, so the time taken tells neither the token's length nor
// where a guess first differs.
bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

std::optional<Response> refuse_unauthorized(const Request& req, const std::string& token) {
  if (token.empty()) return std::nullopt;
  const std::string_view auth = req[http::field::authorization];
  // The scheme name is case-insensitive (RFC 9110 11.1); the token is compared exactly.
  constexpr std::string_view kBearer = "bearer ";
  const bool bearer = auth.size() >= kBearer.size() &&
                      boost::beast::iequals(auth.substr(0, kBearer.size()), kBearer);
  const auto given = bearer ? auth.substr(kBearer.size()) : std::string_view();
  if (constant_time_equal(given, token) && bearer) return std::nullopt;
  auto res = error_response(req, http::status::unauthorized, "unauthorized",
                            "this request needs Authorization: Bearer <api.token>");
  res.set(http::field::www_authenticate, "Bearer realm=\"auralis\"");
  return res;
}

void add_cors(Response& res, const std::string& origin) {
  if (origin.empty()) return;
  res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_methods, "GET, POST, PATCH, DELETE, OPTIONS");
  res.set(http::field::access_control_allow_headers, "Content-Type, Authorization");
  res.set(http::field::access_control_max_age, "600");
}

}  // namespace auralis::server
