// What the load client recognises in the bytes it counts: WebSocket frames (to answer pings),
// Ogg page headers and MP3 frame headers (the stream's audio clock).
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

// The audio an HTTP listener has received, read from the stream's own framing.
class AudioClock {
 public:
  virtual ~AudioClock() = default;
  virtual void feed(const char* p, std::size_t n) = 0;
  // Seconds of audio up to the last page or frame header read; negative when unknown or out
  // of step. Only differences are meaningful.
  virtual double audio_s() const = 0;
};

// The audio clock of an Ogg stream: the granule position (48 kHz samples for Opus) of the
// last page header read. The stream must start on a page boundary.
class OggClock final : public AudioClock {
 public:
  void feed(const char* p, std::size_t n) override;
  double audio_s() const override { return lost_ || granule_ < 0 ? -1 : granule_ / 48000.0; }

 private:
  std::string head_;        // the page header being read: 27 bytes and the segment table
  std::uint64_t skip_ = 0;  // page body bytes still to pass
  std::int64_t granule_ = -1;
  bool lost_ = false;  // not a page where one should start
};

// The audio clock of an MPEG audio Layer III stream: the samples of the frames whose headers
// were read. A listener may join mid-frame (icecast2 starts its burst anywhere, after an ID3
// tag from ffmpeg): the clock locks on two headers a frame apart that agree, then follows the
// frames' lengths; a frame where none belongs puts it out of step for good.
class Mp3Clock final : public AudioClock {
 public:
  void feed(const char* p, std::size_t n) override;
  double audio_s() const override {
    return lost_ || sample_rate_ == 0 ? -1 : static_cast<double>(samples_) / sample_rate_;
  }
  int kbps() const { return kbps_; }  // of the last frame read; 0 before the lock

 private:
  struct Frame {
    int bytes = 0, samples = 0, sample_rate = 0, kbps = 0;
    unsigned char version = 0;
  };
  static bool parse(const unsigned char* h, Frame& f);  // a Layer III header, else false
  void hunt();
  void follow(const char* p, std::size_t n);

  std::string hunt_;           // bytes not yet placed, before the lock
  std::string head_;           // the frame header being read, after the lock
  std::uint64_t skip_ = 0;     // frame bytes still to pass
  std::uint64_t samples_ = 0;  // since the lock
  int sample_rate_ = 0, kbps_ = 0;
  unsigned char version_ = 0;
  bool locked_ = false, lost_ = false;
};

}  // namespace listeners_bench
