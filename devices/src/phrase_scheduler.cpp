#include "auralis/devices/phrase_scheduler.hpp"

#include <algorithm>
#include <cstring>

#include "auralis/config/log.hpp"
#include "auralis/synthesis/render_job.hpp"

namespace auralis::devices {
namespace {

constexpr std::int64_t kFadeFrames = synthesis::kSampleRate / 20;  // 50 ms
constexpr std::uint64_t kMaxFastForward = 100000;
// The mixer's tails are gone after a few seconds of silent input (Mixer::process_silence), so
// ringing out longer than this after an outage is wasted time that would delay the recovery.
constexpr std::int64_t kMaxRingOutFrames = std::int64_t{synthesis::kSampleRate} * 10;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

struct PhraseScheduler::Entry {
  enum class State { rendering, ready, silent };

  std::uint64_t index = 0;
  int generation = 0;
  int attempt = 0;  // bumps on every submit: results of abandoned attempts are ignored
  std::size_t engine_pos = 0;
  State state = State::rendering;
  music::Phrase score;
  std::shared_ptr<const synthesis::RenderJob> job;
  std::shared_ptr<std::atomic<bool>> cancelled;
  std::string engine;  // what produced pcm: "torch", "cpu", "silence"
  std::vector<float> pcm;
  // Snapshots at this phrase's boundary, to re-plan from here after a parameter change.
  music::Composer composer_before;
  synthesis::Timeline timeline_before;
  std::optional<synthesis::Mixer> mixer_before;
  std::int64_t silence_debt_before = 0;
  std::int64_t drop_before_before = 0;

