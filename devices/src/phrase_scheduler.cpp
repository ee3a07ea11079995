#include "auralis/devices/phrase_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "auralis/config/log.hpp"
#include "auralis/synthesis/render_job.hpp"
#include "live_edit.hpp"

namespace auralis::devices {
namespace {

constexpr std::int64_t kFadeFrames = synthesis::kSampleRate / 20;  // 50 ms
constexpr std::uint64_t kMaxFastForward = 100000;
// The mixer's tails are gone after a few seconds of silent input (Mixer::process_silence), so
// ringing out longer than this after an outage is wasted time that would delay the recovery.
constexpr std::int64_t kMaxRingOutFrames = std::int64_t{synthesis::kSampleRate} * 10;
// Units between two snapshots of a session's Mixer (178 KB: its delay lines and reverb). A
// snapshot per unit cost a quarter of the CPU of a session and most of its memory; from one
// every 8 units (341 ms) a fallback or a change renders at most 7 units again (a few ms).
constexpr std::size_t kUnitsPerSnapshot = 8;
// Units rendered past the look-ahead once a refill starts (see extend_locked).
constexpr std::int64_t kRefillUnits = 4;

// The Mixer before the next unit, for that unit to keep: the same snapshot and units since as the
// unit before, or a fresh snapshot of the live Mixer once enough units have gone by.
MixerFrom mixer_from_for_next(const std::optional<synthesis::Mixer>& live, MixerFrom& from) {
  if (live && (!from.snapshot || from.since.size() + 1 >= kUnitsPerSnapshot))
    from = {std::make_shared<const synthesis::Mixer>(*live), {}};
  return from;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::int64_t frames_of(std::chrono::milliseconds ms) {
  return ms.count() * synthesis::kSampleRate / 1000;
}

std::int64_t frames_of_s(double s) {
  return static_cast<std::int64_t>(std::llround(s * synthesis::kSampleRate));
}

}  // namespace

// A composed phrase on the timeline, with what is needed to re-plan it.
struct PhraseScheduler::Planned {
  music::Phrase score;
  music::BarTimes bars;
  LiveJob live;  // the phrase's render job, live sound edits applied
  music::Composer composer_before;
  synthesis::Timeline timeline_before;
  std::int64_t start() const { return live.job.start_frame; }
  std::int64_t end() const { return live.job.start_frame + live.job.frames; }
  std::int64_t bar_frame(int bar) const {
    return start() + frames_of_s(bars.onset_s[static_cast<std::size_t>(bar)]);
  }
};

// One render unit: a slice of a phrase's job, rendered and mixed on a worker.
struct PhraseScheduler::Unit {
  enum class State { rendering, ready, silent };
  std::uint64_t serial = 0;
  std::uint64_t phrase = 0;
  std::int64_t start_frame = 0;
  std::int64_t frames = 0;
  State state = State::rendering;
  int attempt = 0;  // bumps on every submit: results of abandoned attempts are ignored
  std::size_t engine_pos = 0;
  std::shared_ptr<const synthesis::RenderJob> job;
  std::shared_ptr<std::atomic<bool>> cancelled;
  Clock::time_point submitted{};
  std::string engine;  // what produced pcm: "torch", "cpu", "silence"
  std::vector<float> pcm;
  MixerFrom mixer_before;  // to render it again, or re-plan from here
  std::int64_t silence_debt_before = 0;
  synthesis::MixControls silence_controls_before;
  bool first_of_phrase = false;
  std::int64_t end() const { return start_frame + frames; }
  bool finished() const { return state != State::rendering; }
  // The silence the worker rings out before the unit (at most kMaxRingOutFrames).
  std::int64_t ring_out_frames() const { return std::min(silence_debt_before, kMaxRingOutFrames); }
  // The Mixer after this unit, rebuildable: the one before it plus this unit rendered again.
  MixerFrom mixer_after() const {
    MixerFrom after = mixer_before;
    after.since.push_back({job, ring_out_frames(), silence_controls_before});
    return after;
  }
};

// A change whose replacement for finished units is rendering: committed when it is there in
// time, dropped (and placed again further on) when playback gets there first.
struct PhraseScheduler::Change {
  std::uint64_t id = 0;
  bool musical = false;
  std::int64_t heard_frame = 0;  // where the change is heard
  std::deque<Planned> phrases;   // replace the plan from phrases.front().score.index on
  music::Composer composer;      // after phrases.back()
  synthesis::Timeline timeline;  // after phrases.back()
  Unit unit;                     // the replacement unit rendering
  // The replacement run so far: it is committed once it reaches far enough past the playhead
  // that the units after it can be rendered in time (a single unit would leave the next one
  // due at once).
  std::deque<Unit> done;
  std::optional<synthesis::Mixer> mixer;  // after done.back()
  MixerFrom mixer_from;                   // the same, rebuildable
  std::int64_t from_frame = 0;            // where the run starts (the first replaced unit)
  Change(const music::Composer& c, const synthesis::Timeline& t) : composer(c), timeline(t) {}
};

std::shared_ptr<PhraseScheduler> PhraseScheduler::create(SchedulerSettings settings,
                                                         std::vector<RenderPool*> chain,
                                                         Clock& clock,
                                                         std::shared_ptr<RenderMetrics> metrics) {
  if (chain.empty()) throw std::invalid_argument("PhraseScheduler needs at least one engine pool");
  return std::shared_ptr<PhraseScheduler>(
      new PhraseScheduler(std::move(settings), std::move(chain), clock, std::move(metrics)));
}

PhraseScheduler::PhraseScheduler(SchedulerSettings settings, std::vector<RenderPool*> chain,
                                 Clock& clock, std::shared_ptr<RenderMetrics> metrics)
    : settings_(std::move(settings)),
      chain_(std::move(chain)),
      clock_(clock),
      metrics_(metrics ? std::move(metrics) : std::make_shared<RenderMetrics>()),
      composer_(settings_.params.get()),
      mixer_(synthesis::Mixer{}) {
  settings_.unit_frames = std::max<std::int64_t>(settings_.unit_frames, 256);
  // A restored session continues its composition where it left off.
  const auto target = std::min(settings_.first_phrase, kMaxFastForward);
  while (composer_.next_index() < target) composer_.next();
}

PhraseScheduler::~PhraseScheduler() {
  stop();
}

void PhraseScheduler::start() {
  std::lock_guard lock(mutex_);
  started_at_ = clock_.now();
  extend_locked();
}

bool PhraseScheduler::ready_to_start() const {
  std::lock_guard lock(mutex_);
  // Enough finished audio that the units after it can still meet the last engine's deadline.
  const std::int64_t wanted = std::max(
      2 * settings_.unit_frames, frames_of(settings_.fallback_margin) + settings_.unit_frames);
  return finished_ahead_locked() >= wanted;
}

void PhraseScheduler::set_stream_start(Clock::time_point t) {
  std::lock_guard lock(mutex_);
  stream_start_ = t;
  now_.started = true;
  chord_pos_ = -1;
  phrase_announced_ = false;
  emit_position_events_locked();
}

std::optional<Clock::time_point> PhraseScheduler::time_of_locked(std::int64_t frame) const {
  if (!stream_start_) return std::nullopt;
  return *stream_start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                              static_cast<double>(frame) / synthesis::kSampleRate));
}

