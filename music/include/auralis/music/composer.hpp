// The composer: given session parameters, a seed and the state left by the previous phrase,
// returns the next 8-bar phrase. A copyable value: copying it snapshots the whole state, so a
// scheduler can re-compose not-yet-played phrases after a parameter change.
#pragma once

#include <memory>

#include "auralis/music/params.hpp"
#include "auralis/music/score.hpp"

namespace auralis::music {

class Composer {
 public:
  // Throws std::invalid_argument naming the field when params are invalid.
  explicit Composer(const SessionParams& params);

  // Composes phrase number `next_index()` and advances the state.
  Phrase next();

  // New parameters take effect from the next phrase composed. Throws like the constructor.
  void set_params(const SessionParams& params);
  const SessionParams& params() const;
  std::uint64_t next_index() const;

  // The next phrase composed is heard from bar `bar` on, after bars in key `key_pc` and `mode`
  // (a key or mode changed mid-phrase): its chord sounding at that bar is one both keys share,
  // where the new key's progression offers one, so the music modulates through a pivot chord.
  void pivot_at_bar(int bar, int key_pc, Mode mode);

  Composer(const Composer&);
  Composer& operator=(const Composer&);
  Composer(Composer&&) noexcept;
  Composer& operator=(Composer&&) noexcept;
  ~Composer();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace auralis::music
