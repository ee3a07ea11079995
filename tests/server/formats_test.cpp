// The pieces of the extra formats, alone: the byte-stream hub (burst, batches, idle reset), ICY
// framing (a block every metaint bytes, the block of the chunk it falls in, no copies), the
// catch-up feed (decoded past, then the live PCM bit for bit), the HLS segmenter and store
// (segments on the timeline, playlists, waiting requests), and Range on segments.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "api/byte_range.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "sessions/catch_up_feed.hpp"
#include "streaming/chunk_hub.hpp"
#include "streaming/hls_segmenter.hpp"
#include "streaming/hls_store.hpp"
#include "streaming/icy_framer.hpp"

namespace auralis::server {
namespace {

ChunkPtr chunk(std::size_t bytes, std::int64_t samples, char fill = 'a',
               std::shared_ptr<const std::string> block = nullptr) {
  auto c = std::make_shared<MediaChunk>();
  c->bytes.assign(bytes, static_cast<std::uint8_t>(fill));
  c->samples = samples;
  c->icy_block = std::move(block);
  return c;
}

struct Recorder : ChunkSubscriber {
  std::vector<ChunkBatchPtr> batches;
  bool ended = false;
  void on_chunks(const ChunkBatchPtr& b) override { batches.push_back(b); }
  void on_chunks_end() override { ended = true; }
};

TEST(ChunkHub, BatchesByFanoutAndBurstsRecentChunks) {
  ChunkHub hub(500, 100);                                      // ms
  for (int i = 0; i < 50; ++i) hub.publish(chunk(100, 1152));  // 1.2 s of MP3 frames
  auto rec = std::make_shared<Recorder>();
  const auto burst = hub.subscribe(rec);
  std::int64_t burst_samples = 0;
  for (const auto& c : burst) burst_samples += c->samples;
  EXPECT_LE(burst_samples, 500 * 48);
  EXPECT_GT(burst_samples, 400 * 48);
  for (int i = 0; i < 20; ++i) hub.publish(chunk(100, 1152));
  ASSERT_FALSE(rec->batches.empty());
  for (const auto& b : rec->batches) {
    std::int64_t s = 0;
    for (const auto& c : b->chunks) s += c->samples;
    EXPECT_GE(s, 100 * 48);
    EXPECT_EQ(b->bytes, b->chunks.size() * 100);
  }
  hub.close();
  EXPECT_TRUE(rec->ended);
}

TEST(ChunkHub, ForgetsItsHistoryOnlyAfterBeingIdleLongEnough) {
  using namespace std::chrono;
  ChunkHub hub(500, 100);
  auto rec = std::make_shared<Recorder>();
  hub.subscribe(rec);
  for (int i = 0; i < 30; ++i) hub.publish(chunk(100, 1152));
  const auto now = steady_clock::now();
  EXPECT_FALSE(hub.reset_if_idle(now + hours(1), seconds(10))) << "it has a listener";
  hub.unsubscribe(rec.get());
  EXPECT_FALSE(hub.reset_if_idle(steady_clock::now(), seconds(10)));
  EXPECT_TRUE(hub.reset_if_idle(steady_clock::now() + seconds(11), seconds(10)));
  EXPECT_TRUE(hub.subscribe(std::make_shared<Recorder>()).empty()) << "no burst of old audio";
}

TEST(IcyFramer, PutsTheChunksBlockAfterEveryMetaintBytes) {
  auto title_a = std::make_shared<const std::string>("\x01StreamTitle='a';\0\0\0", 17);
  auto title_b = std::make_shared<const std::string>("\x01StreamTitle='b';\0\0\0", 17);
  IcyFramer framer(100);
  std::vector<boost::asio::const_buffer> out;
  const std::vector<ChunkPtr> first{chunk(150, 1, 'x', title_a), chunk(120, 1, 'y', title_b)};
  const std::vector<ChunkPtr> second{chunk(40, 1, 'z', nullptr)};
  framer.frame(first, out);
  framer.frame(second, out);
  std::string wire;
  for (const auto& b : out) wire.append(static_cast<const char*>(b.data()), b.size());
  // 100 audio, block a, 100 audio (50 x + 50 y), block b, 100 audio (70 y + 30 z), no title.
  ASSERT_EQ(wire.size(), 310u + 17 + 17 + 1);
  EXPECT_EQ(wire.substr(0, 100), std::string(100, 'x'));
  EXPECT_EQ(wire.substr(100, 17), *title_a);
  EXPECT_EQ(wire.substr(117, 100), std::string(50, 'x') + std::string(50, 'y'));
  EXPECT_EQ(wire.substr(217, 17), *title_b) << "the block of the chunk the boundary falls in";
  EXPECT_EQ(wire.substr(234, 100), std::string(70, 'y') + std::string(30, 'z'));
  EXPECT_EQ(wire.substr(334, 1), std::string(1, '\0'));
  EXPECT_EQ(wire.substr(335), std::string(10, 'z'));
  // The audio buffers point into the chunks: nothing was copied.
  EXPECT_EQ(out.size(), 9u);
  EXPECT_EQ(out[0].data(), first[0]->bytes.data());
}

std::vector<float> sine(std::int64_t first, std::int64_t frames) {
  std::vector<float> pcm(static_cast<std::size_t>(2 * frames));
  for (std::int64_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(first + i) / 48000.0;
    pcm[2 * i] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 330 * t));
    pcm[2 * i + 1] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 550 * t));
  }
  return pcm;
}

