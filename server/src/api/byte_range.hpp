// A request's `Range: bytes=...` against a body of known length (RFC 9110 14.2): one range is
// answered 206 with its part, a range past the end 416, anything else (no header, several
// ranges, another unit, bad syntax) with the whole body, as the RFC lets a server do.
#pragma once

#include <cstddef>
#include <string_view>

namespace auralis::server {

struct ByteRange {
  enum class Kind { whole, part, unsatisfiable } kind = Kind::whole;
  std::size_t first = 0;  // part: the first and last byte, inclusive
  std::size_t last = 0;
};

ByteRange read_byte_range(std::string_view header, std::size_t length);

}  // namespace auralis::server