  Entry(const music::Composer& c, const synthesis::Timeline& t)
      : composer_before(c), timeline_before(t) {}
  std::int64_t frames() const { return job->frames; }
  bool finished() const { return state == State::ready || state == State::silent; }
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
      composer_(settings_.params.get()) {
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
  plan_next_locked();
}

bool PhraseScheduler::ready_to_start() const {
  std::lock_guard lock(mutex_);
  return !plan_.empty() && plan_.front()->finished();
}

void PhraseScheduler::set_stream_start(Clock::time_point t) {
  std::lock_guard lock(mutex_);
  stream_start_ = t;
  now_.started = true;
  chord_pos_ = -1;
  phrase_announced_ = false;
  emit_position_events_locked();
}

std::optional<Clock::time_point> PhraseScheduler::phrase_start_time_locked(
    const Entry& entry) const {
  if (!stream_start_) return std::nullopt;
  const auto offset = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
      static_cast<double>(entry.job->start_frame) / synthesis::kSampleRate));
  return *stream_start_ + offset;
}

PhraseScheduler::Entry* PhraseScheduler::find_locked(std::uint64_t index) {
  for (auto& e : plan_)
    if (e->index == index) return e.get();
  return nullptr;
}

void PhraseScheduler::plan_next_locked() {
  while (!stopped_) {
    if (!plan_.empty()) {
      if (!plan_.back()->finished())
        return;  // one phrase in the works at a time: its Mixer state is the last one's end
      const int beyond_front = static_cast<int>(plan_.size()) - 1;
      if (beyond_front >= settings_.lookahead_phrases) return;
    }
    auto entry = std::make_unique<Entry>(composer_, timeline_);
    entry->generation = generation_;
    entry->silence_debt_before = silence_debt_frames_;
    entry->drop_before_before = drop_voices_before_;
    entry->mixer_before =
        mixer_;  // the previous phrase is finished, so this is the state before this one
    entry->score = composer_.next();
    entry->index = entry->score.index;
    auto job = std::make_shared<synthesis::RenderJob>(timeline_.place(entry->score));
    // Voices that started before a silent phrase were never heard: do not resume them mid-note.
    // A note still held there (a pad tone tied across the join) starts again with an attack.
    std::erase_if(job->voices, [&](const synthesis::VoiceSpec& v) {
      return v.start_frame < drop_voices_before_ &&
             v.start_frame + v.gate_frames <= drop_voices_before_;
    });
    for (auto& v : job->voices) {
      if (v.start_frame >= drop_voices_before_) continue;
      v.gate_frames -= drop_voices_before_ - v.start_frame;
      v.start_frame = drop_voices_before_;
    }
    entry->job = std::move(job);
    plan_.push_back(std::move(entry));
    submit_locked(*plan_.back());
    return;  // the next one is planned when this one is finished
  }
}

void PhraseScheduler::submit_locked(Entry& entry) {
  entry.state = Entry::State::rendering;
  ++entry.attempt;
  if (entry.cancelled) *entry.cancelled = true;
  entry.cancelled = std::make_shared<std::atomic<bool>>(false);
  RenderPool* pool = chain_[entry.engine_pos];
  std::weak_ptr<PhraseScheduler> weak = weak_from_this();
  const auto index = entry.index;
  const int generation = entry.generation;
  const int attempt = entry.attempt;
  // The worker finishes the phrase from the Mixer as the phrase before left it, after letting
  // the effects ring out across the silent phrase(s) in between, if any, so it starts clean.
  MixTask mix{mixer_, std::min(silence_debt_frames_, kMaxRingOutFrames), silence_controls_};
  pool->submit({entry.job, entry.cancelled, std::move(mix),
                [weak, index, generation, attempt](RenderResult result) {
                  if (auto self = weak.lock())
                    self->on_rendered(index, generation, attempt, std::move(result));
                }});
}

void PhraseScheduler::on_rendered(std::uint64_t index, int generation, int attempt,
                                  RenderResult result) {
  std::unique_lock lock(mutex_);
  Entry* entry = find_locked(index);
  if (stopped_ || !entry || entry->generation != generation || entry->attempt != attempt ||
      entry->state != Entry::State::rendering) {
    // A phrase re-planned for new parameters is expected to arrive unwanted; one given up at
    // its deadline is worth a warning.
    const bool replanned = !entry || entry->generation != generation;
    if (!stopped_)
      log::get("scheduler")
          ->log(replanned ? spdlog::level::debug : spdlog::level::warn,
                "session {}: phrase {} from engine {} arrived after it was {} ({:.0f} ms render)",
                settings_.session_id, index, result.engine, replanned ? "re-planned" : "given up",
                result.seconds * 1000);
    return;
  }
  if (!result.ok) {
    ++metrics_->render_failures;
    // One ERROR line, written where the phrase goes next (escalate_locked / go_silent_locked).
    escalate_locked(*entry,
                    fmt::format("failed after {:.0f} ms: {}", result.seconds * 1000, result.error));
    return;
  }
  metrics_->render_seconds.observe(result.seconds);
  metrics_->mix_seconds.observe(result.mix_seconds);
  entry->engine = result.engine;
  entry->pcm = std::move(result.pcm);
  entry->state = Entry::State::ready;
  metrics_->count_phrase(entry->engine);
  mixer_ = std::move(*result.mixer);
  silence_debt_frames_ = 0;  // rung out before this phrase
  plan_next_locked();
}

void PhraseScheduler::escalate_locked(Entry& entry, const std::string& why) {
  if (entry.engine_pos + 1 < chain_.size()) {
    const std::string from = chain_[entry.engine_pos]->engine_name();
    ++entry.engine_pos;
    const std::string to = chain_[entry.engine_pos]->engine_name();
    if (to == "cpu") ++metrics_->fallbacks_to_cpu;
    log::get("scheduler")
        ->error("session {}: phrase {}: engine {} {}; rendering it with engine {}",
                settings_.session_id, entry.index, from, why, to);
    submit_locked(entry);
    return;
  }
  go_silent_locked(entry, "engine " + chain_[entry.engine_pos]->engine_name() + " " + why);
}

void PhraseScheduler::go_silent_locked(Entry& entry, const std::string& why) {
  ++entry.attempt;
  if (entry.cancelled) *entry.cancelled = true;
  entry.state = Entry::State::silent;
  entry.engine = "silence";
  entry.pcm.clear();
  ++metrics_->silent_phrases;
  metrics_->count_phrase("silence");
  const auto start = phrase_start_time_locked(entry);
  const double starts_in_ms = start ? ms_between(clock_.now(), *start) : 0.0;
  log::get("scheduler")
      ->error(
          "session {}: phrase {}: {}; no engine rendered it in time: playing silence (the phrase "
          "starts in {:.0f} ms)",
          settings_.session_id, entry.index, why, starts_in_ms);
  drop_voices_before_ = entry.job->start_frame + entry.job->frames;
  silence_debt_frames_ += entry.job->frames;
  silence_controls_ = entry.job->controls;

  // Fade out the end of the phrase before (the part not yet played) so the music stops softly.
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    if (plan_[i].get() != &entry || i == 0) continue;
    Entry& prev = *plan_[i - 1];
    if (prev.state != Entry::State::ready) break;
    const std::int64_t frames = prev.frames();
    const std::int64_t played = i - 1 == 0 ? read_pos_ : 0;
    const std::int64_t fade_start = std::max(played, frames - kFadeFrames);
    const std::int64_t fade_len = frames - fade_start;
    for (std::int64_t f = fade_start; f < frames; ++f) {
      const float g = static_cast<float>(frames - 1 - f) /
                      static_cast<float>(std::max<std::int64_t>(1, fade_len));
      prev.pcm[2 * f] *= g;
      prev.pcm[2 * f + 1] *= g;
    }
    break;
  }
  plan_next_locked();
}

