// Per-format counters for /metrics, daemon-wide and lock-free: listeners of the byte-stream
// formats, the encoders running now, the CPU their encoding (and muxing) took, HLS requests.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

namespace auralis::server {

// The formats a session encodes besides its Opus: each runs only while it is listened to.
enum class ExtraFormat { mp3 = 0, aac = 1, hls_opus = 2 };
inline constexpr int kExtraFormats = 3;
inline const char* format_label(ExtraFormat f) {
  static constexpr const char* kNames[kExtraFormats] = {"mp3", "aac", "hls_opus"};
  return kNames[static_cast<int>(f)];
}

struct FormatMetrics {
  // Listeners now connected to /stream/{id}.mp3 and .aac (HLS clients are requests, below).
  std::shared_ptr<std::atomic<std::int64_t>> mp3_listeners =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::shared_ptr<std::atomic<std::int64_t>> aac_listeners =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::array<std::atomic<std::int64_t>, kExtraFormats> encoders_running{};
  std::array<std::atomic<std::uint64_t>, kExtraFormats> encoder_starts{};
  std::array<std::atomic<std::uint64_t>, kExtraFormats> encode_cpu_ns{};
  std::atomic<std::int64_t> hls_sessions{0};  // sessions segmenting HLS now
  std::atomic<std::uint64_t> hls_playlist_requests{0};
  std::atomic<std::uint64_t> hls_segment_requests{0};
};

}  // namespace auralis::server
