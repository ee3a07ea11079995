#include "listeners/stream_parsers.hpp"

#include <algorithm>

namespace listeners_bench {

void WsFrames::feed(const char* p, std::size_t n,
                    const std::function<void(const std::string&)>& pong) {
  const char* end = p + n;
  while (p < end) {
    if (!in_payload_) {
      head_[have_++] = static_cast<unsigned char>(*p++);
      if (have_ == 2) {  // the payload length's size and the mask tell the header's size
        const unsigned len7 = head_[1] & 0x7fu;
        const int extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        need_ = static_cast<std::uint8_t>(2 + extended + ((head_[1] & 0x80u) ? 4 : 0));
      }
      if (have_ < 2 || have_ < need_) continue;
      const unsigned len7 = head_[1] & 0x7fu;
      left_ = len7;
      if (len7 == 126) left_ = (std::uint64_t{head_[2]} << 8) | head_[3];
      if (len7 == 127) {
        left_ = 0;
        for (int i = 2; i < 10; ++i) left_ = (left_ << 8) | head_[i];
      }
      opcode_ = head_[0] & 0x0fu;
      have_ = 0;
      need_ = 2;
      in_payload_ = true;
      ping_.clear();
    } else {
      const auto take = static_cast<std::size_t>(
          std::min<std::uint64_t>(left_, static_cast<std::uint64_t>(end - p)));
      if (opcode_ == 0x9 && ping_.size() < 125) ping_.append(p, std::min<std::size_t>(take, 125));
      p += take;
      left_ -= take;
    }
    if (in_payload_ && left_ == 0) {
      in_payload_ = false;
      if (opcode_ == 0x9) pong(ping_);
    }
  }
}

void OggClock::feed(const char* p, std::size_t n) {
  while (n > 0 && !lost_) {
    if (skip_ > 0) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, n));
      p += take;
      n -= take;
      skip_ -= take;
      continue;
    }
    head_.push_back(*p++);
    --n;
    if (head_.size() < 27) continue;
    if (head_.size() == 27 && head_.compare(0, 4, "OggS") != 0) {
      lost_ = true;
      return;
    }
    const std::size_t segments = static_cast<unsigned char>(head_[26]);
    if (head_.size() < 27 + segments) continue;
    std::uint64_t g = 0;
    for (int i = 13; i >= 6; --i) g = (g << 8) | static_cast<unsigned char>(head_[i]);
    if (g != ~std::uint64_t{0}) granule_ = static_cast<std::int64_t>(g);  // -1: no packet ends
    for (std::size_t i = 0; i < segments; ++i) skip_ += static_cast<unsigned char>(head_[27 + i]);
    head_.clear();
  }
}

}  // namespace listeners_bench
