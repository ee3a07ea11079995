#include "api/byte_range.hpp"

#include <charconv>
#include <optional>

namespace auralis::server {
namespace {

std::optional<std::size_t> number(std::string_view s) {
  std::size_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

ByteRange read_byte_range(std::string_view header, std::size_t length) {
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit)) return {};
  const std::string_view spec = header.substr(kUnit.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return {};
  const auto first = number(spec.substr(0, dash));
  const auto last = number(spec.substr(dash + 1));
  if (dash == 0) {  // bytes=-N: the last N bytes
    if (!last) return {};
    if (*last == 0 || length == 0) return {ByteRange::Kind::unsatisfiable};
    const std::size_t n = std::min(*last, length);
    return {ByteRange::Kind::part, length - n, length - 1};
  }
  if (!first || (!last && dash + 1 != spec.size())) return {};
  if (last && *last < *first) return {};  // invalid: ignored
  if (*first >= length) return {ByteRange::Kind::unsatisfiable};
  return {ByteRange::Kind::part, *first, last ? std::min(*last, length - 1) : length - 1};
}

}  // namespace auralis::server
