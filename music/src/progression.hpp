// Chord progressions: a first-order Markov chain over six chord columns per mode family,
// and phrase-final weighting (the harmonic rhythm is the section's: form.hpp).
#pragma once

#include "rng.hpp"
#include "theory.hpp"

namespace auralis::music {

inline constexpr int kProgressionColumns = 6;

// Scale degree of a column in this mode, or 0 when the column is left out (its triad would be
// diminished).
int column_degree(Mode mode, int column);

// The column whose degree is `degree` in this mode, or -1.
int column_for_degree(Mode mode, int degree);

// Next column after `previous`; at the phrase's last chord, roots on degrees 1, 4, 6 weigh x2.
int next_column(Mode mode, int previous, bool phrase_final, Rng& rng);

// The chain's probability of `to` after `from` (before any phrase-final weighting).
double transition_weight(Mode mode, int from, int to);

}  // namespace auralis::music
