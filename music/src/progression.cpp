#include "progression.hpp"

#include <algorithm>
#include <array>

#include "chords.hpp"
#include "tables.hpp"

namespace auralis::music {

int column_degree(Mode mode, int column) {
  if (column < 0 || column >= kProgressionColumns) return 0;
  const auto c = static_cast<std::size_t>(column);
  int degree =
      is_minor_family(mode) ? tables::kMinorFamilyDegrees[c] : tables::kMajorFamilyDegrees[c];
  if (mode == Mode::mixolydian && column == tables::kMixolydianDominantColumn) {
    degree = tables::kMixolydianDominantDegree;
  }
  // The tonic of any mode is major or minor; other degrees are checked on a C scale of the mode
  // (triad qualities do not depend on the tonic).
  if (!degree_has_triad(make_scale(0, mode), degree)) return 0;
  return degree;
}

int column_for_degree(Mode mode, int degree) {
  for (int c = 0; c < kProgressionColumns; ++c) {
    if (column_degree(mode, c) == degree) return c;
  }
  return -1;
}

int next_column(Mode mode, int previous, bool phrase_final, Rng& rng) {
  const auto& table = is_minor_family(mode) ? tables::kMinorTransitions : tables::kMajorTransitions;
  const auto row = static_cast<std::size_t>(std::clamp(previous, 0, kProgressionColumns - 1));
  std::array<double, kProgressionColumns> weights{};
  double total = 0;
  for (int c = 0; c < kProgressionColumns; ++c) {
    const int degree = column_degree(mode, c);
    if (degree == 0) continue;
    double w = table[row][static_cast<std::size_t>(c)];
    if (phrase_final &&
        std::find(tables::kPhraseFinalDegrees.begin(), tables::kPhraseFinalDegrees.end(), degree) !=
            tables::kPhraseFinalDegrees.end()) {
      w *= tables::kPhraseFinalWeight;
    }
    weights[static_cast<std::size_t>(c)] = w;
    total += w;
  }
  if (total <= 0) return 0;
  return static_cast<int>(rng.pick_weighted(weights));
}

double transition_weight(Mode mode, int from, int to) {
  if (column_degree(mode, from) == 0 || column_degree(mode, to) == 0) return 0;
  const auto& table = is_minor_family(mode) ? tables::kMinorTransitions : tables::kMajorTransitions;
  return table[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

}  // namespace auralis::music
