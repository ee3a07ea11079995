// FFmpeg's muxers (libavformat) writing into memory: ADTS for the AAC stream, MPEG-TS for the
// AAC HLS segments, fragmented MP4 for the Opus HLS segments. One audio stream per muxer;
// timestamps are 48 kHz samples. The caller takes the bytes out after each write or flush.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace auralis::proto {

enum class MuxCodec { aac, opus };
enum class MuxFormat {
  adts,    // AAC frames each with its ADTS header
  mpegts,  // MPEG-TS; every piece after flush() starts with PAT/PMT, so a segment stands alone
  fmp4,    // fragmented MP4: header() is the init segment (ftyp+moov), each flush() a moof+mdat
};

struct MuxStream {
  MuxCodec codec = MuxCodec::aac;
  int bitrate_bps = 0;
  std::vector<std::uint8_t> extradata;  // AAC: AudioSpecificConfig; Opus: the OpusHead packet
  int initial_padding = 0;              // Opus: pre-skip (samples)
};

class MemoryMuxer {
 public:
  MemoryMuxer(MuxFormat format, const MuxStream& stream);  // throws std::runtime_error
  ~MemoryMuxer();
  MemoryMuxer(const MemoryMuxer&) = delete;
  MemoryMuxer& operator=(const MemoryMuxer&) = delete;

  // What the muxer wrote before any packet (fMP4: the init segment; ADTS/MPEG-TS: nothing).
  const std::vector<std::uint8_t>& header() const { return header_; }
  // Muxes one packet; `pts` and `duration` in 48 kHz samples.
  void write(std::span<const std::uint8_t> packet, std::int64_t pts, std::int64_t duration);
  // Writes out what the muxer holds back (MPEG-TS: its PES, fMP4: the fragment) and makes the
  // next bytes start a piece that stands alone.
  void flush();
  // The bytes written since the last take().
  std::vector<std::uint8_t> take();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::uint8_t> header_;
};

}  // namespace auralis::proto
