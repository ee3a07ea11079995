// A live generative session: its phrase scheduler (composition and rendering ahead of
// playback), its one Opus encoder, and the hub that fans the encoded pages out to listeners
// (it is their StreamSource); the other formats (MP3, AAC, HLS) are encoded from the same PCM
// by its FormatEncoders while they have listeners. The pacer calls advance() in real time;
// nothing here blocks on a render.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auralis/devices/phrase_scheduler.hpp"
#include "auralis/music/params.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "sessions/format_encoders.hpp"
#include "streaming/format_metrics.hpp"
#include "streaming/stream_source.hpp"

namespace auralis::server {

struct SessionSettings {
  std::string id;
  std::string name;
  devices::SchedulerSettings scheduler;  // params, look-ahead, deadline margins
  proto::EncoderSettings encoder;
  int burst_ms = 500;
  int fanout_ms = 100;
  FormatSettings formats;
  std::shared_ptr<FormatMetrics> format_metrics = std::make_shared<FormatMetrics>();
};

class Session : public StreamSource {
 public:
  using Clock = devices::Clock;

  Session(SessionSettings settings, std::vector<devices::RenderPool*> chain, Clock& clock,
          std::shared_ptr<devices::RenderMetrics> metrics);
  ~Session() override;

  const std::string& id() const override { return settings_.id; }
  std::string name() const;
  void set_name(const std::string& name);
  std::chrono::system_clock::time_point created_at() const { return created_at_; }
  void set_created_at(std::chrono::system_clock::time_point t) { created_at_ = t; }
  // A pinned session is never ended for having no listeners.
  std::atomic<bool> pinned{false};

  // Encodes every packet due by `now` and publishes finished pages and playback events.
  // Before the first phrase is ready nothing is due; the stream clock starts when it is.
  // Returns when to call again. One pacer thread at a time.
  Clock::time_point advance(Clock::time_point now);
  bool started() const;

  StreamHub& hub() override { return hub_; }
  std::shared_ptr<const std::vector<std::uint8_t>> header_pages() const override {
    return header_pages_;
  }
  std::string ws_hello() const override;
  // The MP3/AAC hubs and the HLS store (thread-safe); the rest of it is the pacer's.
  FormatEncoders& formats() { return formats_; }

  music::ValidParams params() const { return scheduler_->params(); }
  // Sound parameters heard from the next render unit, musical ones from the next bar (see
  // PhraseScheduler); unchanged parameters change nothing. Returns the change's id (the `id` of
  // its change events on the stream), 0 when nothing changed.
  std::uint64_t set_params(const music::ValidParams& params);
  devices::NowPlaying now_playing() const { return scheduler_->now_playing(); }
  devices::SchedulerStatus status() const { return scheduler_->status(); }
  devices::PhraseScheduler& scheduler() { return *scheduler_; }
  std::int64_t packets_encoded() const;
  double encode_seconds() const;
  // Packets encoded more than kLatePacket after they were due (pacer fell behind real time).
  static constexpr std::chrono::milliseconds kLatePacket{100};
  std::int64_t late_packets() const;

  // Ends the stream: listeners get their end, the pacer stops.
  void close(const std::string& reason);
  bool closed() const;

 private:
  SessionSettings settings_;
  std::chrono::system_clock::time_point created_at_ = std::chrono::system_clock::now();
  std::shared_ptr<devices::PhraseScheduler> scheduler_;
  mutable std::mutex mutex_;
  proto::OggOpusEncoder encoder_;
  std::shared_ptr<const std::vector<std::uint8_t>> header_pages_;
  StreamHub hub_;
  FormatEncoders formats_;  // the pacer's, under mutex_ (but for its hubs and HLS store)
  std::optional<Clock::time_point> start_;
  std::int64_t packets_ = 0;
  std::int64_t late_packets_ = 0;
  double encode_seconds_ = 0;
  bool closed_ = false;
  std::vector<float> frame_;
};

// JSON text of a playback event (docs/stream-protocol.md).
std::string event_json(const devices::PlaybackEvent& event);
// What plays now, as the API resource and the WebSocket greeting show it (null before start).
nlohmann::json now_playing_json(const devices::NowPlaying& now);

}  // namespace auralis::server
