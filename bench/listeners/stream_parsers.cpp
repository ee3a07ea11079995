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

// Passes over up to `skip` bytes of the input (a frame's or page's body); true if it did.
static bool skip_bytes(const char*& p, std::size_t& n, std::uint64_t& skip) {
  if (skip == 0) return false;
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(skip, n));
  p += take;
  n -= take;
  skip -= take;
  return true;
}

void OggClock::feed(const char* p, std::size_t n) {
  while (n > 0 && !lost_) {
    if (skip_bytes(p, n, skip_)) continue;
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

namespace {

// kb/s by bitrate index: MPEG-1 Layer III, MPEG-2 and 2.5 Layer III.
constexpr int kKbpsV1[16] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0};
constexpr int kKbpsV2[16] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0};
constexpr int kRateV1[3] = {44100, 48000, 32000};

}  // namespace

bool Mp3Clock::parse(const unsigned char* h, Frame& f) {
  if (h[0] != 0xff || (h[1] & 0xe0u) != 0xe0u) return false;
  const unsigned version = (h[1] >> 3) & 3u;  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const unsigned layer = (h[1] >> 1) & 3u;    // 1: Layer III
  const unsigned bitrate = h[2] >> 4, rate = (h[2] >> 2) & 3u, padding = (h[2] >> 1) & 1u;
  if (version == 1 || layer != 1 || bitrate == 0 || bitrate == 15 || rate == 3) return false;
  const bool v1 = version == 3;
  f.version = static_cast<unsigned char>(version);
  f.kbps = v1 ? kKbpsV1[bitrate] : kKbpsV2[bitrate];
  f.sample_rate = kRateV1[rate] >> (v1 ? 0 : version == 2 ? 1 : 2);
  f.samples = v1 ? 1152 : 576;
  f.bytes = (f.samples / 8) * f.kbps * 1000 / f.sample_rate + static_cast<int>(padding);
  return f.bytes >= 4;
}

void Mp3Clock::feed(const char* p, std::size_t n) {
  if (lost_) return;
  if (locked_) return follow(p, n);
  hunt_.append(p, n);
  hunt();
}

// Before the lock: a header whose next frame starts with a header of the same stream.
void Mp3Clock::hunt() {
  const auto* b = reinterpret_cast<const unsigned char*>(hunt_.data());
  std::size_t i = 0;
  for (; i + 4 <= hunt_.size(); ++i) {
    Frame f, next;
    if (!parse(b + i, f)) continue;
    const std::size_t j = i + static_cast<std::size_t>(f.bytes);
    if (j + 4 > hunt_.size()) break;  // the next header has not arrived yet
    if (!parse(b + j, next) || next.version != f.version || next.sample_rate != f.sample_rate)
      continue;
    locked_ = true;
    version_ = f.version;
    sample_rate_ = f.sample_rate;
    const std::string rest = hunt_.substr(i);
    std::string().swap(hunt_);
    return follow(rest.data(), rest.size());
  }
  hunt_.erase(0, i);
  if (hunt_.size() > 64 * 1024) lost_ = true;  // no MP3 in 64 KiB
}

// After the lock: each frame's header tells where the next one starts.
void Mp3Clock::follow(const char* p, std::size_t n) {
  while (n > 0 && !lost_) {
    if (skip_bytes(p, n, skip_)) continue;
    const std::size_t take = std::min<std::size_t>(4 - head_.size(), n);
    head_.append(p, take);
    p += take;
    n -= take;
    if (head_.size() < 4) continue;
    Frame f;
    if (!parse(reinterpret_cast<const unsigned char*>(head_.data()), f) || f.version != version_ ||
        f.sample_rate != sample_rate_) {
      lost_ = true;
      return;
    }
    samples_ += static_cast<std::uint64_t>(f.samples);
    kbps_ = f.kbps;
    skip_ = static_cast<std::uint64_t>(f.bytes) - 4;
    head_.clear();
  }
}

}  // namespace listeners_bench
