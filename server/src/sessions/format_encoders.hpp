// A session's formats besides Ogg Opus: MP3 and AAC (ADTS) streams, and HLS (AAC-LC in
// MPEG-TS, Opus in fMP4). Each format is encoded once per session, from the same PCM the Opus
// encoder gets, and only while someone listens: an encoder starts at the pacer's next tick
// after the first listener of its format (or the first HLS request) and stops `idle_stop`
// after the last. A starting encoder catches up from the session's recent Opus packets
// (CatchUpFeed), a bounded amount per tick so the pacer never stalls: a new MP3 listener gets
// a burst at once, a first HLS client a full playlist within about a second.
//
// The pacer drives everything here, under the session's lock; listeners reach the hubs and
// the HLS store, which lock for themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auralis/devices/phrase_scheduler.hpp"
#include "auralis/proto/aac_encoder.hpp"
#include "auralis/proto/media_muxer.hpp"
#include "auralis/proto/mp3_encoder.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "sessions/catch_up_feed.hpp"
#include "sessions/stream_title.hpp"
#include "streaming/chunk_hub.hpp"
#include "streaming/format_metrics.hpp"
#include "streaming/hls_segmenter.hpp"
#include "streaming/hls_store.hpp"

namespace auralis::server {

struct FormatSettings {
  bool mp3 = true;
  proto::Mp3Settings mp3_codec;
  bool aac = true;  // the /stream/{id}.aac mount (HLS has its own switch)
  proto::AacSettings aac_codec;
  bool hls = true;
  HlsSettings hls_settings;
  std::chrono::seconds idle_stop{10};  // an encoder stops this long after its last listener
  int burst_ms = 4000;                 // formats.burst_ms: a new MP3/AAC listener's burst
  int fanout_ms = 100;
};

// What the Opus stream is, for the Opus HLS variant and the catch-up decoder.
struct OpusStreamInfo {
  std::vector<std::uint8_t> opus_head;
  int pre_skip = 312;
  int bitrate_bps = 128000;
};

class FormatEncoders {
 public:
  using Clock = std::chrono::steady_clock;

  FormatEncoders(FormatSettings settings, OpusStreamInfo opus, std::string session_id,
                 std::string session_name, std::shared_ptr<FormatMetrics> metrics);
  ~FormatEncoders();
  FormatEncoders(const FormatEncoders&) = delete;
  FormatEncoders& operator=(const FormatEncoders&) = delete;

  // --- listeners (any thread); null where the format is off ---
  const std::shared_ptr<ChunkHub>& mp3_hub() const { return mp3_hub_; }
  const std::shared_ptr<ChunkHub>& aac_hub() const { return aac_hub_; }
  const std::shared_ptr<HlsStore>& hls() const { return hls_; }
  const FormatSettings& settings() const { return settings_; }

  // --- the pacer (one thread at a time) ---
  // Wall time of timeline position 0 (HLS program date times).
  void set_stream_start(std::chrono::system_clock::time_point wall) { wall_start_ = wall; }
  void on_event(const devices::PlaybackEvent& event);
  void set_name(const std::string& name);
  // Every live frame (960 stereo frames), in order, then each Opus page as it is finished.
  void on_frame(std::span<const float> frame);
  void on_page(const proto::PagePtr& page);
  // After the pacer's frames: starts and stops encoders, encodes. `last_frame` is the frame at
  // `live_from` - 960; `page_aligned`: every frame before live_from is in a page already.
  void tick(Clock::time_point now, std::span<const float> last_frame, std::int64_t live_from,
            bool page_aligned);
  // The session ends: listeners get their end, HLS requests waiting get their answer.
  void close();

 private:
  struct Mp3Run;
  struct AacRun;
  struct OpusHlsRun;

  void stop(ExtraFormat format);
  void start_mp3(std::span<const float> last_frame, std::int64_t live_from);
  void start_aac(std::span<const float> last_frame, std::int64_t live_from);
  void start_hls(std::span<const float> last_frame, std::int64_t live_from);
  void stop_hls();
  void encode_mp3();
  void encode_aac();
  std::vector<proto::PagePtr> history_from(std::int64_t from) const;
  std::chrono::system_clock::time_point wall(std::int64_t sample) const;
  void set_title(const std::string& text);
  void fail(ExtraFormat format, const std::exception& e);

  const FormatSettings settings_;
  const OpusStreamInfo opus_;
  const std::string id_;
  const std::shared_ptr<FormatMetrics> metrics_;
  std::shared_ptr<ChunkHub> mp3_hub_;
  std::shared_ptr<ChunkHub> aac_hub_;
  std::shared_ptr<HlsStore> hls_;

  StreamTitle title_;
  std::shared_ptr<const std::string> icy_block_;
  std::chrono::system_clock::time_point wall_start_ = std::chrono::system_clock::now();
  std::deque<proto::PagePtr> opus_history_;
  std::int64_t opus_history_samples_ = 0;
  std::int64_t history_limit_ = 0;  // samples of Opus history kept

  std::unique_ptr<Mp3Run> mp3_;
  std::unique_ptr<AacRun> aac_;
  std::unique_ptr<OpusHlsRun> opus_hls_;
  bool hls_on_ = false;  // HLS segmenting runs (both variants)
  bool failed_[kExtraFormats] = {};
  bool closed_ = false;
};

}  // namespace auralis::server