std::int64_t PhraseScheduler::playhead_locked() const {
  if (!units_.empty()) return units_.front().start_frame + read_pos_;
  return phrases_.empty() ? timeline_.next_phrase_frame() : phrases_.front().start();
}

std::int64_t PhraseScheduler::chain_end_locked() const {
  std::int64_t end = playhead_locked();
  for (const auto& u : units_) {
    if (!u.finished()) break;
    end = u.end();
  }
  return end;
}

std::int64_t PhraseScheduler::finished_ahead_locked() const {
  return chain_end_locked() - playhead_locked();
}

std::int64_t PhraseScheduler::guard_frames_locked() const {
  return std::max(frames_of(settings_.change_guard), frames_of_s(3 * turnaround_s_));
}

PhraseScheduler::Planned* PhraseScheduler::phrase_at_locked(std::int64_t frame) {
  for (auto& p : phrases_)
    if (frame >= p.start() && frame < p.end()) return &p;
  return nullptr;
}

PhraseScheduler::Planned& PhraseScheduler::plan_phrase_locked() {
  Planned p{{}, {}, {}, composer_, timeline_};
  p.score = composer_.next();
  p.bars = music::even_bar_times(p.score);
  p.live = LiveJob::place(timeline_, p.score, composer_.params());
  phrases_.push_back(std::move(p));
  return phrases_.back();
}

