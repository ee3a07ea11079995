// Small signal measures for the synthesis tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace auralis::synthesis::testing {

inline double rms(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return x.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(x.size()));
}

inline double peak(std::span<const float> x) {
  double p = 0;
  for (float v : x) p = std::max(p, std::abs(static_cast<double>(v)));
  return p;
}

// Pearson correlation of two equally long signals.
inline double correlation(std::span<const float> a, std::span<const float> b) {
  const std::size_t n = std::min(a.size(), b.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(n);
  mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db, saa += da * da, sbb += db * db;
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace auralis::synthesis::testing
