// Session ids and seeds: how they are checked and how new ones are drawn.
#pragma once

#include <cstdint>
#include <string>

#include "auralis/config/config.hpp"

namespace auralis::server {

// 1-64 of [A-Za-z0-9_-] (the configuration checks its ids with the same rule).
using config::valid_session_id;

// "s-" and 10 characters of an unambiguous alphabet, from the OS's random source.
std::string random_session_id();

// A composer seed from the OS's random source, below 2^53 so that every JSON client reads it
// back exactly (a double holds integers up to 2^53).
std::uint64_t random_seed();
inline constexpr std::uint64_t kMaxSeed = (std::uint64_t{1} << 53) - 1;

}  // namespace auralis::server
