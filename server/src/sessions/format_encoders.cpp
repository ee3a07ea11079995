#include "sessions/format_encoders.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "auralis/config/log.hpp"
#include "auralis/proto/icy_metadata.hpp"
#include "streaming/stream_samples.hpp"

namespace auralis::server {
namespace {

constexpr std::int64_t kPacket = proto::kOpusFrameSamples;
// Catch-up runs at most this much audio a tick (ticks come every page, 20-60 ms): about 25x
// real time, so a 28 s HLS catch-up takes about a second and no tick takes long.
constexpr std::size_t kCatchUpFramesPerTick = 48000;
// ADTS needs timestamps that never go below zero; the AAC timeline starts one frame early.
constexpr std::int64_t kAdtsTimestampOffset = 48000;

std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Adds the thread CPU time of its scope to a format's counter.
class CpuTimer {
 public:
  explicit CpuTimer(std::atomic<std::uint64_t>& sink) : sink_(sink), start_(thread_cpu_ns()) {}
  ~CpuTimer() { sink_ += thread_cpu_ns() - start_; }
  CpuTimer(const CpuTimer&) = delete;
  CpuTimer& operator=(const CpuTimer&) = delete;

 private:
  std::atomic<std::uint64_t>& sink_;
  std::uint64_t start_;
};

// Names a run of the segmenters: segment names never repeat, so caches never mix runs up.
std::string random_epoch() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

}  // namespace

struct FormatEncoders::Mp3Run {
  Mp3Run(const proto::Mp3Settings& codec, CatchUpFeed catch_up)
      : encoder(codec), feed(std::move(catch_up)) {}
  proto::Mp3Encoder encoder;
  CatchUpFeed feed;
  std::vector<float> pcm;
};

struct FormatEncoders::AacRun {
  AacRun(const proto::AacSettings& codec, CatchUpFeed catch_up, std::int64_t live_from)
      : feed(std::move(catch_up)), encoder(codec, feed.first_sample()), live_at_start(live_from) {}
  CatchUpFeed feed;
  proto::AacEncoder encoder;
  std::int64_t live_at_start;  // the feed reached the live edge once past this
  bool live = false;
  std::optional<proto::MemoryMuxer> adts;  // the .aac mount (off: none)
  std::int64_t adts_from = 0;              // packets from here on go to the .aac listeners
  std::deque<proto::AacPacket> history;    // for HLS joining a running encoder
  std::int64_t history_limit = 0;
  std::unique_ptr<HlsSegmenter> hls;
  std::vector<float> pcm;
  std::vector<proto::AacPacket> packets;
};

struct FormatEncoders::OpusHlsRun {
  std::unique_ptr<HlsSegmenter> segmenter;
};

FormatEncoders::FormatEncoders(FormatSettings settings, OpusStreamInfo opus, std::string session_id,
                               std::string session_name, std::shared_ptr<FormatMetrics> metrics)
    : settings_(std::move(settings)),
      opus_(std::move(opus)),
      id_(std::move(session_id)),
      metrics_(std::move(metrics)),
      title_(std::move(session_name)) {
  if (settings_.mp3) mp3_hub_ = std::make_shared<ChunkHub>(settings_.burst_ms, settings_.fanout_ms);
  if (settings_.aac) aac_hub_ = std::make_shared<ChunkHub>(settings_.burst_ms, settings_.fanout_ms);
  if (settings_.hls) hls_ = std::make_shared<HlsStore>(settings_.hls_settings);
  // Enough Opus for the longest catch-up, and the decoder's warm-up before it.
  std::int64_t catch_up = settings_.burst_ms * kSamplesPerMs + 4 * proto::AacEncoder::kFrameSamples;
  if (hls_) {
    const std::int64_t segment = settings_.hls_settings.segment_s * 48000LL;
    catch_up = std::max(catch_up, (settings_.hls_settings.window_segments + 1) * segment);
  }
  if (mp3_hub_ || aac_hub_ || hls_)
    history_limit_ = catch_up + (CatchUpFeed::kWarmUpPackets + 3) * kPacket;
  set_title(title_.text());
}

FormatEncoders::~FormatEncoders() {
  close();
}

void FormatEncoders::set_title(const std::string& text) {
  icy_block_ = std::make_shared<const std::string>(proto::icy_metadata_block(text));
}

void FormatEncoders::on_event(const devices::PlaybackEvent& event) {
  if (title_.apply(event)) set_title(title_.text());
}

void FormatEncoders::set_name(const std::string& name) {
  if (title_.set_name(name)) set_title(title_.text());
}

std::chrono::system_clock::time_point FormatEncoders::wall(std::int64_t sample) const {
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(sample) / 48000.0));
}

