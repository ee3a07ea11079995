// The composer's own PRNG (xoshiro256** seeded by splitmix64) and its distributions, written
// out so every platform and standard library draws the same numbers from the same seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace auralis::music {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  // An independent stream for one part of one phrase of a session.
  static Rng for_stream(std::uint64_t seed, std::uint64_t phrase_index, std::uint64_t stream);

  std::uint64_t next_u64();
  double uniform();                      // [0, 1), 53 random bits
  double uniform(double lo, double hi);  // [lo, hi)
  int uniform_int(int lo, int hi);       // lo..hi inclusive
  bool chance(double p);                 // true with probability p
  int sign();                            // -1 or +1
  // Index drawn with probability weights[i] / sum; weights must be >= 0 with a positive sum.
  std::size_t pick_weighted(std::span<const double> weights);

 private:
  std::uint64_t s_[4];
};

}  // namespace auralis::music
