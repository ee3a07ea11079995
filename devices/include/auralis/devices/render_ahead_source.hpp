// A session's PCM source for the real-time pacer: keeps `lookahead` rendered phrases ahead of
// playback on the engine pool and hands out 20 ms frames. Thread-safe: the pacer reads while
// workers render.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "auralis/devices/engine_pool.hpp"
#include "auralis/devices/session_renderer.hpp"

namespace auralis::devices {

struct NowPlaying {
  std::uint64_t phrase_index = 0;
  int key_pc = 0;
  music::Mode mode = music::Mode::aeolian;
  double tempo_bpm = 0;
  std::string chord;
  int bar = 0;
  std::string engine;
};

struct SourceStats {
  std::uint64_t phrases_rendered = 0;
  std::uint64_t underrun_frames = 0;  // 20 ms frames played as silence because nothing was ready
  double lookahead_s = 0;             // rendered audio not yet played
};

class RenderAheadSource : public std::enable_shared_from_this<RenderAheadSource> {
 public:
  static std::shared_ptr<RenderAheadSource> create(const std::string& session_id,
                                                   const music::SessionParams& params,
                                                   EnginePool& pool, int lookahead_phrases);

  // Renders the first phrase on the calling thread (so playback starts with music) and queues
  // the look-ahead renders.
  void prime(synthesis::Engine& engine);
  void start_rendering();

  // Fills 960 stereo frames. Returns false (and writes silence) when nothing was ready.
  bool read_frame(std::span<float> out);

  NowPlaying now_playing() const;
  SourceStats stats() const;
  void set_params(const music::SessionParams& params);

 private:
  RenderAheadSource(std::string session_id, const music::SessionParams& params, EnginePool& pool,
                    int lookahead_phrases);
  void request_renders_locked();

  const std::string session_id_;
  EnginePool& pool_;
  const int lookahead_;

  mutable std::mutex mutex_;
  SessionRenderer renderer_;   // touched only by the one render task in flight
  bool render_in_flight_ = false;
  std::optional<music::SessionParams> pending_params_;
  std::deque<std::shared_ptr<const RenderedPhrase>> ready_;
  std::int64_t read_pos_ = 0;  // frame offset into ready_.front()
  SourceStats stats_;
  NowPlaying now_;
};

}  // namespace auralis::devices