void PhraseScheduler::poll() {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  const auto now = clock_.now();
  if (!stream_start_) {
    // Before the stream starts no phrase has a start time, but a first engine that hangs must
    // not hold the stream back: after 2 x deadline_margin the first phrase goes down the chain.
    // The last engine is waited for (nothing is playing yet, so nothing can be late).
    if (!started_at_ || plan_.empty()) return;
    Entry& first = *plan_.front();
    const auto deadline = *started_at_ + 2 * settings_.deadline_margin;
    if (first.state != Entry::State::rendering || first.engine_pos + 1 >= chain_.size() ||
        now < deadline)
      return;
    ++metrics_->deadline_misses;
    const std::string why =
        fmt::format("missed its start-up deadline ({} ms after the session started) by {:.0f} ms",
                    (2 * settings_.deadline_margin).count(), ms_between(deadline, now));
    escalate_locked(first, why);  // logs the ERROR line
    return;
  }
  for (auto& e : plan_) {
    if (e->state != Entry::State::rendering) continue;
    const bool last_engine = e->engine_pos + 1 == chain_.size();
    const auto margin = last_engine ? settings_.fallback_margin : settings_.deadline_margin;
    const auto start = *phrase_start_time_locked(*e);
    const auto deadline = start - margin;
    if (now < deadline) continue;
    ++metrics_->deadline_misses;
    const std::string why =
        fmt::format("missed its deadline ({} ms before the phrase) by {:.0f} ms", margin.count(),
                    ms_between(deadline, now));
    escalate_locked(*e, why);  // logs the ERROR line
    return;                    // plan_ may have changed
  }
}

void PhraseScheduler::read(std::span<float> out) {
  std::lock_guard lock(mutex_);
  const std::int64_t wanted = static_cast<std::int64_t>(out.size() / 2);
  std::int64_t written = 0;
  while (written < wanted) {
    if (plan_.empty() || !stream_start_ || stopped_) {
      std::fill(out.begin() + 2 * written, out.end(), 0.0f);
      ++status_.underrun_frames;
      ++metrics_->underrun_frames;
      return;
    }
    Entry& front = *plan_.front();
    if (!front.finished()) go_silent_locked(front, "was not ready when its playback began");
    const std::int64_t n = std::min(wanted - written, front.frames() - read_pos_);
    float* dst = out.data() + 2 * written;
    if (front.state == Entry::State::ready)
      std::memcpy(dst, front.pcm.data() + 2 * read_pos_,
                  static_cast<std::size_t>(n) * 2 * sizeof(float));
    else
      std::fill(dst, dst + 2 * n, 0.0f);
    written += n;
    read_pos_ += n;
    if (read_pos_ >= front.frames()) {
      plan_.pop_front();
      read_pos_ = 0;
      chord_pos_ = -1;
      phrase_announced_ = false;
      ++status_.phrases_played;
      plan_next_locked();
    }
    emit_position_events_locked();
  }
}