void FormatEncoders::on_frame(std::span<const float> frame) {
  if (mp3_) mp3_->feed.push_live(frame);
  if (aac_) aac_->feed.push_live(frame);
}

void FormatEncoders::on_page(const proto::PagePtr& page) {
  if (history_limit_ > 0) {
    opus_history_.push_back(page);
    opus_history_samples_ += page->duration_samples();
    while (opus_history_samples_ - opus_history_.front()->duration_samples() >= history_limit_) {
      opus_history_samples_ -= opus_history_.front()->duration_samples();
      opus_history_.pop_front();
    }
  }
  if (!opus_hls_) return;
  try {
    CpuTimer cpu(metrics_->encode_cpu_ns[static_cast<int>(ExtraFormat::hls_opus)]);
    for (std::size_t k = 0; k < page->packet_sizes.size(); ++k)
      opus_hls_->segmenter->add(
          page->packet(k),
          (page->first_packet + static_cast<std::int64_t>(k)) * kPacket - opus_.pre_skip, kPacket);
  } catch (const std::exception& e) {
    fail(ExtraFormat::hls_opus, e);
  }
}

std::vector<proto::PagePtr> FormatEncoders::history_from(std::int64_t from) const {
  // The first packet whose audio the feed needs, less the decoder's warm-up.
  const std::int64_t first_needed =
      (from + opus_.pre_skip) / kPacket - CatchUpFeed::kWarmUpPackets - 1;
  std::vector<proto::PagePtr> out;
  for (const auto& page : opus_history_)
    if (page->first_packet + static_cast<std::int64_t>(page->packet_sizes.size()) > first_needed)
      out.push_back(page);
  return out;
}

void FormatEncoders::tick(Clock::time_point now, std::span<const float> last_frame,
                          std::int64_t live_from, bool page_aligned) {
  if (closed_) return;
  const bool hls_wanted = hls_ && !failed_[static_cast<int>(ExtraFormat::hls_opus)] &&
                          !failed_[static_cast<int>(ExtraFormat::aac)] && hls_->wanted(now);
  // Starts wait for a tick at a page boundary: the catch-up's history must end at the live edge.
  if (page_aligned) {
    if (mp3_hub_ && !mp3_ && !failed_[0] && mp3_hub_->subscribers() > 0) {
      try {
        start_mp3(last_frame, live_from);
      } catch (const std::exception& e) {
        fail(ExtraFormat::mp3, e);
      }
    }
    if (aac_hub_ && !aac_ && !failed_[1] && aac_hub_->subscribers() > 0) {
      try {
        start_aac(last_frame, live_from);
      } catch (const std::exception& e) {
        fail(ExtraFormat::aac, e);
      }
    }
    if (hls_wanted && !hls_on_) {
      try {
        start_hls(last_frame, live_from);
      } catch (const std::exception& e) {
        fail(ExtraFormat::hls_opus, e);
      }
    }
  }
  if (mp3_) {
    try {
      encode_mp3();
    } catch (const std::exception& e) {
      fail(ExtraFormat::mp3, e);
    }
  }
  if (aac_) {
    try {
      encode_aac();
    } catch (const std::exception& e) {
      fail(ExtraFormat::aac, e);
    }
  }
  // Stops, `idle_stop` after the last listener (a hub that lost its listeners forgets its
  // history in the same step, so nobody joins old audio).
  if (mp3_ && mp3_hub_->reset_if_idle(now, settings_.idle_stop)) stop(ExtraFormat::mp3);
  if (hls_on_ && !hls_wanted) stop_hls();
  if (aac_ && !hls_on_ && (!aac_hub_ || aac_hub_->reset_if_idle(now, settings_.idle_stop)))
    stop(ExtraFormat::aac);
  if (hls_) hls_->expire_waiters(now);
}