PhraseScheduler::Unit PhraseScheduler::cut_unit_locked(const Planned& phrase,
                                                       std::int64_t from) const {
  Unit u;
  u.phrase = phrase.score.index;
  u.start_frame = from;
  u.frames = std::min(settings_.unit_frames, phrase.end() - from);
  u.first_of_phrase = from == phrase.start();
  u.job = std::make_shared<const synthesis::RenderJob>(slice_job(phrase.live.job, from, u.frames));
  return u;
}

void PhraseScheduler::extend_locked() {
  if (stopped_ || pending_) return;
  const std::int64_t target =
      std::max(frames_of(settings_.lookahead),
               frames_of(settings_.deadline_margin) + frames_of_s(4 * turnaround_s_));
  while (units_.empty() || units_.back().finished()) {  // one unit in the works at a time
    // Below the target, render on to kRefillUnits past it: playback (the media thread) starts a
    // refill once per few units and the workers carry it on, each from the unit it finished.
    const std::int64_t ahead = finished_ahead_locked();
    if (ahead < target) refilling_ = true;
    if (!units_.empty() &&
        ahead >= target + (refilling_ ? kRefillUnits * settings_.unit_frames : 0)) {
      refilling_ = false;
      return;
    }
    const std::int64_t from = units_.empty() ? playhead_locked() : units_.back().end();
    Planned* phrase = phrase_at_locked(from);
    if (!phrase) phrase = &plan_phrase_locked();
    if (phrase->end() <= from) return;  // an empty phrase: nothing to render
    Unit unit = cut_unit_locked(*phrase, from);
    unit.silence_debt_before = silence_debt_frames_;
    unit.silence_controls_before = silence_controls_;
    units_.push_back(std::move(unit));
    Unit& u = units_.back();
    u.mixer_before = mixer_from_for_next(mixer_, mixer_from_);  // a re-plan from here starts there
    submit_locked(u, std::exchange(mixer_, std::nullopt));
    return;  // the next one is cut when this one is finished
  }
}

void PhraseScheduler::submit_locked(Unit& unit, std::optional<synthesis::Mixer> mixer) {
  unit.state = Unit::State::rendering;
  ++unit.attempt;
  if (unit.cancelled) *unit.cancelled = true;
  unit.cancelled = std::make_shared<std::atomic<bool>>(false);
  unit.submitted = clock_.now();
  if (!unit.serial) unit.serial = next_serial_++;
  // Skip engines whose margin the unit can no longer meet (after a change, or when playback
  // is close): a routing decision, not a miss.
  const auto start = time_of_locked(unit.start_frame);
  while (start && unit.engine_pos + 1 < chain_.size() &&
         ms_between(unit.submitted, *start) <
             settings_.deadline_margin.count() + 1000 * turnaround_s_)
    ++unit.engine_pos;
  RenderPool* pool = chain_[unit.engine_pos];
  std::weak_ptr<PhraseScheduler> weak = weak_from_this();
  const auto serial = unit.serial;
  const int attempt = unit.attempt;
  // The worker mixes the unit from the Mixer as the unit before left it, after letting the
  // effects ring out across the silent units in between, if any.
  MixTask mix{std::move(mixer), unit.ring_out_frames(), unit.silence_controls_before, {}};
  if (!mix.mixer) mix.from = unit.mixer_before;  // the worker rebuilds it
  const bool last = unit.engine_pos + 1 == chain_.size();
  const auto due = start ? *start - (last ? settings_.fallback_margin : settings_.deadline_margin)
                         : Clock::time_point{};
  pool->submit({unit.job, unit.cancelled, std::move(mix),
                [weak, serial, attempt](RenderResult result) {
                  if (auto self = weak.lock())
                    self->on_rendered(serial, attempt, std::move(result));
                },
                due});
}

