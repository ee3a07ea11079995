// A live generative session: its render-ahead PCM source, its one Opus encoder and the hub
// that fans the encoded pages out. The daemon's pacer calls advance() in real time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auralis/devices/engine_pool.hpp"
#include "auralis/devices/render_ahead_source.hpp"
#include "auralis/music/params.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "auralis/server/stream_hub.hpp"

namespace auralis::server {

struct SessionSettings {
  std::string id;
  music::SessionParams params;
  proto::EncoderSettings encoder;
  int burst_ms = 500;
  int fanout_ms = 100;
  int lookahead_phrases = 1;
};

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  // Renders the first phrase on the calling thread with `prime_engine`, then keeps rendering
  // ahead on `pool`. Throws on invalid settings.
  Session(SessionSettings settings, devices::EnginePool& pool, synthesis::Engine& prime_engine);
  ~Session();

  const std::string& id() const { return settings_.id; }
  std::chrono::system_clock::time_point created_at() const { return created_at_; }

  // Starts the stream clock: packet k is due at start + k * 20 ms.
  void start(Clock::time_point now);
  // Encodes every packet due by `now` and publishes the finished pages. Returns the time the
  // next page is due. Called from one pacer thread at a time.
  Clock::time_point advance(Clock::time_point now);

  StreamHub& hub() { return hub_; }
  std::shared_ptr<const std::vector<std::uint8_t>> header_pages() const { return header_pages_; }
  const std::vector<std::uint8_t>& opus_head() const { return encoder_.opus_head(); }
  int pre_skip() const { return encoder_.pre_skip(); }

  devices::NowPlaying now_playing() const { return source_->now_playing(); }
  devices::SourceStats source_stats() const { return source_->stats(); }
  std::int64_t packets_encoded() const;

  // Stops the stream: listeners get their end, the pacer stops calling advance().
  void close();
  bool closed() const;

 private:
  SessionSettings settings_;
  std::chrono::system_clock::time_point created_at_ = std::chrono::system_clock::now();
  std::shared_ptr<devices::RenderAheadSource> source_;
  mutable std::mutex encode_mutex_;
  proto::OggOpusEncoder encoder_;
  std::shared_ptr<const std::vector<std::uint8_t>> header_pages_;
  StreamHub hub_;
  Clock::time_point start_{};
  std::int64_t packets_ = 0;
  bool closed_ = false;
  std::vector<float> frame_;
};

}  // namespace auralis::server
