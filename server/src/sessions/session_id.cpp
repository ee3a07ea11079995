#include "sessions/session_id.hpp"

#include <random>

namespace auralis::server {

std::string random_session_id() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::random_device rd;
  std::string id = "s-";
  for (int i = 0; i < 10; ++i) id += kAlphabet[rd() % (sizeof(kAlphabet) - 1)];
  return id;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return ((static_cast<std::uint64_t>(rd()) << 32) | rd()) & kMaxSeed;
}

}  // namespace auralis::server
