#include "deployment.hpp"

#include <boost/asio/post.hpp>

#include "auralis/config/reload.hpp"
#include "auralis/devices/log.hpp"
#include "auralis/server/api_params.hpp"
#include "auralis/server/session.hpp"
#include "auralis/server/session_manager.hpp"
#include "auralis/version.hpp"

namespace asio = boost::asio;

namespace auralis::server {
namespace {

IcecastSettings icecast_settings(const config::Config& config) {
  IcecastSettings s;
  s.host = config.icecast.host;
  s.port = config.icecast.port;
  s.mount = config.icecast.mount;
  s.user = config.icecast.user;
  s.password = config.icecast.password;
  s.tls = config.icecast.tls;
  s.tls_verify = config.icecast.tls_verify;
  s.name = config.icecast.name.empty() ? config.stream_name : config.icecast.name;
  s.description = config.stream_description;
  s.user_agent = std::string("auralis/") + kVersion;
  // A source is bounded like a listener.
  s.max_queue_age = std::chrono::milliseconds(config.listener_queue_ms);
  s.max_queue_bytes = static_cast<std::size_t>(config.listener_queue_kib) * 1024;
  s.write_timeout = std::chrono::seconds(config.write_timeout_s);
  return s;
}

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

StoredSession record_of(const Session& session) {
  StoredSession r;
  r.id = session.id();
  r.name = session.name();
  const auto params = session.params();
  r.params = params_to_json(params);
  r.params["pinned"] = session.pinned.load();  // an API field like the rest: restored with them
  r.seed = params.seed;
  const auto playing = session.now_playing();
  r.phrase_index = playing.started ? static_cast<std::int64_t>(playing.phrase) : 0;
  r.created_at_ms = unix_ms(session.created_at());
  return r;
}

}  // namespace

Deployment::Deployment(const config::Config& config, asio::io_context& net, asio::io_context& media)
    : net_(net),
      media_strand_(asio::make_strand(media)),
      ready_timer_(media_strand_),
      watchdog_timer_(media_strand_),
      strand_(asio::make_strand(net)),
      config_(config),
      icecast_retry_(strand_),
      phrase_timer_(strand_) {
  if (!config.state_dir.empty()) {
    store_ = SessionStore::open(config.state_dir);
    log::get("store")->info("sessions are kept in {}", store_->path().string());
  }
}

Deployment::~Deployment() = default;

void Deployment::attach(SessionManager& sessions, const std::string& config_session) {
  if (!store_) return;
  sessions_ = &sessions;
  config_session_ = config_session;
  auto log = log::get("store");
  std::size_t restored = 0;
  for (const auto& r : store_->load_all()) {
    if (r.id == config_session) {
      log->warn("stored session '{}' has the id of the configured session: not restored", r.id);
      continue;
    }
    ParamsUpdate update;
    if (auto err = parse_params(r.params, music::SessionParams{}, false, update)) {
      log->error(
          "{}: stored session '{}' has bad params ({}: {}); kept in the store, not "
          "restored",
          store_->path().string(), r.id, err->field, err->message);
      continue;
    }
    update.params.seed = r.seed;
    CreateSession request;
    request.id = r.id;
    request.name = r.name;
    request.params = update.params;
    request.pinned = update.pinned.value_or(false);
    request.first_phrase = static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.phrase_index));
    request.created_at =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(r.created_at_ms));
    try {
      sessions.create(request);
      ++restored;
      log->info("restored session '{}' at phrase {}", r.id, r.phrase_index);
    } catch (const std::exception& e) {
      log->error("stored session '{}' could not be restored: {}; kept in the store", r.id,
                 e.what());
    }
  }
  log->info("{} session(s) restored from {}", restored, store_->path().string());
  // From now on the store follows the API. A failed write is logged; the session still runs.
  sessions.on_created = [this](const std::shared_ptr<Session>& session) {
    if (session->id() == config_session_) return;
    try {
      store_->upsert(record_of(*session));
    } catch (const StoreError& e) {
      log::get("store")->error("session '{}' not saved: {}", session->id(), e.what());
    }
  };
  sessions.on_changed = sessions.on_created;
  sessions.on_removed = [this](const std::string& id) {
    try {
      store_->remove(id);
    } catch (const StoreError& e) {
      log::get("store")->error("session '{}' not removed from the store: {}", id, e.what());
    }
  };
  asio::post(strand_, [this] { save_phrases(true); });
}

void Deployment::save_phrases(bool again) {
  // Off the pacer: one cheap UPDATE per session, every 5 s.
  if (!sessions_) return;
  for (const auto& session : sessions_->all()) {
    if (session->id() == config_session_) continue;
    const auto playing = session->now_playing();
    if (!playing.started) continue;
    try {
      store_->update_phrase_index(session->id(), static_cast<std::int64_t>(playing.phrase));
    } catch (const StoreError& e) {
      log::get("store")->error("phrase of session '{}' not saved: {}", session->id(), e.what());
    }
  }
  if (!again || stopping_) return;
  phrase_timer_.expires_after(std::chrono::seconds(5));
  phrase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) save_phrases(true);
  });
}

