#include "auralis/devices/render_ahead_source.hpp"

#include <algorithm>
#include <cstring>

#include "auralis/devices/log.hpp"
#include "auralis/synthesis/render_job.hpp"

namespace auralis::devices {
namespace {
void update_now_playing(NowPlaying& now, const RenderedPhrase& phrase, std::int64_t frame) {
  const auto& score = phrase.score;
  now.phrase_index = score.index;
  now.key_pc = score.key_pc;
  now.mode = score.mode;
  now.tempo_bpm = score.tempo_bpm;
  now.engine = phrase.engine;
  const double t_s = static_cast<double>(frame) / synthesis::kSampleRate;
  for (const auto& chord : score.chords) {
    if (chord.onset_s > t_s + 1e-9) break;
    now.chord = chord.name;
    now.bar = chord.bar;
  }
  now.bar = std::min(score.bars - 1, static_cast<int>(t_s / (score.duration_s / score.bars)));
}
}  // namespace

std::shared_ptr<RenderAheadSource> RenderAheadSource::create(const std::string& session_id,
                                                             const music::SessionParams& params,
                                                             EnginePool& pool, int lookahead_phrases) {
  return std::shared_ptr<RenderAheadSource>(
      new RenderAheadSource(session_id, params, pool, lookahead_phrases));
}

RenderAheadSource::RenderAheadSource(std::string session_id, const music::SessionParams& params,
                                     EnginePool& pool, int lookahead_phrases)
    : session_id_(std::move(session_id)),
      pool_(pool),
      lookahead_(std::max(1, lookahead_phrases)),
      renderer_(params) {}

void RenderAheadSource::prime(synthesis::Engine& engine) {
  synthesis::Stems stems;
  auto phrase = std::make_shared<const RenderedPhrase>(renderer_.render_next(engine, stems));
  std::lock_guard lock(mutex_);
  ++stats_.phrases_rendered;
  update_now_playing(now_, *phrase, 0);
  ready_.push_back(std::move(phrase));
}

void RenderAheadSource::start_rendering() {
  std::lock_guard lock(mutex_);
  request_renders_locked();
}

void RenderAheadSource::request_renders_locked() {
  // Ahead = phrases queued beyond the one playing now.
  const int ahead = ready_.empty() ? 0 : static_cast<int>(ready_.size()) - 1;
  if (render_in_flight_ || ahead >= lookahead_) return;
  render_in_flight_ = true;
  std::weak_ptr<RenderAheadSource> weak = weak_from_this();
  pool_.submit([weak](synthesis::Engine& engine, synthesis::Stems& stems) {
    auto self = weak.lock();
    if (!self) return;
    std::optional<music::SessionParams> params;
    {
      std::lock_guard lock(self->mutex_);
      params.swap(self->pending_params_);
    }
    std::shared_ptr<const RenderedPhrase> phrase;
    try {
      if (params) self->renderer_.set_params(*params);
      phrase = std::make_shared<const RenderedPhrase>(self->renderer_.render_next(engine, stems));
    } catch (const std::exception& e) {
      log::get("session")->error("session {}: render failed on engine {}: {}", self->session_id_,
                                 engine.name(), e.what());
    }
    std::lock_guard lock(self->mutex_);
    self->render_in_flight_ = false;
    if (phrase) {
      ++self->stats_.phrases_rendered;
      self->ready_.push_back(std::move(phrase));
    }
    self->request_renders_locked();
  });
}

bool RenderAheadSource::read_frame(std::span<float> out) {
  std::lock_guard lock(mutex_);
  std::int64_t written = 0;
  const std::int64_t wanted = static_cast<std::int64_t>(out.size() / 2);
  while (written < wanted && !ready_.empty()) {
    const auto& phrase = *ready_.front();
    const std::int64_t n = std::min(wanted - written, phrase.frames() - read_pos_);
    std::memcpy(out.data() + 2 * written, phrase.pcm.data() + 2 * read_pos_,
                static_cast<std::size_t>(n) * 2 * sizeof(float));
    written += n;
    read_pos_ += n;
    if (read_pos_ >= phrase.frames()) {
      ready_.pop_front();
      read_pos_ = 0;
      if (!ready_.empty()) {
        log::get("session")->info("session {}: phrase {} starts ({}, engine {})", session_id_,
                                  ready_.front()->score.index,
                                  ready_.front()->score.chords.empty() ? "" : ready_.front()->score.chords.front().name,
                                  ready_.front()->engine);
      }
      request_renders_locked();
    }
  }
  if (!ready_.empty()) update_now_playing(now_, *ready_.front(), read_pos_);
  if (written < wanted) {
    std::fill(out.begin() + 2 * written, out.end(), 0.0f);
    ++stats_.underrun_frames;
    return false;
  }
  return true;
}

NowPlaying RenderAheadSource::now_playing() const {
  std::lock_guard lock(mutex_);
  return now_;
}

SourceStats RenderAheadSource::stats() const {
  std::lock_guard lock(mutex_);
  SourceStats s = stats_;
  std::int64_t frames = -read_pos_;
  for (const auto& p : ready_) frames += p->frames();
  s.lookahead_s = static_cast<double>(frames) / synthesis::kSampleRate;
  return s;
}

void RenderAheadSource::set_params(const music::SessionParams& params) {
  std::lock_guard lock(mutex_);
  pending_params_ = params;
}

}  // namespace auralis::devices
