// The stream's clock: positions, batch lengths and periods are counted in samples at 48 kHz
// (Opus's rate, the only one the daemon streams); settings come in milliseconds.
#pragma once

#include <cstdint>

namespace auralis::server {

inline constexpr std::int64_t kSamplesPerMs = 48;

}  // namespace auralis::server