void PhraseScheduler::on_rendered(std::uint64_t serial, int attempt, RenderResult result) {
  std::unique_lock lock(mutex_);
  if (stopped_) return;
  Unit* unit = nullptr;
  for (auto& u : units_)
    if (u.serial == serial) unit = &u;
  const bool replacement = !unit && pending_ && pending_->unit.serial == serial;
  if (replacement) unit = &pending_->unit;
  if (!unit || unit->attempt != attempt || unit->state != Unit::State::rendering) {
    log::get("scheduler")
        ->debug("session {}: unit {} from engine {} arrived after it was replaced or given up",
                settings_.session_id, serial, result.engine);
    return;
  }
  if (!result.ok) {
    ++metrics_->render_failures;
    const std::string why =
        fmt::format("failed after {:.0f} ms: {}", result.seconds * 1000, result.error);
    if (replacement && unit->engine_pos + 1 >= chain_.size()) {
      // The old audio is still there: place the change again further on.
      ++status_.change_retries;
      pending_.reset();
      issue_change_locked(wanted_change_);
      return;
    }
    escalate_locked(*unit, why);
    return;
  }
  const double took = std::chrono::duration<double>(clock_.now() - unit->submitted).count();
  turnaround_s_ += 0.1 * (std::clamp(took, 0.0, 1.0) - turnaround_s_);
  if (replacement) {
    continue_replacement_locked(result);
    return;
  }
  finish_unit_locked(*unit, result);
  extend_locked();
}

void PhraseScheduler::continue_replacement_locked(RenderResult& result) {
  Change& change = *pending_;
  Unit& unit = change.unit;
  metrics_->render_seconds.observe(result.seconds);
  metrics_->mix_seconds.observe(result.mix_seconds);
  unit.engine = result.engine;
  unit.pcm = std::move(result.pcm);
  unit.state = Unit::State::ready;
  change.mixer = std::move(*result.mixer);
  change.mixer_from = unit.mixer_after();
  const std::int64_t end = unit.end();
  change.done.push_back(std::move(unit));
  // Far enough: the unit after the run keeps the last engine's margin plus a guard.
  const std::int64_t need = playhead_locked() + frames_of(settings_.fallback_margin) +
                            guard_frames_locked() + settings_.unit_frames;
  const Planned* holder = nullptr;
  for (const auto& p : change.phrases)
    if (end >= p.start() && end < p.end()) holder = &p;
  if (end >= need || end >= chain_end_locked() || !holder) {
    commit_change_locked(change);
    pending_.reset();
    extend_locked();
    return;
  }
  change.unit = cut_unit_locked(*holder, end);
  change.unit.mixer_before = mixer_from_for_next(change.mixer, change.mixer_from);
  submit_locked(change.unit, std::exchange(change.mixer, std::nullopt));
}

void PhraseScheduler::finish_unit_locked(Unit& unit, RenderResult& result) {
  metrics_->render_seconds.observe(result.seconds);
  metrics_->mix_seconds.observe(result.mix_seconds);
  unit.engine = result.engine;
  unit.pcm = std::move(result.pcm);
  unit.state = Unit::State::ready;
  if (unit.first_of_phrase) metrics_->count_phrase(unit.engine);
  mixer_ = std::move(*result.mixer);
  mixer_from_ = unit.mixer_after();
  silence_debt_frames_ = 0;  // rung out before this unit
  if (resume_fade_) {
    // Music comes back after silent units: fade it in so the join does not click.
    resume_fade_ = false;
    const std::int64_t n = std::min<std::int64_t>(kFadeFrames, unit.frames);
    for (std::int64_t f = 0; f < n; ++f) {
      const float g = static_cast<float>(f) / static_cast<float>(n);
      unit.pcm[2 * f] *= g;
      unit.pcm[2 * f + 1] *= g;
    }
  }
}

void PhraseScheduler::log_error_locked(std::uint64_t phrase, const std::string& kind,
                                       const std::string& text) {
  // One ERROR line per phrase and kind of trouble: an outage hits every unit (23 a second).
  auto [it, fresh] = logged_.try_emplace(kind, phrase);
  const bool first = fresh || it->second != phrase;
  it->second = phrase;
  log::get("scheduler")->log(first ? spdlog::level::err : spdlog::level::debug, "{}", text);
}

void PhraseScheduler::escalate_locked(Unit& unit, const std::string& why) {
  if (unit.engine_pos + 1 < chain_.size()) {
    const std::string from = chain_[unit.engine_pos]->engine_name();
    ++unit.engine_pos;
    const std::string to = chain_[unit.engine_pos]->engine_name();
    if (to == "cpu") ++metrics_->fallbacks_to_cpu;
    log_error_locked(unit.phrase, from + " " + why.substr(0, 6),
                     fmt::format("session {}: phrase {}: engine {} {}; rendering it with engine {}",
                                 settings_.session_id, unit.phrase, from, why, to));
    submit_locked(unit, std::nullopt);
    return;
  }
  go_silent_locked(unit, "engine " + chain_[unit.engine_pos]->engine_name() + " " + why);
}

