#include "sessions/session.hpp"

#include <nlohmann/json.hpp>

#include "auralis/config/log.hpp"
#include "auralis/proto/header_text.hpp"
#include "sessions/session_json.hpp"

namespace auralis::server {
namespace {
constexpr auto kPacketDuration = std::chrono::milliseconds(20);
}

std::string event_json(const devices::PlaybackEvent& event) {
  nlohmann::json j;
  if (event.kind == devices::PlaybackEvent::Kind::phrase) {
    nlohmann::json chords = nlohmann::json::array();
    for (const auto& [name, bar] : event.chords) chords.push_back({{"name", name}, {"bar", bar}});
    j = {{"type", "phrase"},
         {"phrase", event.phrase},
         {"key", music::pitch_class_name(event.key_pc)},
         {"mode", music::mode_name(event.mode)},
         {"tempo_bpm", event.tempo_bpm},
         {"chords", chords},
         {"engine", event.engine}};
  } else if (event.kind == devices::PlaybackEvent::Kind::change) {
    // `at_s`: the stream position (seconds of audio since the stream began) where it is heard.
    j = {{"type", event.applied ? "change_applied" : "change_scheduled"},
         {"id", event.change_id},
         {"kind", event.musical ? "musical" : "sound"},
         {"at_s", static_cast<double>(event.change_frame) / synthesis::kSampleRate}};
  } else {
    j = {{"type", "chord"}, {"phrase", event.phrase}, {"name", event.chord}, {"bar", event.bar}};
  }
  return j.dump();
}

Session::Session(SessionSettings settings, std::vector<devices::RenderPool*> chain, Clock& clock,
                 std::shared_ptr<devices::RenderMetrics> metrics)
    : settings_(std::move(settings)),
      scheduler_(devices::PhraseScheduler::create(settings_.scheduler, std::move(chain), clock,
                                                  std::move(metrics))),
      encoder_(settings_.encoder),
      header_pages_(std::make_shared<const std::vector<std::uint8_t>>(encoder_.header_pages())),
      hub_(settings_.burst_ms, settings_.fanout_ms),
      formats_(
          settings_.formats,
          OpusStreamInfo{encoder_.opus_head(), encoder_.pre_skip(), settings_.encoder.bitrate_bps},
          settings_.id, settings_.name, settings_.format_metrics),
      frame_(proto::kOpusFrameSamples * proto::kOpusChannels) {
  scheduler_->start();
  log::get("session")->info("session {} created (seed {}, Ogg serial {:08x})", settings_.id,
                            settings_.scheduler.params->seed, encoder_.serial());
}

Session::~Session() {
  close("session destroyed");
}

std::string Session::name() const {
  std::lock_guard lock(mutex_);
  return settings_.name;
}

void Session::set_name(const std::string& name) {
  std::lock_guard lock(mutex_);
  settings_.name = name;
  formats_.set_name(name);
}

bool Session::started() const {
  std::lock_guard lock(mutex_);
  return start_.has_value();
}

Session::Clock::time_point Session::advance(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (closed_) return now + std::chrono::seconds(1);
  if (!start_) {
    if (!scheduler_->ready_to_start()) {
      scheduler_->poll();  // a first engine that hangs hands the first phrase down the chain
      return now + kPacketDuration;
    }
    start_ = now;
    scheduler_->set_stream_start(now);
    formats_.set_stream_start(std::chrono::system_clock::now());
    log::get("session")->info("session {}: stream started", settings_.id);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (*start_ + kPacketDuration * (packets_ + 1) <= now) {
    if (now - (*start_ + kPacketDuration * (packets_ + 1)) > kLatePacket) ++late_packets_;
    scheduler_->poll();
    scheduler_->read(frame_);
    for (const auto& event : scheduler_->take_events()) {
      hub_.publish_event(event_json(event));
      formats_.on_event(event);
    }
    auto page = encoder_.encode_frame(frame_);
    formats_.on_frame(frame_);
    ++packets_;
    if (page) {
      hub_.publish(page);
      formats_.on_page(page);
    }
  }
  encode_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto per_page = settings_.encoder.packets_per_page;
  // Listeners' demand is real time, whatever clock paces the session.
  formats_.tick(std::chrono::steady_clock::now(), frame_, packets_ * proto::kOpusFrameSamples,
                packets_ % per_page == 0);
  scheduler_->poll();  // deadlines are also checked between pages
  const std::int64_t next_page_end = (packets_ / per_page + 1) * per_page;
  return *start_ + kPacketDuration * next_page_end;
}

std::uint64_t Session::set_params(const music::ValidParams& params) {
  const auto before = params_to_json(scheduler_->params().get());
  const auto after = params_to_json(params.get());
  if (before == after) return 0;  // nothing to re-plan, nothing to announce
  const auto change = scheduler_->set_params(params);
  hub_.publish_event(
      nlohmann::json({{"type", "params"}, {"params", after}, {"change", change}}).dump());
  return change;
}

nlohmann::json now_playing_json(const devices::NowPlaying& now) {
  if (!now.started) return nullptr;
  return {{"phrase", now.phrase},
          {"key", music::pitch_class_name(now.key_pc)},
          {"mode", music::mode_name(now.mode)},
          {"tempo_bpm", now.tempo_bpm},
          {"chord", now.chord},
          {"bar", now.bar},
          {"engine", now.engine}};
}

std::string Session::ws_hello() const {
  const nlohmann::json hello = {{"type", "hello"},
                                {"session", id()},
                                {"name", name()},
                                {"codec", "opus"},
                                {"sample_rate", 48000},
                                {"channels", 2},
                                {"pre_skip", encoder_.pre_skip()},
                                {"opus_head", proto::base64(encoder_.opus_head())},
                                {"params", params_to_json(params().get())},
                                {"now_playing", now_playing_json(now_playing())}};
  return hello.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::int64_t Session::packets_encoded() const {
  std::lock_guard lock(mutex_);
  return packets_;
}

std::int64_t Session::late_packets() const {
  std::lock_guard lock(mutex_);
  return late_packets_;
}

double Session::encode_seconds() const {
  std::lock_guard lock(mutex_);
  return encode_seconds_;
}

void Session::close(const std::string& reason) {
  proto::PagePtr last_page;
  {
    std::lock_guard lock(mutex_);  // the pacer encodes under it too
    if (closed_) return;
    closed_ = true;
    // A stream that played ends like an Ogg stream should: one more 20 ms packet, the music
    // faded to nothing in it (no click), on a page marked end-of-stream that players and
    // recorders see as the proper end.
    // peek(): the music that would follow, without read()'s planning or silence accounting.
    // Called from the destructor too, so nothing may escape.
    if (start_) {
      try {
        scheduler_->peek(frame_);
        const std::size_t frames = frame_.size() / 2;
        for (std::size_t i = 0; i < frames; ++i) {
          const float gain = 1.0f - static_cast<float>(i + 1) / static_cast<float>(frames);
          frame_[2 * i] *= gain;
          frame_[2 * i + 1] *= gain;
        }
        last_page = encoder_.encode_frame(frame_, true);
        ++packets_;
      } catch (const std::exception& e) {
        log::get("session")->error("session {}: no end-of-stream page: {}", settings_.id, e.what());
      }
    }
  }
  scheduler_->stop();
  if (last_page) hub_.publish(last_page);
  hub_.publish_event(nlohmann::json({{"type", "end"}, {"reason", reason}}).dump());
  hub_.close();
  {
    std::lock_guard lock(mutex_);
    formats_.close();
  }
  log::get("session")->info("session {} closed: {}", settings_.id, reason);
}

bool Session::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace auralis::server
