// One session's phrase scheduler: composes phrases, has them rendered and mixed ahead of
// playback on the engine pools (in order: each starts from the Mixer state the last one left),
// and hands the pacer 20 ms frames.
//
// Deadlines: a phrase must be rendered and mixed `deadline_margin` before it starts playing. A
// render still running then is abandoned and the phrase goes to the next engine in the chain
// (LibTorch -> C++ CPU); if the last engine misses `fallback_margin` before the start, or fails,
// the phrase plays as silence (the previous phrase's tail faded) and an ERROR names session,
// phrase, engine and lateness. Every phrase starts again with the first engine, so recovery is
// automatic. The stream never stops: frames always come out, music or silence.
//
// Parameter changes re-compose and re-render the phrases not yet started (from snapshots of
// the composer, timeline and mixer taken at each phrase boundary).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auralis/devices/clock.hpp"
#include "auralis/devices/render_metrics.hpp"
#include "auralis/devices/render_pool.hpp"
#include "auralis/music/composer.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::devices {

struct SchedulerSettings {
  std::string session_id;
  music::ValidParams params;
  std::uint64_t first_phrase = 0;  // resume a stored session at this phrase index
  int lookahead_phrases = 1;       // finished phrases kept ahead of the playing one
  std::chrono::milliseconds deadline_margin{1500};
  std::chrono::milliseconds fallback_margin{300};
  std::chrono::milliseconds replan_guard{
      2000};  // a change closer than this to a phrase start waits one phrase
};

// Something playback crossed: a phrase start or a chord change.
struct PlaybackEvent {
  enum class Kind { phrase, chord } kind = Kind::phrase;
  std::uint64_t phrase = 0;
  int key_pc = 0;
  music::Mode mode = music::Mode::aeolian;
  double tempo_bpm = 0;
  std::string chord;
  int bar = 0;
  std::string engine;
  std::vector<std::pair<std::string, int>> chords;  // phrase events: every chord with its bar
};

struct NowPlaying {
  bool started = false;
  std::uint64_t phrase = 0;
  int key_pc = 0;
  music::Mode mode = music::Mode::aeolian;
  double tempo_bpm = 0;
  std::string chord;
  int bar = 0;
  std::string engine;
};

struct SchedulerStatus {
  double lookahead_s = 0;  // finished audio not yet played
  std::uint64_t underrun_frames = 0;
  std::uint64_t phrases_played = 0;
};

class PhraseScheduler : public std::enable_shared_from_this<PhraseScheduler> {
 public:
  // `chain` lists the engine pools in order of preference (e.g. torch, cpu); must not be empty.
  static std::shared_ptr<PhraseScheduler> create(SchedulerSettings settings,
                                                 std::vector<RenderPool*> chain, Clock& clock,
                                                 std::shared_ptr<RenderMetrics> metrics);
  ~PhraseScheduler();

  // Composes and submits the first phrase; playback can start once ready_to_start().
  void start();
  bool ready_to_start() const;
  // The wall time frame 0 of the first phrase plays; deadlines are measured from it.
  void set_stream_start(Clock::time_point t);

  // Checks deadlines and escalates late renders. The pacer calls it before reading frames, and
  // while waiting for the first phrase (a first engine that hangs then hands it down the chain).
  void poll();
  // Fills `out` (interleaved stereo) with the next frames; never blocks on a render.
  void read(std::span<float> out);
  // The frames read() would give next where they are mixed already, zeros where not, without
  // consuming them or anything read() does besides (planning, going silent, counting).
  void peek(std::span<float> out);
  std::vector<PlaybackEvent> take_events();

  // Heard from the next phrase boundary (or the one after, within replan_guard of it).
  void set_params(const music::ValidParams& params);
  music::ValidParams params() const;

  NowPlaying now_playing() const;
  SchedulerStatus status() const;
  // No render in flight that could finish without the clock moving (tests with a manual clock).
  bool settled() const;
  void stop();

 private:
  struct Entry;
  PhraseScheduler(SchedulerSettings settings, std::vector<RenderPool*> chain, Clock& clock,
                  std::shared_ptr<RenderMetrics> metrics);

  void plan_next_locked();
  void submit_locked(Entry& entry);
  void on_rendered(std::uint64_t index, int generation, int attempt, RenderResult result);
  void escalate_locked(Entry& entry, const std::string& why);
  void go_silent_locked(Entry& entry, const std::string& why);
  std::optional<Clock::time_point> phrase_start_time_locked(const Entry& entry) const;
  Entry* find_locked(std::uint64_t index);
  void emit_position_events_locked();

  SchedulerSettings settings_;  // params: guarded by mutex_ (set_params)
  const std::vector<RenderPool*> chain_;
  Clock& clock_;
  std::shared_ptr<RenderMetrics> metrics_;

  mutable std::mutex mutex_;
  bool stopped_ = false;
  music::Composer composer_;
  synthesis::Timeline timeline_;
  synthesis::Mixer mixer_;  // as the last finished phrase left it
  std::int64_t silence_debt_frames_ =
      0;  // silent phrases the mixer must ring out before the next mix
  synthesis::MixControls silence_controls_;
  std::int64_t drop_voices_before_ = 0;  // voices starting earlier were not heard (silence)
  int generation_ = 0;  // bumps on every replan: late results of older plans are ignored
  std::deque<std::unique_ptr<Entry>> plan_;  // front: playing (once started)
  std::optional<Clock::time_point> stream_start_;
  std::optional<Clock::time_point> started_at_;  // when start() was called
  std::int64_t read_pos_ = 0;                    // frames of plan_.front() already played
  int chord_pos_ = -1;             // index of the chord last announced in the front phrase
  bool phrase_announced_ = false;  // the front phrase's start event went out
  std::vector<PlaybackEvent> events_;
  NowPlaying now_;
  SchedulerStatus status_;
};

}  // namespace auralis::devices
