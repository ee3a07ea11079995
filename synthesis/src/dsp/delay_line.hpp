// Power-of-two circular delay line: reads and writes wrap with a mask instead of a branch or a
// modulo, so the reverb, chorus and echo loops stay cheap.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace auralis::synthesis::dsp {

class DelayLine {
 public:
  DelayLine() = default;
  // Capacity is rounded up to a power of two >= max_delay_samples + 2 (interpolation taps).
  explicit DelayLine(int max_delay_samples) {
    std::size_t size = 1;
    while (size < static_cast<std::size_t>(max_delay_samples) + 2) size <<= 1;
    buffer_.assign(size, 0.0f);
    mask_ = static_cast<std::uint32_t>(size - 1);
  }

  void reset() { std::fill(buffer_.begin(), buffer_.end(), 0.0f); }

  // Raw access for hot loops that keep the write position in a local (see PlateReverb).
  float* data() { return buffer_.data(); }
  std::uint32_t mask() const { return mask_; }
  std::uint32_t write_index() const { return write_; }
  void set_write_index(std::uint32_t index) { write_ = index; }

  // Writes the newest sample and advances.
  void push(float x) {
    buffer_[write_ & mask_] = x;
    ++write_;
  }
  // Sample written `delay` pushes ago (delay >= 1 after push()).
  float read(int delay) const {
    return buffer_[(write_ - static_cast<std::uint32_t>(delay)) & mask_];
  }
  // Linear interpolation between whole delays (delay >= 1).
  float read_frac(float delay) const {
    const int whole = static_cast<int>(delay);
    const float frac = delay - static_cast<float>(whole);
    const float a = read(whole);
    const float b = read(whole + 1);
    return a + frac * (b - a);
  }

 private:
  std::vector<float> buffer_;
  std::uint32_t mask_ = 0;
  std::uint32_t write_ = 0;  // wraps naturally; only the masked bits matter
};

}  // namespace auralis::synthesis::dsp
