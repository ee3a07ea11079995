// One session's scheduler: composes phrases and has them rendered and mixed close to playback
// in units of a few thousand frames (docs/scheduler.md), each from the Mixer state the unit
// before left, and hands the pacer 20 ms frames.
//
// Deadlines, per unit: a unit must be rendered and mixed `deadline_margin` before it plays on
// every engine but the last (else it goes to the next engine: LibTorch -> C++ CPU), and
// `fallback_margin` before on the last (else it plays as silence, the unit before faded). Every
// unit starts again with the first engine whose margin it can still meet, so recovery is
// automatic. The stream never stops: frames always come out, music or silence.
//
// Live changes: a sound parameter (brightness, a layer switched off) is heard from the first
// unit at least a guard (measured render turnaround) after the request; a musical one from the
// next bar, the rest of the phrase re-planned (music/replan.hpp). Audio already rendered past
// that point is replaced only once its replacement is there, so a change never costs a gap.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
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
#include "auralis/music/replan.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::devices {

struct SchedulerSettings {
  std::string session_id;
  music::ValidParams params;
  std::uint64_t first_phrase = 0;  // resume a stored session at this phrase index
  // Finished audio kept ahead of playback, at least (more when renders are slow: at least
  // deadline_margin plus four measured unit turnarounds).
  std::chrono::milliseconds lookahead{500};
  std::chrono::milliseconds deadline_margin{200};
  std::chrono::milliseconds fallback_margin{50};
  // The least time between a request and the point it is heard (three measured unit
  // turnarounds when that is more): the replacement unit must be rendered by then.
  std::chrono::milliseconds change_guard{20};
  std::int64_t unit_frames = 2048;  // render unit (42.7 ms): the CPU engine's block
};

// Something playback crossed: a phrase start or a chord change.
struct PlaybackEvent {
  // change: a parameter change was placed on the timeline (`applied` false) or playback reached
  // it (`applied` true); `change_frame` is where it is heard, `musical` says which kind.
  enum class Kind { phrase, chord, change } kind = Kind::phrase;
  std::uint64_t change_id = 0;
  std::int64_t change_frame = 0;
  bool musical = false;
  bool applied = false;
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
  double lookahead_s = 0;            // finished audio not yet played
  std::uint64_t changes = 0;         // parameter changes placed on the timeline
  std::uint64_t change_retries = 0;  // replacements not rendered in time (placed again later)
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

  // Sound parameters are heard from the next unit past the guard, musical ones from the next
  // bar past it. Returns the change's id (PlaybackEvent::change_id), 0 when nothing changed.
  std::uint64_t set_params(const music::ValidParams& params);
  music::ValidParams params() const;

  NowPlaying now_playing() const;
  SchedulerStatus status() const;
  // No render in flight that could finish without the clock moving (tests with a manual clock).
  bool settled() const;
  void stop();

 private:
  struct Planned;
  struct Unit;
  struct Change;
  PhraseScheduler(SchedulerSettings settings, std::vector<RenderPool*> chain, Clock& clock,
                  std::shared_ptr<RenderMetrics> metrics);

  void extend_locked();
  Planned& plan_phrase_locked();
  Unit cut_unit_locked(const Planned& phrase, std::int64_t from) const;
  void submit_locked(Unit& unit, std::optional<synthesis::Mixer> mixer);
  void on_rendered(std::uint64_t serial, int attempt, RenderResult result);
  void finish_unit_locked(Unit& unit, RenderResult& result);
  void escalate_locked(Unit& unit, const std::string& why);
  void go_silent_locked(Unit& unit, const std::string& why);
  void cancel_in_flight_locked();
  void issue_change_locked(std::uint64_t id);
  void commit_change_locked(Change& change);
  void continue_replacement_locked(RenderResult& result);
  void log_error_locked(std::uint64_t phrase, const std::string& kind, const std::string& text);
  std::optional<Clock::time_point> time_of_locked(std::int64_t frame) const;
  std::int64_t playhead_locked() const;
  std::int64_t chain_end_locked() const;
  std::int64_t finished_ahead_locked() const;
  std::int64_t guard_frames_locked() const;
  Planned* phrase_at_locked(std::int64_t frame);
  void emit_position_events_locked();

  SchedulerSettings settings_;  // params: guarded by mutex_ (set_params)
  const std::vector<RenderPool*> chain_;
  Clock& clock_;
  std::shared_ptr<RenderMetrics> metrics_;

  mutable std::mutex mutex_;
  bool stopped_ = false;
  music::Composer composer_;         // after the last planned phrase
  synthesis::Timeline timeline_;     // after the last planned phrase
  std::deque<Planned> phrases_;      // front: playing (once started)
  std::deque<Unit> units_;           // finished units ahead of playback, then at most one rendering
  std::unique_ptr<Change> pending_;  // a replacement for finished units, rendering
  // The Mixer after the last finished unit (moved into the task of the unit rendering), and the
  // same state as a snapshot plus the units since (what a fallback or a change renders from).
  std::optional<synthesis::Mixer> mixer_;
  MixerFrom mixer_from_;
  std::int64_t silence_debt_frames_ = 0;  // silent units the mixer must ring out first
  synthesis::MixControls silence_controls_;
  bool resume_fade_ = false;  // the next finished unit follows silence: fade it in
  bool refilling_ = false;    // rendering on past the look-ahead (extend_locked)
  std::uint64_t next_serial_ = 1;
  std::uint64_t change_ids_ = 0;
  std::uint64_t wanted_change_ = 0;  // the change pending_ or a retry stands for
  std::vector<std::pair<std::uint64_t, std::pair<std::int64_t, bool>>> announced_;  // not played
  double turnaround_s_ = 0.002;                  // smoothed submit -> finished time of one unit
  std::map<std::string, std::uint64_t> logged_;  // kind -> phrase of its last ERROR line
  std::optional<Clock::time_point> stream_start_;
  std::optional<Clock::time_point> started_at_;  // when start() was called
  std::int64_t read_pos_ = 0;                    // frames of units_.front() already played
  int chord_pos_ = -1;             // index of the chord last announced in the front phrase
  bool phrase_announced_ = false;  // the front phrase's start event went out
  std::vector<PlaybackEvent> events_;
  NowPlaying now_;
  SchedulerStatus status_;
};

}  // namespace auralis::devices