void PhraseScheduler::go_silent_locked(Unit& unit, const std::string& why) {
  ++unit.attempt;
  if (unit.cancelled) *unit.cancelled = true;
  unit.state = Unit::State::silent;
  unit.engine = "silence";
  unit.pcm.clear();
  ++metrics_->silent_phrases;
  if (unit.first_of_phrase) metrics_->count_phrase("silence");
  const auto start = time_of_locked(unit.start_frame);
  const double starts_in_ms = start ? ms_between(clock_.now(), *start) : 0.0;
  log_error_locked(unit.phrase, "silence",
                   fmt::format("session {}: phrase {}: {}; no engine rendered it in time: playing "
                               "silence (the unit starts in {:.0f} ms)",
                               settings_.session_id, unit.phrase, why, starts_in_ms));
  // The chain goes on from the Mixer before this unit, which rings out the silence first (the
  // next unit's worker rebuilds it).
  mixer_.reset();
  mixer_from_ = unit.mixer_before;
  silence_debt_frames_ = unit.silence_debt_before + unit.frames;
  silence_controls_ = unit.job->controls;
  resume_fade_ = true;

  // Fade out the end of the unit before (the part not yet played) so the music stops softly.
  for (std::size_t i = 1; i < units_.size(); ++i) {
    if (&units_[i] != &unit) continue;
    Unit& prev = units_[i - 1];
    if (prev.state != Unit::State::ready) break;
    const std::int64_t played = i - 1 == 0 ? read_pos_ : 0;
    const std::int64_t fade_start = std::max(played, prev.frames - kFadeFrames);
    const std::int64_t fade_len = prev.frames - fade_start;
    for (std::int64_t f = fade_start; f < prev.frames; ++f) {
      const float g = static_cast<float>(prev.frames - 1 - f) /
                      static_cast<float>(std::max<std::int64_t>(1, fade_len));
      prev.pcm[2 * f] *= g;
      prev.pcm[2 * f + 1] *= g;
    }
    break;
  }
  extend_locked();
}

void PhraseScheduler::poll() {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  const auto now = clock_.now();
  if (!stream_start_) {
    // Before the stream starts no unit has a start time, but a first engine that hangs must
    // not hold the stream back: after 2 x deadline_margin the unit goes down the chain. The
    // last engine is waited for (nothing is playing yet, so nothing can be late).
    if (!started_at_ || units_.empty()) return;
    Unit& first = units_.back();
    const auto deadline = first.submitted + 2 * settings_.deadline_margin;
    if (first.state != Unit::State::rendering || first.engine_pos + 1 >= chain_.size() ||
        now < deadline)
      return;
    ++metrics_->deadline_misses;
    escalate_locked(
        first, fmt::format("missed its start-up deadline ({} ms after it was submitted) by "
                           "{:.0f} ms",
                           (2 * settings_.deadline_margin).count(), ms_between(deadline, now)));
    return;
  }
  if (pending_ && now >= *time_of_locked(pending_->from_frame) - settings_.fallback_margin / 2) {
    // The replacement is late: the old audio plays on and the change is placed further on.
    *pending_->unit.cancelled = true;
    pending_.reset();
    ++status_.change_retries;
    issue_change_locked(wanted_change_);
  }
  for (auto& u : units_) {
    if (u.state != Unit::State::rendering) continue;
    const bool last_engine = u.engine_pos + 1 == chain_.size();
    const auto margin = last_engine ? settings_.fallback_margin : settings_.deadline_margin;
    const auto deadline = *time_of_locked(u.start_frame) - margin;
    if (now < deadline) continue;
    ++metrics_->deadline_misses;
    escalate_locked(u, fmt::format("missed its deadline ({} ms before the unit) by {:.0f} ms",
                                   margin.count(), ms_between(deadline, now)));
    return;  // units_ may have changed
  }
}