void FormatEncoders::start_mp3(std::span<const float> last_frame, std::int64_t live_from) {
  const std::int64_t from = live_from - settings_.burst_ms * kSamplesPerMs;
  mp3_ = std::make_unique<Mp3Run>(
      settings_.mp3_codec,
      CatchUpFeed(history_from(from), last_frame, live_from, from, opus_.pre_skip));
  ++metrics_->encoders_running[0];
  ++metrics_->encoder_starts[0];
  log::get("session")->info("session {}: MP3 encoder started ({} kb/s, {:.2f} s of catch-up)", id_,
                            settings_.mp3_codec.bitrate_kbps,
                            static_cast<double>(live_from - mp3_->feed.first_sample()) / 48000);
}

void FormatEncoders::start_aac(std::span<const float> last_frame, std::int64_t live_from) {
  // With HLS on, the encoder starts far enough back for a full playlist (HLS may join it).
  const std::int64_t segment = settings_.hls_settings.segment_s * 48000LL;
  const std::int64_t back =
      hls_ ? (settings_.hls_settings.window_segments + 1) * segment
           : settings_.burst_ms * kSamplesPerMs + 2 * proto::AacEncoder::kFrameSamples;
  const std::int64_t from = live_from - back;
  aac_ = std::make_unique<AacRun>(
      settings_.aac_codec,
      CatchUpFeed(history_from(from), last_frame, live_from, from, opus_.pre_skip), live_from);
  if (aac_hub_) {
    aac_->adts.emplace(proto::MuxFormat::adts,
                       proto::MuxStream{proto::MuxCodec::aac, aac_->encoder.bitrate_bps(),
                                        aac_->encoder.audio_specific_config()});
    aac_->adts_from = live_from - settings_.burst_ms * kSamplesPerMs;
  }
  if (hls_) aac_->history_limit = back + 2 * segment;
  ++metrics_->encoders_running[1];
  ++metrics_->encoder_starts[1];
  log::get("session")->info("session {}: AAC encoder started ({} kb/s, {:.2f} s of catch-up)", id_,
                            settings_.aac_codec.bitrate_kbps,
                            static_cast<double>(live_from - aac_->feed.first_sample()) / 48000);
}

void FormatEncoders::start_hls(std::span<const float> last_frame, std::int64_t live_from) {
  const auto& hs = settings_.hls_settings;
  const std::int64_t segment = hs.segment_s * 48000LL;
  const std::string epoch = random_epoch();
  auto clock = [this](std::int64_t sample) { return wall(sample); };
  std::string init_name;
  std::shared_ptr<const std::string> init;
  if (hs.opus) {
    opus_hls_ = std::make_unique<OpusHlsRun>();
    opus_hls_->segmenter = std::make_unique<HlsSegmenter>(
        HlsVariant::opus, proto::MuxFormat::fmp4,
        proto::MuxStream{proto::MuxCodec::opus, opus_.bitrate_bps, opus_.opus_head, opus_.pre_skip},
        "opus-" + epoch + "-", ".m4s", segment, clock, *hls_);
    init_name = "opus-" + epoch + "-init.mp4";
    const auto& bytes = opus_hls_->segmenter->init();
    init = std::make_shared<const std::string>(bytes.begin(), bytes.end());
  }
  hls_->begin(init_name, init);
  if (opus_hls_) {  // the Opus variant's past is the session's own packets: no encoding
    CpuTimer cpu(metrics_->encode_cpu_ns[static_cast<int>(ExtraFormat::hls_opus)]);
    for (const auto& page : opus_history_)
      for (std::size_t k = 0; k < page->packet_sizes.size(); ++k)
        opus_hls_->segmenter->add(
            page->packet(k),
            (page->first_packet + static_cast<std::int64_t>(k)) * kPacket - opus_.pre_skip,
            kPacket);
  }
  if (!aac_) start_aac(last_frame, live_from);
  aac_->hls = std::make_unique<HlsSegmenter>(
      HlsVariant::aac, proto::MuxFormat::mpegts,
      proto::MuxStream{proto::MuxCodec::aac, aac_->encoder.bitrate_bps(),
                       aac_->encoder.audio_specific_config()},
      "aac-" + epoch + "-", ".ts", segment, clock, *hls_);
  for (const auto& p : aac_->history)
    aac_->hls->add(p.data, p.pts, proto::AacEncoder::kFrameSamples);
  if (aac_->live) hls_->mark_live();
  hls_on_ = true;
  ++metrics_->hls_sessions;
  if (opus_hls_) {
    ++metrics_->encoders_running[2];
    ++metrics_->encoder_starts[2];
  }
  log::get("session")->info("session {}: HLS segmenting started (run {}, {} s segments)", id_,
                            epoch, hs.segment_s);
}

