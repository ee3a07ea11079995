// HLS playlists (RFC 8216) as text: a live media playlist (a sliding window of segments with
// EXT-X-TARGETDURATION, EXT-X-MEDIA-SEQUENCE and EXT-X-PROGRAM-DATE-TIME on every segment) and
// the master playlist that lists the variants with their CODECS.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace auralis::proto {

struct HlsSegmentEntry {
  std::uint64_t sequence = 0;
  double duration_s = 0;
  std::string uri;
  std::chrono::system_clock::time_point program_date_time;
};

struct HlsMediaPlaylist {
  int version = 3;  // 3: MPEG-TS segments; 7: fMP4 (EXT-X-MAP)
  int target_duration_s = 4;
  std::string map_uri;                    // fMP4's init segment (empty: none)
  std::vector<HlsSegmentEntry> segments;  // consecutive sequence numbers, oldest first
};

struct HlsVariantEntry {
  std::string uri;
  int bandwidth_bps = 0;          // peak
  int average_bandwidth_bps = 0;  // average
  std::string codecs;             // e.g. "mp4a.40.2", "opus"
};

std::string render_media_playlist(const HlsMediaPlaylist& playlist);
std::string render_master_playlist(const std::vector<HlsVariantEntry>& variants);

// 2024-05-01T12:00:00.123Z
std::string iso8601_utc_ms(std::chrono::system_clock::time_point t);

}  // namespace auralis::proto