void PhraseScheduler::read(std::span<float> out) {
  std::lock_guard lock(mutex_);
  const std::int64_t wanted = static_cast<std::int64_t>(out.size() / 2);
  std::int64_t written = 0;
  while (written < wanted) {
    if (units_.empty() || !stream_start_ || stopped_) {
      std::fill(out.begin() + 2 * written, out.end(), 0.0f);
      ++status_.underrun_frames;
      ++metrics_->underrun_frames;
      return;
    }
    Unit& front = units_.front();
    if (!front.finished()) go_silent_locked(front, "was not ready when its playback began");
    const std::int64_t n = std::min(wanted - written, front.frames - read_pos_);
    float* dst = out.data() + 2 * written;
    if (front.state == Unit::State::ready)
      std::memcpy(dst, front.pcm.data() + 2 * read_pos_,
                  static_cast<std::size_t>(n) * 2 * sizeof(float));
    else
      std::fill(dst, dst + 2 * n, 0.0f);
    written += n;
    read_pos_ += n;
    if (read_pos_ >= front.frames) {
      const std::int64_t end = front.end();
      units_.pop_front();
      read_pos_ = 0;
      if (!phrases_.empty() && end >= phrases_.front().end()) {
        phrases_.pop_front();
        chord_pos_ = -1;
        phrase_announced_ = false;
        ++status_.phrases_played;
      }
      extend_locked();
    }
    emit_position_events_locked();
  }
}

void PhraseScheduler::peek(std::span<float> out) {
  std::lock_guard lock(mutex_);
  std::fill(out.begin(), out.end(), 0.0f);
  const std::int64_t wanted = static_cast<std::int64_t>(out.size() / 2);
  std::int64_t written = 0, from = read_pos_;
  for (const auto& unit : units_) {
    if (written >= wanted || unit.state != Unit::State::ready) break;
    const std::int64_t n =
        std::max<std::int64_t>(std::min(wanted - written, unit.frames - from), 0);
    std::memcpy(out.data() + 2 * written, unit.pcm.data() + 2 * from,
                static_cast<std::size_t>(n) * 2 * sizeof(float));
    written += n;
    from = 0;
  }
}

void PhraseScheduler::emit_position_events_locked() {
  if (phrases_.empty() || !stream_start_) return;
  const std::int64_t playhead = playhead_locked();
  // Changes playback has reached.
  for (auto it = announced_.begin(); it != announced_.end();) {
    if (it->second.first > playhead) {
      ++it;
      continue;
    }
    PlaybackEvent ev;
    ev.kind = PlaybackEvent::Kind::change;
    ev.change_id = it->first;
    ev.change_frame = it->second.first;
    ev.musical = it->second.second;
    ev.applied = true;
    events_.push_back(std::move(ev));
    if (it->second.second) {
      // The playing phrase was re-planned: announce it again with its new key, mode and tempo.
      phrase_announced_ = false;
      chord_pos_ = -1;
    }
    it = announced_.erase(it);
  }
  const Planned& front = phrases_.front();
  const auto& score = front.score;
  if (!phrase_announced_) {
    phrase_announced_ = true;
    PlaybackEvent ev;
    ev.kind = PlaybackEvent::Kind::phrase;
    ev.phrase = score.index;
    ev.key_pc = score.key_pc;
    ev.mode = score.mode;
    ev.tempo_bpm = score.tempo_bpm;
    ev.engine = units_.empty() ? "" : units_.front().engine;
    for (const auto& c : score.chords) ev.chords.emplace_back(c.name, c.bar);
    events_.push_back(std::move(ev));
    now_.phrase = score.index;
    now_.key_pc = score.key_pc;
    now_.mode = score.mode;
    now_.tempo_bpm = score.tempo_bpm;
    now_.engine = ev.engine;
  }
  const double t_s = static_cast<double>(playhead - front.start()) / synthesis::kSampleRate;
  int current = -1;
  for (std::size_t i = 0; i < score.chords.size(); ++i)
    if (score.chords[i].onset_s <= t_s + 1e-9) current = static_cast<int>(i);
  if (current > chord_pos_) {
    chord_pos_ = current;
    const auto& chord = score.chords[static_cast<std::size_t>(current)];
    PlaybackEvent ev;
    ev.kind = PlaybackEvent::Kind::chord;
    ev.phrase = score.index;
    ev.chord = chord.name;
    ev.bar = chord.bar;
    events_.push_back(std::move(ev));
    now_.chord = chord.name;
  }
  int bar = 0;
  while (bar + 1 < score.bars && front.bars.onset_s[static_cast<std::size_t>(bar + 1)] <= t_s)
    ++bar;
  now_.bar = bar;
  if (!units_.empty() && !units_.front().engine.empty()) now_.engine = units_.front().engine;
}