TEST(CatchUpFeed, DecodesThePastThenGivesTheLivePcmBitForBit) {
  proto::OggOpusEncoder encoder({.packets_per_page = 2});
  std::vector<proto::PagePtr> pages;
  constexpr std::int64_t kPackets = 100;  // 2 s of history
  for (std::int64_t p = 0; p < kPackets; ++p)
    if (auto page = encoder.encode_frame(sine(p * 960, 960))) pages.push_back(page);
  const std::int64_t live_from = kPackets * 960;
  const auto last_frame = sine(live_from - 960, 960);
  CatchUpFeed feed(pages, last_frame, live_from, live_from - 48000, encoder.pre_skip());
  EXPECT_EQ(feed.first_sample(), live_from - 48000);
  std::vector<float> out;
  EXPECT_EQ(feed.pull(1000000, out), 48000u) << "the past is all there at once";
  for (int f = 0; f < 3; ++f) feed.push_live(sine(live_from + f * 960, 960));
  EXPECT_EQ(feed.available(), 3u * 960);
  EXPECT_EQ(feed.pull(1000000, out), 3u * 960);
  const auto reference = sine(live_from - 48000, 48000 + 3 * 960);
  ASSERT_EQ(out.size(), reference.size());
  // Decoded past: close to the original (Opus at 128 kb/s).
  double err = 0, energy = 0;
  const std::size_t decoded_end = 2 * static_cast<std::size_t>(48000 - encoder.pre_skip());
  for (std::size_t i = 0; i < decoded_end; ++i) {
    err += (out[i] - reference[i]) * (out[i] - reference[i]);
    energy += reference[i] * reference[i];
  }
  EXPECT_LT(10 * std::log10(err / energy), -25.0);
  // The pre-skip samples before the live edge, and the live frames: the original itself.
  for (std::size_t i = decoded_end; i < out.size(); ++i) ASSERT_EQ(out[i], reference[i]) << i;
}

TEST(CatchUpFeed, StartsLiveWithoutHistory) {
  const auto last = sine(0, 960);
  CatchUpFeed feed({}, last, 960, -1000000, 312);
  EXPECT_EQ(feed.first_sample(), 960);
  std::vector<float> out;
  EXPECT_EQ(feed.pull(100, out), 0u);
  feed.push_live(sine(960, 960));
  EXPECT_EQ(feed.pull(5000, out), 960u);
}

