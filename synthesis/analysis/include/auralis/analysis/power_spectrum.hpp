// The power spectrum of a real frame: a Hann window and a radix-2 FFT (real input packed into a
// half-length complex transform). For the listening figures and pictures, not for the stream.
#pragma once

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

namespace auralis::analysis {

class PowerSpectrum {
 public:
  // `size` must be a power of two >= 8; frames shorter than it are zero-padded.
  explicit PowerSpectrum(std::size_t size);

  std::size_t size() const { return n_; }
  std::size_t bins() const { return n_ / 2 + 1; }
  double bin_hz(double sample_rate) const { return sample_rate / static_cast<double>(n_); }

  // |X[k]|^2 for k in [0, size/2] of the Hann-windowed `frame` (window length = frame size).
  void compute(std::span<const float> frame, std::vector<double>& power);

 private:
  void fft(std::vector<std::complex<double>>& x) const;  // in place, size n_/2

  std::size_t n_;
  std::vector<double> window_;
  std::size_t window_for_ = 0;
  std::vector<std::complex<double>> twiddle_, split_;
  std::vector<std::size_t> reverse_;
  std::vector<std::complex<double>> buffer_;
};

}  // namespace auralis::analysis
