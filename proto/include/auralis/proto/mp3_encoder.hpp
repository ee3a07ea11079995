// MP3 (MPEG-1 Layer III, CBR, 48 kHz stereo) through libmp3lame, for players that take nothing
// else (network radios, smart speakers, car radios). Output is whole frames only, so a listener
// can start or skip at any frame. The bit reservoir is off: each frame's audio data lies in the
// frame itself, so a listener joining (or skipping to the live edge) at any frame decodes it
// cleanly; at 48 kHz CBR every frame then has the same size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace auralis::proto {

struct Mp3Settings {
  int bitrate_kbps = 160;  // a CBR bitrate of MPEG-1 Layer III (32..320)
  int quality = 2;         // LAME's algorithm quality, 0 (best, slowest) .. 9
};

class Mp3Encoder {
 public:
  static constexpr int kFrameSamples = 1152;  // per channel, 24 ms at 48 kHz

  explicit Mp3Encoder(const Mp3Settings& settings);  // throws std::invalid_argument / runtime_error
  ~Mp3Encoder();
  Mp3Encoder(const Mp3Encoder&) = delete;
  Mp3Encoder& operator=(const Mp3Encoder&) = delete;

  // Encodes interleaved stereo float at 48 kHz (any number of frames) and appends the MP3
  // frames it completes to `out`. Returns how many frames were appended.
  int encode(std::span<const float> interleaved, std::vector<std::uint8_t>& out);

  int frame_bytes() const { return frame_bytes_; }
  // Samples (per channel) by which the encoded audio lags its input (LAME's encoder delay).
  int delay_samples() const { return delay_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int frame_bytes_ = 0;
  int delay_ = 0;
};

// The length in bytes of the MPEG-1/2 Layer III frame whose 4-byte header starts `header`, or 0
// when those bytes are not a Layer III frame header.
int mp3_frame_length(std::span<const std::uint8_t> header);

}  // namespace auralis::proto
