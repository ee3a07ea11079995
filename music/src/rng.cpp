#include "rng.hpp"

namespace auralis::music {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  x += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& word : s_) word = splitmix64(x);
}

Rng Rng::for_stream(std::uint64_t seed, std::uint64_t phrase_index, std::uint64_t stream) {
  // Hash the three numbers together so neighbouring indices give unrelated streams.
  std::uint64_t x = seed;
  std::uint64_t h = splitmix64(x);
  x = h ^ (phrase_index * 0xD1B54A32D192ED03ULL);
  h = splitmix64(x);
  x = h ^ (stream * 0x8CB92BA72F3D8DD7ULL);
  return Rng(splitmix64(x));
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  constexpr double kTwoPowMinus53 = 1.0 / 9007199254740992.0;
  return static_cast<double>(next_u64() >> 11) * kTwoPowMinus53;
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * uniform();
}

int Rng::uniform_int(int lo, int hi) {
  if (hi <= lo) return lo;
  const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
  // Multiply-shift on the top 32 bits: bias below 2^-32 per value, identical everywhere.
  const std::uint64_t r = ((next_u64() >> 32) * range) >> 32;
  return lo + static_cast<int>(r);
}

bool Rng::chance(double p) {
  return uniform() < p;
}

int Rng::sign() {
  return (next_u64() >> 63) != 0 ? 1 : -1;
}

std::size_t Rng::pick_weighted(std::span<const double> weights) {
  double total = 0;
  for (double w : weights) total += w;
  double target = uniform() * total;
  std::size_t last_positive = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    last_positive = i;
    if (target < weights[i]) return i;
    target -= weights[i];
  }
  return last_positive;  // rounding at the very top of the range
}

}  // namespace auralis::music