std::vector<PlaybackEvent> PhraseScheduler::take_events() {
  std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

std::uint64_t PhraseScheduler::set_params(const music::ValidParams& params) {
  std::lock_guard lock(mutex_);
  const bool same = live_sound_equal(settings_.params.get(), params.get()) &&
                    !musical_change(settings_.params.get(), params.get());
  if (same) return 0;
  settings_.params = params;
  const std::uint64_t id = ++change_ids_;
  ++status_.changes;
  if (pending_) {  // a burst: the newest parameters replace the change still rendering
    *pending_->unit.cancelled = true;
    pending_.reset();
  }
  issue_change_locked(id);
  return id;
}

void PhraseScheduler::cancel_in_flight_locked() {
  if (units_.empty() || units_.back().finished()) return;
  Unit& u = units_.back();
  *u.cancelled = true;
  mixer_.reset();  // with the worker: the next unit's worker rebuilds it
  mixer_from_ = std::move(u.mixer_before);
  silence_debt_frames_ = u.silence_debt_before;
  silence_controls_ = u.silence_controls_before;
  units_.pop_back();
}

void PhraseScheduler::issue_change_locked(std::uint64_t id) {
  wanted_change_ = id;
  const auto& params = settings_.params.get();
  const std::int64_t playhead = playhead_locked();
  const std::int64_t guard = stream_start_ ? guard_frames_locked() : 0;
  cancel_in_flight_locked();
  const std::int64_t chain_end = chain_end_locked();

  // Where a sound change is heard: the first finished unit past the guard, or the end of what
  // is rendered.
  std::int64_t sound_from = chain_end;
  for (const auto& u : units_)
    if (u.start_frame >= playhead + guard) {
      sound_from = std::min(sound_from, u.start_frame);
      break;
    }
  // Where a musical change is heard: the first bar whose unit starts past the guard.
  const bool musical = musical_change(composer_.params(), params) ||
                       std::any_of(phrases_.begin(), phrases_.end(), [&](const Planned& p) {
                         return musical_change(p.live.composed_with, params);
                       });
  const Planned* splice_phrase = nullptr;
  int splice_bar = 0;
  if (musical) {
    for (const auto& p : phrases_) {
      for (int b = 0; b < p.score.bars && !splice_phrase; ++b)
        if (p.bar_frame(b) >= playhead + guard + settings_.unit_frames) {
          splice_phrase = &p;
          splice_bar = b;
        }
      if (splice_phrase) break;
    }
  }
  const bool sound =
      !live_sound_equal(phrases_.empty() ? params : phrases_.front().live.sound, params) ||
      std::any_of(phrases_.begin(), phrases_.end(),
                  [&](const Planned& p) { return !live_sound_equal(p.live.sound, params); });

  // The new plan, from the phrase where it first differs.
  const std::int64_t splice_frame =
      splice_phrase ? splice_phrase->bar_frame(splice_bar) : std::int64_t{-1};
  std::int64_t from = sound ? sound_from : (splice_phrase ? splice_frame : chain_end);
  Planned* first = phrase_at_locked(from);
  auto change = std::make_unique<Change>(composer_, timeline_);
  change->id = id;
  change->musical = musical;
  change->heard_frame = sound ? sound_from : (splice_phrase ? splice_frame : from);
  if (first) {
    for (auto& p : phrases_) {
      if (p.score.index < first->score.index) continue;
      if (splice_phrase && p.score.index > splice_phrase->score.index) break;
      Planned copy = p;
      if (sound) copy.live.edit(from, params);
      if (splice_phrase && p.score.index == splice_phrase->score.index) {
        // Compose the phrase again from the state before it, with the new parameters, and take
        // it from the splice bar on.
        music::Composer composer = p.composer_before;
        const auto& was = composer.params();
        const bool new_key = params.key_pc != was.key_pc || params.mode != was.mode;
        composer.set_params(params);
        if (new_key) composer.pivot_at_bar(splice_bar, copy.score.key_pc, copy.score.mode);
        const music::Phrase fresh = composer.next();
        music::SplicedPhrase spliced =
            music::splice_phrase(copy.score, copy.bars, fresh, splice_bar);
        synthesis::Timeline timeline = p.timeline_before;
        LiveJob live = LiveJob::place(timeline, spliced.phrase, params);
        live.job.controls.live_replan = true;
        live.keep_before(copy.live.job, splice_frame);
        const std::size_t b = static_cast<std::size_t>(splice_bar);
        live.transition(splice_frame, spliced.bars.onset_s[b + 1] - spliced.bars.onset_s[b]);
        timeline.keep_voices(live.job, splice_frame);
        if (sound) {  // the kept notes of a layer switched off still let go at `from`
          live.edit(from, params);
          edit_carried(timeline, from, params);
        }
        copy.score = std::move(spliced.phrase);
        copy.bars = std::move(spliced.bars);
        copy.live = std::move(live);
        change->composer = std::move(composer);
        change->timeline = std::move(timeline);
      }
      change->phrases.push_back(std::move(copy));
    }
  }
  if (!splice_phrase) {
    change->composer.set_params(params);
    if (sound) edit_carried(change->timeline, from, params);
  }

  // Where the replacement starts: the unit holding the first changed frame.
  std::int64_t unit_from = chain_end;
  for (const auto& u : units_)
    if (u.end() > from) {
      unit_from = u.start_frame;
      break;
    }
  if (unit_from >= chain_end || change->phrases.empty()) {
    commit_change_locked(*change);  // nothing rendered there yet: the plan just changes
    extend_locked();
    return;
  }
  // Finished audio is in the way: render its replacement first; the old plays on meanwhile.
  const Planned* holder = nullptr;
  for (const auto& p : change->phrases)
    if (unit_from >= p.start() && unit_from < p.end()) holder = &p;
  const Unit* old = nullptr;
  for (const auto& u : units_)
    if (u.start_frame == unit_from) old = &u;
  if (!holder || !old) {
    commit_change_locked(*change);
    extend_locked();
    return;
  }
  change->from_frame = unit_from;
  change->unit = cut_unit_locked(*holder, unit_from);
  change->unit.silence_debt_before = old->silence_debt_before;
  change->unit.silence_controls_before = old->silence_controls_before;
  change->unit.mixer_before = old->mixer_before;
  pending_ = std::move(change);
  submit_locked(pending_->unit, std::nullopt);
}

void PhraseScheduler::commit_change_locked(Change& change) {
  if (!change.phrases.empty()) {
    const std::uint64_t first = change.phrases.front().score.index;
    while (!phrases_.empty() && phrases_.back().score.index >= first) phrases_.pop_back();
    for (auto& p : change.phrases) phrases_.push_back(std::move(p));
  }
  composer_ = std::move(change.composer);
  timeline_ = std::move(change.timeline);
  if (!change.done.empty()) {
    // Replace the finished units from the replacement's start on.
    while (!units_.empty() && units_.back().start_frame >= change.from_frame) units_.pop_back();
    for (auto& u : change.done) units_.push_back(std::move(u));
    mixer_ = std::move(change.mixer);
    mixer_from_ = std::move(change.mixer_from);
    silence_debt_frames_ = 0;
  }
  announced_.push_back({change.id, {change.heard_frame, change.musical}});
  PlaybackEvent ev;
  ev.kind = PlaybackEvent::Kind::change;
  ev.change_id = change.id;
  ev.change_frame = change.heard_frame;
  ev.musical = change.musical;
  events_.push_back(std::move(ev));
  log::get("scheduler")
      ->debug("session {}: change {} heard from frame {} ({})", settings_.session_id, change.id,
              change.heard_frame, change.musical ? "re-planned from a bar" : "sound");
}

music::ValidParams PhraseScheduler::params() const {
  std::lock_guard lock(mutex_);
  return settings_.params;
}

NowPlaying PhraseScheduler::now_playing() const {
  std::lock_guard lock(mutex_);
  return now_;
}

SchedulerStatus PhraseScheduler::status() const {
  std::lock_guard lock(mutex_);
  SchedulerStatus s = status_;
  s.lookahead_s =
      std::max<double>(0, static_cast<double>(finished_ahead_locked()) / synthesis::kSampleRate);
  return s;
}

bool PhraseScheduler::settled() const {
  // Workers render and mix, and call back before they count as idle.
  for (auto* pool : chain_)
    if (pool->busy()) return false;
  return true;
}

void PhraseScheduler::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& u : units_)
    if (u.cancelled) *u.cancelled = true;
  if (pending_ && pending_->unit.cancelled) *pending_->unit.cancelled = true;
}

}  // namespace auralis::devices
