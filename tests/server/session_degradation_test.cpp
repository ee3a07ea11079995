// The degradation drill through a whole Session (scheduler -> mixer -> Opus -> Ogg pages) on a
// manual clock: the LibTorch engine delayed past its deadline, then both engines, then the
// faults removed. The Ogg stream must stay continuous: every packet on time, granule positions
// stepping by exactly 960 per packet, no gap in page sequence numbers, every CRC good.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "auralis/devices/clock.hpp"
#include "auralis/devices/render_pool.hpp"
#include "auralis/proto/ogg_page_reader.hpp"
#include "auralis/synthesis/engine.hpp"
#include "sessions/session.hpp"

namespace auralis::server {
namespace {

using namespace std::chrono_literals;

class Collector : public StreamSubscriber {
 public:
  void on_pages(const PageBatch& batch) override {
    std::lock_guard lock(mutex);
    for (const auto& page : batch->pages)
      bytes.insert(bytes.end(), page->bytes.begin(), page->bytes.end());
    for (const auto& ev : batch->events) events.push_back(nlohmann::json::parse(*ev));
  }
  void on_stream_end() override {}
  std::mutex mutex;
  std::vector<std::uint8_t> bytes;
  std::vector<nlohmann::json> events;
};

class SessionRig {
 public:
  SessionRig() {
    torch = std::make_unique<devices::RenderPool>(
        1, [] { return synthesis::make_torch_engine("cpu", 1); }, 8, clock);
    cpu = std::make_unique<devices::RenderPool>(
        2, [] { return synthesis::make_cpu_engine(); }, 1, clock);
    SessionSettings s;
    s.id = "drill";
    s.scheduler.session_id = "drill";
    music::SessionParams params;
    params.tempo_bpm = 120;
    params.seed = 11;
    s.scheduler.params = std::get<music::ValidParams>(music::ValidParams::check(params));
    s.encoder.serial = 0x1234;
    session = std::make_unique<Session>(
        s, std::vector<devices::RenderPool*>{torch.get(), cpu.get()}, clock, metrics);
    collector = std::make_shared<Collector>();
    session->hub().subscribe(collector);
  }
  ~SessionRig() { session->close("test over"); }

  void settle() {
    const auto t0 = std::chrono::steady_clock::now();
    while (!session->scheduler().settled()) {
      ASSERT_LT(std::chrono::steady_clock::now() - t0, 120s);
      std::this_thread::sleep_for(100us);
    }
  }

  // One 20 ms pacer tick; checks that exactly the due packets were encoded.
  void tick() {
    const bool was_started = session->started();
    clock.advance(20ms);
    settle();
    session->advance(clock.now());
    if (was_started) {
      ++ticks_since_start;
      ASSERT_EQ(session->packets_encoded(), ticks_since_start)
          << "a packet was not released on time";
    }
  }

  std::uint64_t phrase_playing() {
    std::lock_guard lock(collector->mutex);
    std::uint64_t last = 0;
    for (const auto& ev : collector->events)
      if (ev["type"] == "phrase") last = ev["phrase"].get<std::uint64_t>();
    return last;
  }
  void play_until_phrase(std::uint64_t index) {
    for (int guard = 0; guard < 30000 && phrase_playing() < index; ++guard) tick();
    ASSERT_GE(phrase_playing(), index);
  }
  std::map<std::uint64_t, std::string> engines() {
    std::lock_guard lock(collector->mutex);
    std::map<std::uint64_t, std::string> out;
    for (const auto& ev : collector->events)
      if (ev["type"] == "phrase") out[ev["phrase"].get<std::uint64_t>()] = ev["engine"];
    return out;
  }

  devices::ManualClock clock;
  std::shared_ptr<devices::RenderMetrics> metrics = std::make_shared<devices::RenderMetrics>();
  std::unique_ptr<devices::RenderPool> torch;
  std::unique_ptr<devices::RenderPool> cpu;
  std::unique_ptr<Session> session;
  std::shared_ptr<Collector> collector;
  std::int64_t ticks_since_start = 0;
};

TEST(SessionDegradation, StreamStaysContinuousThroughTheDrill) {
  if (!synthesis::torch_engine_available()) GTEST_SKIP() << "this build has no LibTorch";
  SessionRig rig;
  while (!rig.session->started()) rig.tick();
  rig.torch->faults().set({60s, 0});
  rig.play_until_phrase(3);
  rig.cpu->faults().set({60s, 0});
  rig.play_until_phrase(5);
  rig.torch->faults().set({});
  rig.cpu->faults().set({});
  rig.play_until_phrase(7);
  for (int i = 0; i < 50; ++i) rig.tick();  // one more fan-out batch

  const auto engines = rig.engines();
  EXPECT_EQ(engines.at(0), "torch");
  EXPECT_EQ(engines.at(2), "cpu");
  EXPECT_EQ(engines.at(3), "cpu");
  EXPECT_EQ(engines.at(4), "silence");
  EXPECT_EQ(engines.at(5), "silence");
  EXPECT_EQ(engines.at(6), "torch");
  EXPECT_EQ(engines.at(7), "torch");
  EXPECT_EQ(rig.session->late_packets(), 0);
  EXPECT_EQ(rig.session->status().underrun_frames, 0u);

  // The Ogg stream: consecutive pages, good CRCs, granules +960 per packet.
  std::vector<std::uint8_t> stream(*rig.session->header_pages());
  {
    std::lock_guard lock(rig.collector->mutex);
    stream.insert(stream.end(), rig.collector->bytes.begin(), rig.collector->bytes.end());
  }
  const auto pages = proto::parse_ogg_pages(stream);
  ASSERT_GT(pages.size(), 2u);
  std::size_t parsed_bytes = 0;
  for (const auto& p : pages) parsed_bytes += p.size;
  EXPECT_EQ(parsed_bytes, stream.size()) << "trailing bytes that are not a page";
  std::int64_t packets = 0;
  std::int64_t granule = 0;  // the header pages carry granule 0
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const auto& p = pages[i];
    ASSERT_TRUE(p.crc_ok) << "page " << i;
    ASSERT_EQ(p.sequence, i) << "page sequence gap at page " << i;
    ASSERT_EQ(p.serial, 0x1234u);
    if (i < 2) continue;  // OpusHead, OpusTags
    ASSERT_EQ(p.granule - granule, 960 * static_cast<std::int64_t>(p.packets.size()))
        << "page " << i;
    granule = p.granule;
    packets += static_cast<std::int64_t>(p.packets.size());
  }
  EXPECT_GE(packets,
            rig.ticks_since_start - 2 * 50);  // the last fan-out batch may still be pending
  EXPECT_LE(packets, rig.ticks_since_start);
  std::printf("drill: %lld packets (%.1f s), phrases by engine:", static_cast<long long>(packets),
              packets * 0.02);
  for (const auto& [e, n] : rig.metrics->phrases_by_engine())
    std::printf(" %s=%llu", e.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n");
}

}  // namespace
}  // namespace auralis::server
