// An RGB picture written as PNG through libpng, and the colour map the report's pictures use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace auralis::bench {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

class Image {
 public:
  Image(int width, int height)
      : width_(width), height_(height), pixels_(static_cast<std::size_t>(width * height)) {}
  int width() const { return width_; }
  int height() const { return height_; }
  void set(int x, int y, Rgb c) {
    if (x >= 0 && y >= 0 && x < width_ && y < height_)
      pixels_[static_cast<std::size_t>(y * width_ + x)] = c;
  }
  void fill_rect(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) set(x, y, c);
  }
  // Throws std::runtime_error when the file cannot be written.
  void write_png(const std::string& path) const;

 private:
  int width_, height_;
  std::vector<Rgb> pixels_;
};

// Dark to bright (black, violet, red, orange, pale yellow) for x in [0, 1].
Rgb heat(double x);

}  // namespace auralis::bench
