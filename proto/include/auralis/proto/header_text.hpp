// Text that goes into protocol headers: HTTP header values (icy-name, Ice-Name, ...) and the
// base64 of binary fields (the WebSocket greeting's OpusHead, HTTP Basic credentials).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace auralis::proto {

// `text` without the characters a header value must not carry: CR/LF would split the header,
// NUL and the other controls make clients such as libcurl refuse the response.
std::string header_value(std::string_view text);

// RFC 4648 base64 with padding.
std::string base64(std::span<const std::uint8_t> bytes);
std::string base64(std::string_view text);

}  // namespace auralis::proto