void FormatEncoders::stop_hls() {
  if (aac_) aac_->hls.reset();
  const bool had_opus = opus_hls_ != nullptr;
  opus_hls_.reset();
  hls_->reset();
  if (!hls_on_) return;  // a start that failed half-way
  hls_on_ = false;
  if (had_opus) --metrics_->encoders_running[2];
  --metrics_->hls_sessions;
  log::get("session")->info("session {}: HLS segmenting stopped (no request for {} s)", id_,
                            settings_.hls_settings.idle_stop.count());
}

void FormatEncoders::stop(ExtraFormat format) {
  if (format == ExtraFormat::mp3 && mp3_) {
    mp3_.reset();
    --metrics_->encoders_running[0];
    log::get("session")->info("session {}: MP3 encoder stopped (no listener)", id_);
  } else if (format == ExtraFormat::aac && aac_) {
    if (hls_on_) stop_hls();
    aac_.reset();
    --metrics_->encoders_running[1];
    log::get("session")->info("session {}: AAC encoder stopped (no listener)", id_);
  }
}

void FormatEncoders::encode_mp3() {
  CpuTimer cpu(metrics_->encode_cpu_ns[0]);
  Mp3Run& r = *mp3_;
  r.pcm.clear();
  if (r.feed.pull(std::min(r.feed.available(), kCatchUpFramesPerTick), r.pcm) == 0) return;
  auto chunk = std::make_shared<MediaChunk>();
  const int frames = r.encoder.encode(r.pcm, chunk->bytes);
  if (frames == 0) return;
  chunk->samples = static_cast<std::int64_t>(frames) * proto::Mp3Encoder::kFrameSamples;
  chunk->icy_block = icy_block_;
  mp3_hub_->publish(std::move(chunk));
}

void FormatEncoders::encode_aac() {
  CpuTimer cpu(metrics_->encode_cpu_ns[1]);
  AacRun& r = *aac_;
  r.pcm.clear();
  r.packets.clear();
  r.feed.pull(std::min(r.feed.available(), kCatchUpFramesPerTick), r.pcm);
  r.encoder.encode(r.pcm, r.packets);
  std::int64_t adts_samples = 0;
  for (auto& p : r.packets) {
    if (r.adts && p.pts >= r.adts_from) {
      r.adts->write(p.data, p.pts + kAdtsTimestampOffset, proto::AacEncoder::kFrameSamples);
      adts_samples += proto::AacEncoder::kFrameSamples;
    }
    if (r.hls) r.hls->add(p.data, p.pts, proto::AacEncoder::kFrameSamples);
    if (r.history_limit > 0) {
      r.history.push_back(std::move(p));
      while (r.history.back().pts - r.history.front().pts > r.history_limit) r.history.pop_front();
    }
  }
  if (adts_samples > 0) {
    auto chunk = std::make_shared<MediaChunk>();
    chunk->bytes = r.adts->take();
    chunk->samples = adts_samples;
    chunk->icy_block = icy_block_;
    aac_hub_->publish(std::move(chunk));
  }
  if (!r.live && r.feed.position() >= r.live_at_start) {
    r.live = true;
    if (r.hls) hls_->mark_live();
  }
}

void FormatEncoders::fail(ExtraFormat format, const std::exception& e) {
  log::get("session")->error("session {}: {} stopped after an error: {}", id_, format_label(format),
                             e.what());
  failed_[static_cast<int>(format)] = true;
  if (format == ExtraFormat::mp3) {
    stop(format);
    mp3_hub_->close();
    return;
  }
  // AAC feeds HLS too: both end; an Opus segmenter error ends HLS.
  if (hls_) stop_hls();
  if (format == ExtraFormat::aac) {
    stop(format);
    if (aac_hub_) aac_hub_->close();
  }
  if (hls_) hls_->close();
}

void FormatEncoders::close() {
  if (closed_) return;
  closed_ = true;
  if (hls_) stop_hls();
  stop(ExtraFormat::mp3);
  stop(ExtraFormat::aac);
  if (mp3_hub_) mp3_hub_->close();
  if (aac_hub_) aac_hub_->close();
  if (hls_) hls_->close();
}

}  // namespace auralis::server
