// The encoder's Ogg pages are valid RFC 7845 pages and its Opus packets decode back to the input.
#include "auralis/proto/ogg_opus_encoder.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "auralis/proto/ogg_page_reader.hpp"

namespace auralis::proto {
namespace {

std::vector<float> sine_frame(std::int64_t frame_index, double hz) {
  std::vector<float> pcm(kOpusFrameSamples * 2);
  for (int i = 0; i < kOpusFrameSamples; ++i) {
    const double t = static_cast<double>(frame_index * kOpusFrameSamples + i) / kOpusSampleRate;
    const float v = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * hz * t));
    pcm[2 * i] = v;
    pcm[2 * i + 1] = v * 0.5f;
  }
  return pcm;
}

std::vector<PagePtr> encode_frames(OggOpusEncoder& encoder, int frames) {
  std::vector<PagePtr> pages;
  for (int f = 0; f < frames; ++f)
    if (auto page = encoder.encode_frame(sine_frame(f, 440))) pages.push_back(page);
  return pages;
}

TEST(OggOpusEncoder, HeaderPagesAreOpusHeadThenOpusTagsWithValidCrc) {
  OggOpusEncoder encoder({.tags = {{"TITLE", "test"}}});
  const auto pages = parse_ogg_pages(encoder.header_pages());
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].header_type & 2, 2) << "first page must carry BOS";
  EXPECT_TRUE(pages[0].crc_ok);
  EXPECT_TRUE(pages[1].crc_ok);
  ASSERT_EQ(pages[0].packets.size(), 1u);
  ASSERT_EQ(pages[0].packets[0].size(), 19u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pages[0].packets[0].data()), 8), "OpusHead");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pages[1].packets[0].data()), 8), "OpusTags");
  EXPECT_EQ(pages[0].granule, 0);
  EXPECT_EQ(pages[1].granule, 0);
  EXPECT_EQ(encoder.pre_skip(), 312);
  EXPECT_EQ(pages[0].serial, encoder.serial());
}

TEST(OggOpusEncoder, SerialNumbersAreRandomPerEncoder) {
  OggOpusEncoder a({}), b({});
  EXPECT_NE(a.serial(), b.serial());
  EXPECT_NE(a.serial(), 1804289383u) << "unseeded rand() serial";
}

TEST(OggOpusEncoder, AudioPagesHaveValidCrcAndContinuousGranules) {
  for (int per_page : {1, 2, 3}) {
    OggOpusEncoder encoder({.packets_per_page = per_page});
    const auto encoded = encode_frames(encoder, 150);
    ASSERT_EQ(encoded.size(), static_cast<std::size_t>(150 / per_page));
    std::int64_t expected_granule = 0;
    std::uint32_t expected_sequence = 2;  // pages 0 and 1 are the headers
    for (const auto& page : encoded) {
      const auto view = parse_ogg_page(page->bytes);
      ASSERT_TRUE(view.has_value());
      EXPECT_TRUE(view->crc_ok) << "CRC mismatch on page " << view->sequence;
      EXPECT_EQ(view->size, page->bytes.size());
      EXPECT_EQ(view->sequence, expected_sequence++);
      expected_granule += per_page * kOpusFrameSamples;
      EXPECT_EQ(view->granule, expected_granule) << "granule must step by 960 per packet";
      EXPECT_EQ(page->granule, expected_granule);
      ASSERT_EQ(view->packets.size(), static_cast<std::size_t>(per_page));
      for (std::size_t i = 0; i < view->packets.size(); ++i) {
        const auto slice = page->packet(i);
        ASSERT_EQ(slice.size(), view->packets[i].size());
        EXPECT_EQ(slice.data(),
                  page->bytes.data() + (view->packets[i].data() - page->bytes.data()));
      }
    }
  }
}

// A file's end is trimmed (RFC 7845 4.4): the end-of-stream page flushes the packets pending
// and carries the granule of the last sample to play; one outside the last packet is refused.
TEST(OggOpusEncoder, EndOfStreamPageTrimsToTheGivenGranule) {
  OggOpusEncoder encoder({.packets_per_page = 2});
  encode_frames(encoder, 3);  // one page, one packet pending
  EXPECT_THROW(encoder.encode_frame(sine_frame(3, 440), false, 3000), std::invalid_argument);
  EXPECT_THROW(encoder.encode_frame(sine_frame(3, 440), true, 3 * kOpusFrameSamples),
               std::invalid_argument);
  EXPECT_THROW(encoder.encode_frame(sine_frame(3, 440), true, 4 * kOpusFrameSamples + 1),
               std::invalid_argument);
  EXPECT_EQ(encoder.packets_encoded(), 3) << "a refused frame must not be encoded";
  const auto last = encoder.encode_frame(sine_frame(3, 440), true, 3 * kOpusFrameSamples + 100);
  ASSERT_TRUE(last);
  const auto view = parse_ogg_page(last->bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->header_type & 4, 4) << "end-of-stream flag";
  EXPECT_EQ(view->granule, 3 * kOpusFrameSamples + 100);
  EXPECT_EQ(view->packets.size(), 2u);
}

TEST(OggOpusEncoder, CorruptedPageFailsCrc) {
  OggOpusEncoder encoder({.packets_per_page = 1});
  const auto pages = encode_frames(encoder, 1);
  ASSERT_EQ(pages.size(), 1u);
  auto bytes = pages[0]->bytes;
  bytes.back() ^= 0x40;
  const auto view = parse_ogg_page(bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_FALSE(view->crc_ok);
}

TEST(OggOpusEncoder, PacketsDecodeBackToTheInput) {
  OggOpusEncoder encoder({.bitrate_bps = 128000, .packets_per_page = 2});
  constexpr int kFrames = 100;  // 2 s
  std::vector<float> input;
  std::vector<PagePtr> pages;
  for (int f = 0; f < kFrames; ++f) {
    auto pcm = sine_frame(f, 440);
    input.insert(input.end(), pcm.begin(), pcm.end());
    if (auto page = encoder.encode_frame(pcm)) pages.push_back(page);
  }
  int err = 0;
  OpusDecoder* decoder = opus_decoder_create(kOpusSampleRate, 2, &err);
  ASSERT_EQ(err, OPUS_OK);
  std::vector<float> output;
  std::vector<float> frame(kOpusFrameSamples * 2);
  for (const auto& page : pages) {
    for (std::size_t i = 0; i < page->packet_sizes.size(); ++i) {
      const auto packet = page->packet(i);
      const int n =
          opus_decode_float(decoder, packet.data(), static_cast<opus_int32>(packet.size()),
                            frame.data(), kOpusFrameSamples, 0);
      ASSERT_EQ(n, kOpusFrameSamples);
      output.insert(output.end(), frame.begin(), frame.begin() + 2 * n);
    }
  }
  opus_decoder_destroy(decoder);
  ASSERT_EQ(output.size(), input.size());

  // Output lags input by pre-skip samples; compare the overlap after the first 100 ms.
  const std::size_t skip = static_cast<std::size_t>(encoder.pre_skip());
  double signal = 0, noise = 0;
  for (std::size_t i = 4800; i + skip < input.size() / 2; ++i) {
    for (int c = 0; c < 2; ++c) {
      const double x = input[2 * i + c];
      const double y = output[2 * (i + skip) + c];
      signal += x * x;
      noise += (x - y) * (x - y);
    }
  }
  const double snr_db = 10 * std::log10(signal / noise);
  EXPECT_GT(snr_db, 20.0) << "decoded audio does not match the input";
}

}  // namespace
}  // namespace auralis::proto
