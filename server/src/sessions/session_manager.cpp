#include "sessions/session_manager.hpp"

#include "auralis/config/log.hpp"
#include "sessions/pacer.hpp"
#include "sessions/session_id.hpp"

namespace asio = boost::asio;

namespace auralis::server {
namespace {

FormatSettings format_settings_of(const config::Config& c) {
  FormatSettings f;
  f.mp3 = c.mp3;
  f.mp3_codec.bitrate_kbps = c.mp3_bitrate_kbps;
  f.aac = c.aac;
  f.aac_codec.bitrate_kbps = c.aac_bitrate_kbps;
  f.hls = c.hls;
  f.hls_settings.segment_s = c.hls_segment_s;
  f.hls_settings.window_segments = c.hls_window_segments;
  f.hls_settings.kept_segments = c.hls_window_segments + 3;
  f.hls_settings.opus = c.hls_opus;
  f.hls_settings.idle_stop = std::chrono::seconds(c.hls_idle_stop_s);
  f.hls_settings.wait_limit = std::chrono::seconds(3 * c.hls_segment_s + 5);
  f.idle_stop = std::chrono::seconds(c.format_idle_stop_s);
  f.burst_ms = c.format_burst_ms;
  f.fanout_ms = c.fanout_ms;
  return f;
}

}  // namespace

SessionManager::SessionManager(const config::Config& config, asio::io_context& media,
                               devices::Clock& clock)
    : config_(config),
      media_(media),
      clock_(clock),
      chain_(config, clock),
      reaper_(media, *this, config.idle_session_stop_s) {
  reaper_.start();
}

SessionManager::~SessionManager() {
  close_all("daemon stopping");
}

SessionResult<void> SessionManager::journal(const SessionRecord& record) {
  if (!journal_) return {};
  return journal_->save(record);
}

SessionRecord SessionManager::record_of(const Session& session) const {
  const auto playing = session.now_playing();
  return {session.id(),
          session.name(),
          session.params(),
          session.pinned.load(),
          playing.started ? playing.phrase : 0,
          session.created_at()};
}

SessionResult<std::shared_ptr<Session>> SessionManager::create(const SessionSpec& spec,
                                                               Origin origin) {
  std::lock_guard lock(writes_);
  const std::string id = spec.id.value_or(random_session_id());
  if (origin == Origin::api && id == config_.default_session)
    return SessionError{SessionErrc::reserved_id,
                        "'" + id +
                            "' is the id of the configured session (session.name); "
                            "choose another id",
                        "id"};
  if (registry_.find(id))
    return SessionError{SessionErrc::conflict, "a session '" + id + "' exists", "id"};
  if (origin == Origin::api && static_cast<int>(registry_.size()) >= config_.max_sessions)
    return SessionError{
        SessionErrc::too_many_sessions,
        "at most " + std::to_string(config_.max_sessions) + " sessions (api.max_sessions)", ""};
  const auto created_at = spec.created_at.value_or(std::chrono::system_clock::now());
  if (origin == Origin::api) {
    const SessionRecord record{
        id, spec.name.empty() ? id : spec.name, spec.params, spec.pinned, 0, created_at};
    if (auto saved = journal(record); !saved) return saved.error();
  }
  SessionSpec started = spec;
  started.created_at = created_at;
  try {
    return start_session(started, id);
  } catch (const std::exception&) {
    if (origin == Origin::api && journal_) (void)journal_->erase(id);  // not kept after all
    throw;
  }
}

std::shared_ptr<Session> SessionManager::start_session(const SessionSpec& spec,
                                                       const std::string& id) {
  SessionSettings settings;
  settings.id = id;
  settings.name = spec.name.empty() ? id : spec.name;
  settings.scheduler.session_id = id;
  settings.scheduler.params = spec.params;
  settings.scheduler.first_phrase = spec.first_phrase;
  settings.scheduler.lookahead = std::chrono::milliseconds(config_.lookahead_ms);
  settings.scheduler.deadline_margin = std::chrono::milliseconds(config_.deadline_margin_ms);
  settings.scheduler.fallback_margin = std::chrono::milliseconds(config_.fallback_margin_ms);
  settings.encoder.bitrate_bps = config_.bitrate_kbps * 1000;
  settings.encoder.complexity = config_.complexity;
  settings.encoder.packets_per_page = config_.page_ms / 20;
  settings.encoder.tags = {{"TITLE", config_.stream_name + " - " + settings.name},
                           {"ENCODER", "auralis"}};
  settings.burst_ms = config_.burst_ms;
  settings.fanout_ms = config_.fanout_ms;
  settings.formats = format_settings_of(config_);
  settings.format_metrics = format_metrics_;

  auto session = std::make_shared<Session>(settings, chain_.pools(), clock_, chain_.metrics());
  if (spec.created_at) session->set_created_at(*spec.created_at);
  session->pinned = spec.pinned;
  registry_.add(session);  // under writes_: the id was checked free
  start_pacer(media_, session, clock_);
  return session;
}

SessionResult<SessionManager::Updated> SessionManager::update(const std::string& id,
                                                              const ReadChange& read) {
  std::lock_guard lock(writes_);
  auto session = registry_.find(id);
  if (!session) return no_session(id);
  auto fields = read(session->params().get());
  if (!fields) return fields.error();
  SessionRecord record = record_of(*session);
  if (fields->name) record.name = *fields->name;
  if (fields->pinned) record.pinned = *fields->pinned;
  record.params = fields->params;
  if (id != config_.default_session)
    if (auto saved = journal(record); !saved) return saved.error();
  if (fields->name) session->set_name(*fields->name);
  if (fields->pinned) session->pinned = *fields->pinned;
  const auto change = session->set_params(fields->params);
  log_change(id);
  return Updated{session, change};
}

// One line per session per 10 s at most, however many changes arrive (a slider dragged in a
// page sends dozens).
void SessionManager::log_change(const std::string& id) {
  const auto now = std::chrono::steady_clock::now();
  auto& [logged_at, unlogged] = change_log_[id];
  ++unlogged;
  if (now - logged_at < std::chrono::seconds(10)) return;
  log::get("session")->info("session {}: {} change(s) applied", id, unlogged);
  logged_at = now;
  unlogged = 0;
}

SessionResult<void> SessionManager::end(const std::string& id, const std::string& reason) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(writes_);
    if (!registry_.find(id)) return no_session(id);
    if (journal_ && id != config_.default_session) {
      if (auto erased = journal_->erase(id); !erased) {
        log::get("session")->error("session {} not ended ({}): {}", id, reason,
                                   erased.error().message);
        return erased.error();
      }
    }
    session = registry_.remove(id);
    change_log_.erase(id);
  }
  session->close(reason);
  return {};
}

void SessionManager::close_all(const std::string& reason) {
  reaper_.stop();
  for (const auto& session : registry_.all()) {
    registry_.remove(session->id());
    session->close(reason);
  }
}

bool SessionManager::ready() const {
  for (const auto& s : registry_.all())
    if (!s->started()) return false;
  return true;
}

std::optional<JournalHealth> SessionManager::journal_health() const {
  if (!journal_) return std::nullopt;
  return journal_->health();
}

}  // namespace auralis::server
