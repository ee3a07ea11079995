#include "png_image.hpp"

#include <png.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

namespace auralis::bench {

void Image::write_png(const std::string& path) const {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot write " + path);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    throw std::runtime_error("libpng failed writing " + path);
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width_), static_cast<png_uint_32>(height_), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_byte> row(static_cast<std::size_t>(3 * width_));
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      const Rgb& c = pixels_[static_cast<std::size_t>(y * width_ + x)];
      row[static_cast<std::size_t>(3 * x)] = c.r;
      row[static_cast<std::size_t>(3 * x + 1)] = c.g;
      row[static_cast<std::size_t>(3 * x + 2)] = c.b;
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(file) != 0) throw std::runtime_error("cannot write " + path);
}

Rgb heat(double x) {
  static constexpr std::array<std::array<double, 3>, 5> kStops = {
      {{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}}};
  x = std::clamp(x, 0.0, 1.0) * (kStops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(x), kStops.size() - 2);
  const double t = x - static_cast<double>(i);
  const auto mix = [&](int k) {
    return static_cast<std::uint8_t>(kStops[i][static_cast<std::size_t>(k)] * (1 - t) +
                                     kStops[i + 1][static_cast<std::size_t>(k)] * t + 0.5);
  };
  return {mix(0), mix(1), mix(2)};
}

}  // namespace auralis::bench
