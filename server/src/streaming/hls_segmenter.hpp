// Cuts one HLS variant's packets into segments and hands them to the store. Segments lie on
// the session's own timeline: segment n holds the packets that start in [n*L, (n+1)*L) (L the
// segment length in samples), so its number, its start and its program date time follow from
// the audio, and a segmenter started again later continues the same numbering. Each segment
// is muxed once (MemoryMuxer: MPEG-TS or fMP4) into an immutable buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "auralis/proto/media_muxer.hpp"
#include "streaming/hls_store.hpp"

namespace auralis::server {

class HlsSegmenter {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point(std::int64_t sample)>;

  // `name_prefix` + sequence + `extension` names a segment ("aac-<epoch>-" "57" ".ts").
  HlsSegmenter(HlsVariant variant, proto::MuxFormat format, const proto::MuxStream& stream,
               std::string name_prefix, std::string extension, std::int64_t segment_samples,
               WallClock wall_clock, HlsStore& store);

  // The fMP4 init segment (empty for MPEG-TS).
  const std::vector<std::uint8_t>& init() const { return muxer_.header(); }
  // The next packet in stream order: `pts` where its audio starts on the session's timeline,
  // in 48 kHz samples. Packets before the first segment boundary seen are dropped.
  void add(std::span<const std::uint8_t> packet, std::int64_t pts, std::int64_t duration);

 private:
  void finish(std::int64_t end_pts);

  // Timestamps in the segments are the timeline's plus this, so they are never negative.
  static constexpr std::int64_t kTimestampOffset = 10 * 48000;

  HlsVariant variant_;
  proto::MemoryMuxer muxer_;
  std::string prefix_;
  std::string extension_;
  std::int64_t segment_samples_;
  WallClock wall_clock_;
  HlsStore& store_;
  std::int64_t last_pts_ = INT64_MIN;
  bool open_ = false;               // a segment is being filled
  std::int64_t segment_ = 0;        // its number
  std::int64_t segment_start_ = 0;  // its first packet's pts
};

}  // namespace auralis::server
