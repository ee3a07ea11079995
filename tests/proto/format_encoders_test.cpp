// The extra listener formats at the byte level: LAME's MP3 comes out as whole CBR frames,
// libavcodec's AAC as 1024-sample packets on the input's timeline, the muxers write ADTS,
// MPEG-TS pieces that each start with PAT/PMT and fMP4 init + fragments, the Opus decoder
// gives back the session's audio, ICY blocks and HLS playlists are what players parse.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "auralis/proto/aac_encoder.hpp"
#include "auralis/proto/hls_playlist.hpp"
#include "auralis/proto/icy_metadata.hpp"
#include "auralis/proto/media_muxer.hpp"
#include "auralis/proto/mp3_encoder.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "auralis/proto/opus_pcm_decoder.hpp"

namespace auralis::proto {
namespace {

std::vector<float> sine(std::int64_t first, int frames, double hz = 440) {
  std::vector<float> pcm(static_cast<std::size_t>(frames) * 2);
  for (int i = 0; i < frames; ++i) {
    const double t = static_cast<double>(first + i) / 48000.0;
    const auto v = static_cast<float>(0.4 * std::sin(2 * std::numbers::pi * hz * t));
    pcm[2 * static_cast<std::size_t>(i)] = v;
    pcm[2 * static_cast<std::size_t>(i) + 1] = -v;
  }
  return pcm;
}

std::uint32_t box_type(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t(b[at + 4]) << 24) | (std::uint32_t(b[at + 5]) << 16) |
         (std::uint32_t(b[at + 6]) << 8) | b[at + 7];
}
constexpr std::uint32_t fourcc(const char (&s)[5]) {
  return (std::uint32_t(std::uint8_t(s[0])) << 24) | (std::uint32_t(std::uint8_t(s[1])) << 16) |
         (std::uint32_t(std::uint8_t(s[2])) << 8) | std::uint8_t(s[3]);
}
// Top-level box types of an MP4 byte string.
std::vector<std::uint32_t> boxes(const std::vector<std::uint8_t>& b) {
  std::vector<std::uint32_t> out;
  std::size_t at = 0;
  while (at + 8 <= b.size()) {
    const std::size_t size = (std::size_t(b[at]) << 24) | (std::size_t(b[at + 1]) << 16) |
                             (std::size_t(b[at + 2]) << 8) | b[at + 3];
    if (size < 8) break;
    out.push_back(box_type(b, at));
    at += size;
  }
  EXPECT_EQ(at, b.size()) << "boxes do not fill the bytes";
  return out;
}

TEST(Mp3Encoder, WholeCbrFramesOfTheConfiguredSize) {
  Mp3Encoder mp3({.bitrate_kbps = 160});
  EXPECT_EQ(mp3.frame_bytes(), 480);  // 144 * 160000 / 48000: never padded at 48 kHz
  std::vector<std::uint8_t> out;
  int frames = 0;
  for (int i = 0; i < 50; ++i) frames += mp3.encode(sine(i * 960, 960), out);  // 1 s
  EXPECT_GE(frames, 38);  // 48000 / 1152 = 41.7, less LAME's delay
  ASSERT_EQ(out.size(), static_cast<std::size_t>(frames) * 480);
  for (int f = 0; f < frames; ++f)
    EXPECT_EQ(mp3_frame_length(std::span(out).subspan(static_cast<std::size_t>(f) * 480, 4)), 480)
        << "frame " << f;
}

TEST(Mp3Encoder, RefusesBitratesLayerThreeHasNot) {
  EXPECT_THROW(Mp3Encoder({.bitrate_kbps = 100}), std::invalid_argument);
  EXPECT_THROW(Mp3Encoder({.bitrate_kbps = 384}), std::invalid_argument);
}

TEST(AacEncoder, PacketsStepByOneFrameFromOneFrameBeforeTheStart) {
  AacEncoder aac({.bitrate_kbps = 128}, 96000);
  // AOT 2 (LC), sampling index 3 (48 kHz), 2 channels (then FFmpeg's "no SBR" signal).
  ASSERT_GE(aac.audio_specific_config().size(), 2u);
  EXPECT_EQ(aac.audio_specific_config()[0], 0x11);
  EXPECT_EQ(aac.audio_specific_config()[1], 0x90);
  std::vector<AacPacket> packets;
  for (int i = 0; i < 100; ++i) aac.encode(sine(96000 + i * 960, 960), packets);  // 2 s
  ASSERT_GT(packets.size(), 80u);
  EXPECT_EQ(packets.front().pts, 96000 - 1024);  // the encoder's priming frame
  for (std::size_t i = 1; i < packets.size(); ++i)
    EXPECT_EQ(packets[i].pts - packets[i - 1].pts, 1024);
  std::size_t bytes = 0;
  for (const auto& p : packets) bytes += p.data.size();
  const double kbps = bytes * 8.0 / (packets.size() * 1024 / 48000.0) / 1000;
  EXPECT_NEAR(kbps, 128, 20);
}

TEST(MemoryMuxer, AdtsFramesCarryTheirLength) {
  AacEncoder aac({}, 0);
  std::vector<AacPacket> packets;
  for (int i = 0; i < 20; ++i) aac.encode(sine(i * 960, 960), packets);
  MemoryMuxer adts(MuxFormat::adts, {MuxCodec::aac, 128000, aac.audio_specific_config()});
  EXPECT_TRUE(adts.header().empty());
  for (const auto& p : packets) {
    adts.write(p.data, p.pts + 1024, 1024);
    const auto bytes = adts.take();
    ASSERT_EQ(bytes.size(), p.data.size() + 7);
    EXPECT_EQ(bytes[0], 0xff);
    EXPECT_EQ(bytes[1] & 0xf6, 0xf0);  // sync, layer 0
    const std::size_t length = ((bytes[3] & 3u) << 11) | (bytes[4] << 3) | (bytes[5] >> 5);
    EXPECT_EQ(length, bytes.size());
  }
}

TEST(MemoryMuxer, EveryMpegTsPieceHasPatAndPmtBeforeItsAudio) {
  AacEncoder aac({}, 48000);
  MemoryMuxer ts(MuxFormat::mpegts, {MuxCodec::aac, 128000, aac.audio_specific_config()});
  std::vector<AacPacket> packets;
  for (int piece = 0; piece < 3; ++piece) {
    for (int i = 0; i < 100; ++i) aac.encode(sine(48000 + (piece * 100 + i) * 960, 960), packets);
    for (const auto& p : packets) ts.write(p.data, p.pts + 48000, 1024);
    packets.clear();
    ts.flush();
    const auto bytes = ts.take();
    ASSERT_GT(bytes.size(), 188u * 10);
    ASSERT_EQ(bytes.size() % 188, 0u);
    for (std::size_t at = 0; at < bytes.size(); at += 188) ASSERT_EQ(bytes[at], 0x47);
    // Tables first (SDT 0x11, PAT 0, PMT 0x1000), then the audio PID.
    std::vector<int> pids;
    for (std::size_t at = 0; at < bytes.size() && pids.size() < 4; at += 188) {
      const int pid = ((bytes[at + 1] & 0x1f) << 8) | bytes[at + 2];
      if (pids.empty() || pids.back() != pid) pids.push_back(pid);
    }
    EXPECT_EQ(pids, (std::vector<int>{0x11, 0, 0x1000, 0x100})) << "piece " << piece;
  }
}

TEST(MemoryMuxer, FragmentedMp4IsAnInitSegmentThenMoofMdatPerFlush) {
  OggOpusEncoder opus({});
  MemoryMuxer mp4(MuxFormat::fmp4, {MuxCodec::opus, 128000, opus.opus_head(), opus.pre_skip()});
  EXPECT_EQ(boxes(mp4.header()), (std::vector<std::uint32_t>{fourcc("ftyp"), fourcc("moov")}));
  std::int64_t packet = 0;
  for (int piece = 0; piece < 2; ++piece) {
    for (int i = 0; i < 100; ++i) {
      auto page = opus.encode_frame(sine(packet * 960, 960));
      if (!page) continue;
      for (std::size_t k = 0; k < page->packet_sizes.size(); ++k, ++packet)
        mp4.write(page->packet(k), (page->first_packet + static_cast<std::int64_t>(k)) * 960, 960);
    }
    mp4.flush();
    EXPECT_EQ(boxes(mp4.take()), (std::vector<std::uint32_t>{fourcc("moof"), fourcc("mdat")}));
  }
}

TEST(OpusPcmDecoder, GivesBackTheEncodedAudioLateByThePreSkip) {
  OggOpusEncoder opus({});
  OpusPcmDecoder decoder;
  std::vector<float> decoded;
  for (int f = 0; f < 50; ++f)
    if (auto page = opus.encode_frame(sine(f * 960, 960)))
      for (std::size_t k = 0; k < page->packet_sizes.size(); ++k)
        decoder.decode(page->packet(k), decoded);
  ASSERT_EQ(decoded.size(), 50u * 960 * 2);
  // Decoded sample t is input sample t - pre_skip.
  const auto reference = sine(-opus.pre_skip(), 50 * 960);
  double err = 0, energy = 0;
  for (std::size_t i = 2 * 4800; i < decoded.size(); ++i) {
    err += (decoded[i] - reference[i]) * (decoded[i] - reference[i]);
    energy += reference[i] * reference[i];
  }
  EXPECT_LT(10 * std::log10(err / energy), -25.0);
}

TEST(IcyMetadata, BlockIsLengthBytePlusPaddedStreamTitle) {
  const auto block = icy_metadata_block("night \xE2\x80\x94 D dorian \xC2\xB7 Dm9");
  ASSERT_EQ((block.size() - 1) % 16, 0u);
  EXPECT_EQ(static_cast<std::size_t>(block[0]) * 16, block.size() - 1);
  EXPECT_EQ(block.substr(1, block.find('\0', 1) - 1),
            "StreamTitle='night \xE2\x80\x94 D dorian \xC2\xB7 Dm9';");
  const auto quoted = icy_metadata_block("it's\r\nfine");
  EXPECT_NE(quoted.find("StreamTitle='it\xE2\x80\x99sfine';"), std::string::npos);
  const auto longest = icy_metadata_block(std::string(5000, 'x'));
  EXPECT_EQ(static_cast<unsigned char>(longest[0]), 255);
  EXPECT_EQ(icy_empty_block(), std::string(1, '\0'));
}

TEST(HlsPlaylist, MediaPlaylistListsTheWindowWithDatesAndTheMap) {
  using namespace std::chrono;
  const system_clock::time_point t0{milliseconds(1700000000123)};
  HlsMediaPlaylist p{7, 4, "opus-ab-init.mp4", {}};
  p.segments.push_back({41, 4.0, "opus-ab-41.m4s", t0});
  p.segments.push_back({42, 4.0, "opus-ab-42.m4s", t0 + seconds(4)});
  EXPECT_EQ(render_media_playlist(p),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:41\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"opus-ab-init.mp4\"\n"
            "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.123Z\n#EXTINF:4.000000,\n"
            "opus-ab-41.m4s\n"
            "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.123Z\n#EXTINF:4.000000,\n"
            "opus-ab-42.m4s\n");
  EXPECT_EQ(render_master_playlist({{"aac.m3u8", 140000, 135000, "mp4a.40.2"}}),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=135000,CODECS=\"mp4a.40.2\"\n"
            "aac.m3u8\n");
}

}  // namespace
}  // namespace auralis::proto