TEST(HlsSegmenter, CutsOnTheTimelineAndTheStoreServesTheWindow) {
  using namespace std::chrono;
  HlsSettings settings;
  settings.segment_s = 2;
  settings.window_segments = 3;
  settings.kept_segments = 4;
  settings.opus = true;
  settings.wait_limit = seconds(5);
  HlsStore store(settings);
  proto::OggOpusEncoder encoder({});
  const system_clock::time_point t0{seconds(1700000000)};
  auto wall = [t0](std::int64_t s) {
    return t0 + duration_cast<system_clock::duration>(duration<double>(s / 48000.0));
  };
  HlsSegmenter segmenter(HlsVariant::opus, proto::MuxFormat::fmp4,
                         {proto::MuxCodec::opus, 128000, encoder.opus_head(), encoder.pre_skip()},
                         "opus-e-", ".m4s", 2 * 48000, wall, store);
  store.begin("opus-e-init.mp4", std::make_shared<const std::string>(segmenter.init().begin(),
                                                                     segmenter.init().end()));
  int answered = 0;
  store.when_ready([&](bool ready) { answered += ready ? 1 : 100; });
  EXPECT_FALSE(store.find("opus.m3u8")) << "nothing before the first segments";
  // 11 s of packets starting mid-segment: the first boundary seen is at 2 s.
  for (std::int64_t p = 50; p < 50 + 11 * 50; ++p) {
    auto page = encoder.encode_frame(sine(p * 960, 960));
    (void)page;
    segmenter.add(std::vector<std::uint8_t>(50, 1), p * 960 - 312, 960);
  }
  EXPECT_EQ(answered, 0) << "not live yet, and no AAC segment";
  HlsSegmenter aac(HlsVariant::aac, proto::MuxFormat::mpegts,
                   {proto::MuxCodec::aac, 128000, {0x11, 0x90}}, "aac-e-", ".ts", 2 * 48000, wall,
                   store);
  for (std::int64_t pts = 0; pts < 11 * 48000; pts += 1024)
    aac.add(std::vector<std::uint8_t>(300, 0x21), pts, 1024);
  store.mark_live();
  EXPECT_EQ(answered, 1);
  const auto playlist = store.find("opus.m3u8");
  ASSERT_TRUE(playlist);
  EXPECT_TRUE(playlist->playlist);
  // Segments 1..4 were made (2-4 s ... 8-10 s); 4 are kept, the last 3 listed.
  EXPECT_NE(playlist->body->find("#EXT-X-MEDIA-SEQUENCE:2\n"), std::string::npos)
      << *playlist->body;
  EXPECT_NE(playlist->body->find("#EXT-X-MAP:URI=\"opus-e-init.mp4\""), std::string::npos);
  EXPECT_NE(playlist->body->find("#EXTINF:2.000000,\nopus-e-4.m4s"), std::string::npos);
  EXPECT_EQ(playlist->body->find("opus-e-1.m4s"), std::string::npos) << "left the window";
  EXPECT_TRUE(store.find("opus-e-1.m4s")) << "kept a little after leaving the playlist";
  EXPECT_FALSE(store.find("opus-e-0.m4s"));
  EXPECT_TRUE(store.find("opus-e-init.mp4"));
  const auto segment = store.find("aac-e-3.ts");
  ASSERT_TRUE(segment);
  EXPECT_EQ(segment->etag, "\"aac-e-3.ts\"");
  EXPECT_FALSE(segment->playlist);
  const auto master = store.find("index.m3u8");
  ASSERT_TRUE(master);
  EXPECT_NE(master->body->find("CODECS=\"mp4a.40.2\"\naac.m3u8"), std::string::npos);
  EXPECT_NE(master->body->find("CODECS=\"opus\"\nopus.m3u8"), std::string::npos);
  // Segmenting stops: nothing served; a request then waits, and gives up after wait_limit.
  store.reset();
  EXPECT_FALSE(store.find("opus.m3u8"));
  int late = 0;
  const auto now = steady_clock::now();
  store.when_ready([&](bool ready) { late = ready ? 1 : -1; }, now);
  store.expire_waiters(now + seconds(4));
  EXPECT_EQ(late, 0);
  store.expire_waiters(now + seconds(6));
  EXPECT_EQ(late, -1);
}

TEST(ByteRange, OneRangeIsAPartOthersTheWholeOrUnsatisfiable) {
  using K = ByteRange::Kind;
  EXPECT_EQ(read_byte_range("", 100).kind, K::whole);
  auto r = read_byte_range("bytes=0-1", 100);
  EXPECT_EQ(r.kind, K::part);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 1u);
  r = read_byte_range("bytes=90-", 100);
  EXPECT_EQ(r.kind, K::part);
  EXPECT_EQ(r.last, 99u);
  r = read_byte_range("bytes=-10", 100);
  EXPECT_EQ(r.kind, K::part);
  EXPECT_EQ(r.first, 90u);
  r = read_byte_range("bytes=50-500", 100);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(read_byte_range("bytes=100-", 100).kind, K::unsatisfiable);
  EXPECT_EQ(read_byte_range("bytes=0-1,5-6", 100).kind, K::whole);
  EXPECT_EQ(read_byte_range("bytes=5-1", 100).kind, K::whole);
  EXPECT_EQ(read_byte_range("items=0-1", 100).kind, K::whole);
  EXPECT_EQ(read_byte_range("bytes=x-1", 100).kind, K::whole);
}

}  // namespace
}  // namespace auralis::server
