#include "deploy/session_keeper.hpp"

#include <boost/asio/post.hpp>

#include "auralis/config/log.hpp"
#include "sessions/session_json.hpp"
#include "sessions/session_manager.hpp"

namespace asio = boost::asio;

namespace auralis::server {
namespace {

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The store's row: the parameters as the API writes them, "pinned" among them.
StoredSession stored(const SessionRecord& r) {
  StoredSession s;
  s.id = r.id;
  s.name = r.name;
  s.params = params_to_json(r.params.get());
  s.params["pinned"] = r.pinned;
  s.seed = r.params->seed;
  s.phrase_index = static_cast<std::int64_t>(r.phrase);
  s.created_at_ms = unix_ms(r.created_at);
  return s;
}

}  // namespace

SessionKeeper::SessionKeeper(std::unique_ptr<SessionStore> store, asio::any_io_executor executor)
    : store_(std::move(store)), phrase_timer_(std::move(executor)) {}

template <class Write>
SessionResult<void> SessionKeeper::write(const std::string& what, Report report, Write&& write) {
  try {
    write();
  } catch (const StoreError& e) {
    std::lock_guard lock(health_mutex_);
    if (report == Report::every_failure || health_.writable)
      log::get("store")->error("{} not saved: {}", what, e.what());
    health_.writable = false;
    ++health_.write_failures;
    health_.last_error = e.what();
    return SessionError{SessionErrc::store_unavailable,
                        "the session store could not keep this change (" + std::string(e.what()) +
                            "); nothing was changed",
                        "state.dir"};
  }
  std::lock_guard lock(health_mutex_);
  health_.writable = true;
  return {};
}

SessionResult<void> SessionKeeper::save(const SessionRecord& record) {
  return write("session '" + record.id + "'", Report::every_failure,
               [&] { store_->upsert(stored(record)); });
}

SessionResult<void> SessionKeeper::erase(const std::string& id) {
  return write("removal of session '" + id + "'", Report::every_failure,
               [&] { store_->remove(id); });
}

JournalHealth SessionKeeper::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

void SessionKeeper::restore_into(SessionManager& sessions, const std::string& configured_id) {
  auto log = log::get("store");
  std::size_t restored = 0;
  for (const auto& r : store_->load_all()) {
    if (r.id == configured_id) {
      log->warn("stored session '{}' has the id of the configured session: not restored", r.id);
      continue;
    }
    auto fields = read_session_fields(r.params, music::SessionParams{});
    if (!fields) {
      log->error("{}: stored session '{}' has bad params ({}: {}); kept in the store, not restored",
                 store_->path().string(), r.id, fields.error().field, fields.error().message);
      continue;
    }
    music::SessionParams params = fields->params.get();
    params.seed = r.seed;  // all 64 bits, as stored
    SessionSpec spec;
    spec.id = r.id;
    spec.name = r.name;
    spec.params = std::get<music::ValidParams>(music::ValidParams::check(params));
    spec.pinned = fields->pinned.value_or(false);
    spec.first_phrase = static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.phrase_index));
    spec.created_at =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(r.created_at_ms));
    auto created = sessions.create(spec, Origin::restored);
    if (!created) {
      log->error("stored session '{}' could not be restored: {}; kept in the store", r.id,
                 created.error().message);
      continue;
    }
    ++restored;
    log->info("restored session '{}' at phrase {}", r.id, r.phrase_index);
  }
  log->info("{} session(s) restored from {}", restored, store_->path().string());
}

void SessionKeeper::start_phrase_writes(SessionManager& sessions,
                                        const std::string& configured_id) {
  sessions_ = &sessions;
  configured_id_ = configured_id;
  asio::post(phrase_timer_.get_executor(), [this] { write_phrases(); });
}

void SessionKeeper::stop() {
  asio::post(phrase_timer_.get_executor(), [this] {
    stopping_ = true;
    phrase_timer_.cancel();
  });
  save_phrases();  // now, before the sessions close: a restart resumes at the latest phrase
}

void SessionKeeper::write_phrases() {
  save_phrases();
  if (stopping_) return;
  phrase_timer_.expires_after(std::chrono::seconds(5));
  phrase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) write_phrases();
  });
}

void SessionKeeper::save_phrases() {
  // Off the pacer: one cheap UPDATE per session (the store serialises its writes).
  if (!sessions_) return;
  for (const auto& session : sessions_->all()) {
    if (session->id() == configured_id_) continue;
    const auto playing = session->now_playing();
    if (!playing.started) continue;
    (void)write("phrase of session '" + session->id() + "'", Report::first_failure, [&] {
      store_->update_phrase_index(session->id(), static_cast<std::int64_t>(playing.phrase));
    });
  }
}

}  // namespace auralis::server
