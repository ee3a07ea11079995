#include "auralis/proto/hls_playlist.hpp"

#include <cstdio>
#include <ctime>

namespace auralis::proto {

std::string iso8601_utc_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int rem = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
  return buf;
}

std::string render_media_playlist(const HlsMediaPlaylist& p) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:" + std::to_string(p.version) +
                    "\n#EXT-X-TARGETDURATION:" + std::to_string(p.target_duration_s) +
                    "\n#EXT-X-MEDIA-SEQUENCE:" +
                    std::to_string(p.segments.empty() ? 0 : p.segments.front().sequence) +
                    "\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  if (!p.map_uri.empty()) out += "#EXT-X-MAP:URI=\"" + p.map_uri + "\"\n";
  char duration[32];
  for (const auto& s : p.segments) {
    std::snprintf(duration, sizeof duration, "%.6f", s.duration_s);
    out += "#EXT-X-PROGRAM-DATE-TIME:" + iso8601_utc_ms(s.program_date_time) +
           "\n#EXTINF:" + duration + ",\n" + s.uri + "\n";
  }
  return out;
}

std::string render_master_playlist(const std::vector<HlsVariantEntry>& variants) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const auto& v : variants)
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(v.bandwidth_bps) +
           ",AVERAGE-BANDWIDTH=" + std::to_string(v.average_bandwidth_bps) + ",CODECS=\"" +
           v.codecs + "\"\n" + v.uri + "\n";
  return out;
}

}  // namespace auralis::proto
