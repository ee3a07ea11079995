// Encodes a session's PCM into Opus packets muxed into Ogg pages (RFC 7845), once per session.
// Each finished page is an immutable buffer that every listener shares; its packets are slices
// of the page body, so the WebSocket path reuses the same bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace auralis::proto {

inline constexpr int kOpusSampleRate = 48000;
inline constexpr int kOpusChannels = 2;
inline constexpr int kOpusFrameSamples = 960;  // 20 ms at 48 kHz, per channel

struct EncoderSettings {
  int bitrate_bps = 128000;
  int complexity = 10;       // 0..10
  int packets_per_page = 2;  // 20 ms packets: 1..3 gives 20-60 ms pages
  std::uint32_t serial = 0;  // 0: a random serial number
  std::vector<std::pair<std::string, std::string>> tags;  // OpusTags comments, e.g. TITLE
};

// One Ogg page: header + body bytes, and where its Opus packets lie in the body.
struct EncodedPage {
  std::vector<std::uint8_t> bytes;
  std::size_t body_offset = 0;
  std::vector<std::uint16_t> packet_sizes;
  std::int64_t granule = 0;       // samples at the end of the last packet, pre-skip included
  std::int64_t first_packet = 0;  // index of the page's first audio packet in the stream
  std::uint32_t page_sequence = 0;

  std::span<const std::uint8_t> packet(std::size_t i) const;
  std::int64_t duration_samples() const {
    return static_cast<std::int64_t>(packet_sizes.size()) * kOpusFrameSamples;
  }
};
using PagePtr = std::shared_ptr<const EncodedPage>;

class OggOpusEncoder {
 public:
  explicit OggOpusEncoder(const EncoderSettings& settings);  // throws std::runtime_error
  ~OggOpusEncoder();
  OggOpusEncoder(const OggOpusEncoder&) = delete;
  OggOpusEncoder& operator=(const OggOpusEncoder&) = delete;

  // OpusHead page then OpusTags page, as one byte string (sent first to every listener).
  const std::vector<std::uint8_t>& header_pages() const { return header_pages_; }
  // The 19-byte OpusHead packet (for WebCodecs' `description`).
  const std::vector<std::uint8_t>& opus_head() const { return opus_head_; }
  int pre_skip() const { return pre_skip_; }
  std::uint32_t serial() const { return serial_; }

  // Encodes one 20 ms frame of interleaved stereo float (1920 samples). Returns the finished
  // page when this packet completes one, else nullptr. `end_of_stream` marks the last packet
  // (EOS) and flushes its page. `end_granule` (EOS only, >= 0) trims the stream's end: the
  // granule of the last sample to play, pre-skip included, inside this last packet (RFC 7845
  // 4.4), so a file decodes to exactly the samples it was given.
  PagePtr encode_frame(std::span<const float> interleaved, bool end_of_stream = false,
                       std::int64_t end_granule = -1);

  std::int64_t packets_encoded() const { return packets_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::uint8_t> header_pages_;
  std::vector<std::uint8_t> opus_head_;
  int pre_skip_ = 0;
  std::uint32_t serial_ = 0;
  std::int64_t packets_ = 0;
};

}  // namespace auralis::proto
