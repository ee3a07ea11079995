#include "auralis/analysis/power_spectrum.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace auralis::analysis {

PowerSpectrum::PowerSpectrum(std::size_t size) : n_(size) {
  if (size < 8 || (size & (size - 1)) != 0)
    throw std::invalid_argument("PowerSpectrum: size must be a power of two >= 8");
  const std::size_t half = n_ / 2;
  twiddle_.resize(half / 2);
  for (std::size_t k = 0; k < half / 2; ++k)
    twiddle_[k] = std::polar(
        1.0, -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(half));
  split_.resize(half);
  for (std::size_t k = 0; k < half; ++k)
    split_[k] =
        std::polar(1.0, -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n_));
  reverse_.resize(half);
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < half) ++bits;
  for (std::size_t i = 0; i < half; ++i) {
    std::size_t r = 0;
    for (std::size_t b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    reverse_[i] = r;
  }
  buffer_.resize(half);
}

void PowerSpectrum::fft(std::vector<std::complex<double>>& x) const {
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i)
    if (i < reverse_[i]) std::swap(x[i], x[reverse_[i]]);
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const std::size_t stride = n / len;
    for (std::size_t i = 0; i < n; i += len) {
      for (std::size_t k = 0; k < len / 2; ++k) {
        const std::complex<double> t = twiddle_[k * stride] * x[i + k + len / 2];
        x[i + k + len / 2] = x[i + k] - t;
        x[i + k] += t;
      }
    }
  }
}

void PowerSpectrum::compute(std::span<const float> frame, std::vector<double>& power) {
  const std::size_t m = std::min(frame.size(), n_);
  if (window_for_ != m) {
    window_.resize(m);
    for (std::size_t i = 0; i < m; ++i)
      window_[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                        static_cast<double>(m));
    window_for_ = m;
  }
  const std::size_t half = n_ / 2;
  // Even samples as real parts, odd as imaginary parts.
  for (std::size_t i = 0; i < half; ++i) {
    const std::size_t a = 2 * i, b = 2 * i + 1;
    const double re = a < m ? window_[a] * frame[a] : 0.0;
    const double im = b < m ? window_[b] * frame[b] : 0.0;
    buffer_[i] = {re, im};
  }
  fft(buffer_);
  power.resize(half + 1);
  for (std::size_t k = 0; k <= half; ++k) {
    const std::complex<double> z = buffer_[k % half];
    const std::complex<double> zc = std::conj(buffer_[(half - k) % half]);
    const std::complex<double> even = 0.5 * (z + zc);
    const std::complex<double> odd = std::complex<double>(0, -0.5) * (z - zc);
    const std::complex<double> x =
        even + (k < half ? split_[k] : std::complex<double>(-1, 0)) * odd;
    power[k] = std::norm(x);
  }
}

}  // namespace auralis::analysis
