#include "api/json_body.hpp"

#include <boost/beast/core/string.hpp>
#include <string>
#include <vector>

namespace auralis::server {
namespace {
// Where a body stopped parsing: the key path being read ("layers.pad"), and whether a number
// did not fit a double (valid JSON, like {"tempo_bpm": 1e400}, that nlohmann cannot hold).
struct ParseFailure : nlohmann::json_sax<nlohmann::json> {
  std::vector<std::string> path;  // one entry per open object: its current key
  bool number_overflow = false;
  std::string field() const {
    std::string f;
    for (const auto& k : path) f += (f.empty() ? "" : ".") + k;
    return f;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    path.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    path.back() = k;
    return true;
  }
  bool end_object() override {
    path.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    number_overflow = std::string_view(e.what()).find("number overflow") != std::string_view::npos;
    return false;
  }
};

}  // namespace

std::optional<Response> read_json_body(const Request& req, nlohmann::json& out) {
  // The media type before any parameters (";charset=utf-8"), without case (RFC 9110 8.3.1).
  std::string_view type = req[http::field::content_type];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  if (!boost::beast::iequals(type, "application/json"))
    return error_response(req, http::status::unsupported_media_type, "unsupported_media_type",
                          "send the body as Content-Type: application/json");
  out = nlohmann::json::parse(req.body(), nullptr, false);
  if (out.is_discarded()) {
    ParseFailure failure;
    nlohmann::json::sax_parse(req.body(), &failure);
    if (const auto field = failure.field(); failure.number_overflow && !field.empty())
      return error_response(req, http::status::bad_request, "invalid_value",
                            field + " is a number out of range", field);
    return error_response(req, http::status::bad_request, "bad_json", "the body is not valid JSON");
  }
  return std::nullopt;
}

}  // namespace auralis::server
