// AAC-LC (48 kHz stereo) through FFmpeg's native libavcodec encoder: raw AAC frames of 1024
// samples with their presentation time, and the AudioSpecificConfig that describes them. The
// ADTS stream and the HLS segments wrap the same frames (media_muxer.hpp), so a session encodes
// AAC once for both.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace auralis::proto {

struct AacSettings {
  int bitrate_kbps = 128;  // 32..320
};

struct AacPacket {
  std::vector<std::uint8_t> data;  // one raw AAC frame (no ADTS header)
  std::int64_t pts = 0;            // 48 kHz samples on the input's timeline (see encode())
};

class AacEncoder {
 public:
  static constexpr int kFrameSamples = 1024;  // per channel, 21.3 ms at 48 kHz

  // `first_sample`: the timeline position of the first sample encode() will get.
  AacEncoder(const AacSettings& settings, std::int64_t first_sample);  // throws on failure
  ~AacEncoder();
  AacEncoder(const AacEncoder&) = delete;
  AacEncoder& operator=(const AacEncoder&) = delete;

  // Encodes interleaved stereo float (any number of frames; buffered into 1024-sample AAC
  // frames) and appends the finished packets to `out`. A packet's pts is where its audio plays
  // on the input timeline; the first packet (the encoder's priming) starts one frame before
  // `first_sample`.
  void encode(std::span<const float> interleaved, std::vector<AacPacket>& out);

  // The AudioSpecificConfig (ISO 14496-3), for the ADTS header, MPEG-TS and fMP4.
  const std::vector<std::uint8_t>& audio_specific_config() const { return config_; }
  int bitrate_bps() const { return bitrate_bps_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::uint8_t> config_;
  int bitrate_bps_ = 0;
};

}  // namespace auralis::proto