void PhraseScheduler::peek(std::span<float> out) {
  std::lock_guard lock(mutex_);
  std::fill(out.begin(), out.end(), 0.0f);
  const std::int64_t wanted = static_cast<std::int64_t>(out.size() / 2);
  std::int64_t written = 0, from = read_pos_;
  for (const auto& entry : plan_) {
    if (written >= wanted || entry->state != Entry::State::ready) break;
    const std::int64_t n = std::min(wanted - written, entry->frames() - from);
    std::memcpy(out.data() + 2 * written, entry->pcm.data() + 2 * from,
                static_cast<std::size_t>(std::max<std::int64_t>(n, 0)) * 2 * sizeof(float));
    written += std::max<std::int64_t>(n, 0);
    from = 0;
  }
}

void PhraseScheduler::emit_position_events_locked() {
  if (plan_.empty() || !stream_start_) return;
  const Entry& front = *plan_.front();
  const auto& score = front.score;
  if (!phrase_announced_) {
    phrase_announced_ = true;
    PlaybackEvent ev;
    ev.kind = PlaybackEvent::Kind::phrase;
    ev.phrase = score.index;
    ev.key_pc = score.key_pc;
    ev.mode = score.mode;
    ev.tempo_bpm = score.tempo_bpm;
    ev.engine = front.engine;
    for (const auto& c : score.chords) ev.chords.emplace_back(c.name, c.bar);
    events_.push_back(std::move(ev));
    now_.phrase = score.index;
    now_.key_pc = score.key_pc;
    now_.mode = score.mode;
    now_.tempo_bpm = score.tempo_bpm;
    now_.engine = front.engine;
  }
  const double t_s = static_cast<double>(read_pos_) / synthesis::kSampleRate;
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
  const double bar_s = score.duration_s / std::max(1, score.bars);
  now_.bar = std::min(score.bars - 1, static_cast<int>(t_s / bar_s));
}

std::vector<PlaybackEvent> PhraseScheduler::take_events() {
  std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

void PhraseScheduler::set_params(const music::ValidParams& params) {
  std::lock_guard lock(mutex_);
  // The first phrase not started and far enough ahead is re-planned, with everything after it.
  const auto now = clock_.now();
  std::size_t first = stream_start_ ? 1 : 0;
  while (first < plan_.size()) {
    const auto start = phrase_start_time_locked(*plan_[first]);
    if (!start || *start - now >= settings_.replan_guard) break;
    ++first;
  }
  if (first < plan_.size()) {
    Entry& from = *plan_[first];
    composer_ = from.composer_before;
    timeline_ = from.timeline_before;
    if (from.mixer_before) mixer_ = *from.mixer_before;
    silence_debt_frames_ = from.silence_debt_before;
    drop_voices_before_ = from.drop_before_before;
    for (std::size_t i = first; i < plan_.size(); ++i)
      if (plan_[i]->cancelled) *plan_[i]->cancelled = true;
    plan_.erase(plan_.begin() + static_cast<std::ptrdiff_t>(first), plan_.end());
    ++generation_;
    log::get("scheduler")
        ->debug("session {}: parameters changed: re-planning from phrase {}", settings_.session_id,
                composer_.next_index());
  }
  settings_.params = params;
  composer_.set_params(params.get());
  plan_next_locked();
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
  std::int64_t frames = -read_pos_;
  for (const auto& e : plan_) {
    if (!e->finished()) break;
    frames += e->frames();
  }
  s.lookahead_s = std::max<double>(0, static_cast<double>(frames) / synthesis::kSampleRate);
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
  ++generation_;
  for (auto& e : plan_)
    if (e->cancelled) *e->cancelled = true;
}

}  // namespace auralis::devices