void Deployment::started(DeploymentHooks hooks) {
  hooks_ = std::move(hooks);
  asio::post(strand_, [this] { start_icecast(); });
  asio::post(media_strand_, [this] {
    arm_watchdog();
    wait_until_playing();
  });
}

void Deployment::wait_until_playing() {
  if (!hooks_.playing || hooks_.playing()) {
    notifier_.ready("playing");
    if (notifier_.enabled()) log::get("systemd")->info("READY=1 sent");
    return;
  }
  ready_timer_.expires_after(std::chrono::milliseconds(100));
  ready_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) wait_until_playing();
  });
}

void Deployment::arm_watchdog() {
  const auto interval = notifier_.watchdog_interval();
  if (interval.count() == 0) return;
  // The timer runs on the pacer's loop and the ping on the network loop: a stall in either
  // stops the pings and systemd restarts the service.
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    asio::post(net_, [this] { notifier_.watchdog(); });
    arm_watchdog();
  });
}

void Deployment::reload() {
  asio::post(strand_, [this] {
    auto log = log::get("config");
    if (!hooks_.reload_config) {
      log->warn("SIGHUP: this daemon has no configuration source to reload");
      return;
    }
    notifier_.reloading();
    config::Config next;
    try {
      next = hooks_.reload_config();
    } catch (const std::exception& e) {
      log->error("reload failed, configuration unchanged: {}", e.what());
      notifier_.ready("reload failed: configuration unchanged");
      return;
    }
    const auto changes = config::diff_config(config_, next);
    bool icecast_changed = false;
    int restart_needed = 0;
    for (const auto& change : changes) {
      if (change.live)
        log->info("reload: {} = {} (was {}): applied", change.key, change.after, change.before);
      else
        log->warn("reload: {} = {} (was {}): needs a restart to take effect", change.key,
                  change.after, change.before);
      restart_needed += change.live ? 0 : 1;
      icecast_changed = icecast_changed || change.key.starts_with("icecast.");
    }
    // Keep the restart-only keys as they run, so the next reload reports them again.
    config::Config applied = config_;
    for (const auto& change : changes)
      if (change.live) config::set_key(applied, change.key, config::get_key(next, change.key));
    config_ = applied;
    if (config_.log_level != spdlog::level::to_string_view(spdlog::get_level())) {
      const auto level = spdlog::level::from_str(config_.log_level);
      spdlog::set_level(level);  // every registered component logger
    }
    if (icecast_changed) {
      stop_icecast();
      start_icecast();
    }
    if (hooks_.apply_live) hooks_.apply_live(config_);
    log->info("configuration reloaded: {} change(s), {} applied, {} need a restart", changes.size(),
              changes.size() - static_cast<std::size_t>(restart_needed), restart_needed);
    notifier_.ready("playing");
  });
}

void Deployment::stopping() {
  notifier_.stopping();
  asio::post(media_strand_, [this] {
    ready_timer_.cancel();
    watchdog_timer_.cancel();
  });
  asio::post(strand_, [this] {
    stopping_ = true;
    phrase_timer_.cancel();
    save_phrases(false);  // a restart resumes at the latest phrase
    stop_icecast();
  });
}

IcecastStatus Deployment::icecast_status() const {
  std::lock_guard lock(icecast_mutex_);
  return icecast_ ? icecast_->status() : IcecastStatus{};
}

void Deployment::start_icecast() {
  if (stopping_ || !config_.icecast.enabled) return;
  auto session = hooks_.find_session ? hooks_.find_session(config_.icecast.session) : nullptr;
  if (!session) {
    // It may be created later (restored, or through the API): look again.
    log::get("icecast")->warn("icecast.session '{}' does not exist (yet); looking again in 5 s",
                              config_.icecast.session);
    icecast_retry_.expires_after(std::chrono::seconds(5));
    icecast_retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) start_icecast();
    });
    return;
  }
  try {
    auto source =
        std::make_shared<IcecastSource>(net_.get_executor(), session, icecast_settings(config_));
    source->start();
    std::lock_guard lock(icecast_mutex_);
    icecast_ = std::move(source);
  } catch (const std::exception& e) {
    log::get("icecast")->error("not pushing to Icecast: {}", e.what());
  }
}

void Deployment::stop_icecast() {
  icecast_retry_.cancel();
  std::shared_ptr<IcecastSource> source;
  {
    std::lock_guard lock(icecast_mutex_);
    source = std::move(icecast_);
    icecast_.reset();
  }
  if (source) source->stop();
}

}  // namespace auralis::server
