// What the load client recognises in the bytes it counts: WebSocket frames (to answer pings)
// and Ogg page headers (the stream's audio clock).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace listeners_bench {

// RFC 6455 frames from the server (unmasked): counted, not decoded, except that pings are
// answered (the daemon closes a WebSocket that stays silent through its idle timeout).
class WsFrames {
 public:
  // Feeds received bytes; calls pong(payload) for each complete ping.
  void feed(const char* p, std::size_t n, const std::function<void(const std::string&)>& pong);

 private:
  std::array<unsigned char, 14> head_{};
  std::uint8_t have_ = 0, need_ = 2;
  bool in_payload_ = false;
  unsigned char opcode_ = 0;
  std::uint64_t left_ = 0;
  std::string ping_;
};

// The audio clock of an Ogg stream: the granule position (48 kHz samples for Opus) of the
// last page header read. The stream must start on a page boundary.
class OggClock {
 public:
  void feed(const char* p, std::size_t n);
  // Seconds of audio up to the last page read; negative when unknown or out of step.
  double audio_s() const { return lost_ || granule_ < 0 ? -1 : granule_ / 48000.0; }

 private:
  std::string head_;        // the page header being read: 27 bytes and the segment table
  std::uint64_t skip_ = 0;  // page body bytes still to pass
  std::int64_t granule_ = -1;
  bool lost_ = false;  // not a page where one should start
};

}  // namespace listeners_bench
