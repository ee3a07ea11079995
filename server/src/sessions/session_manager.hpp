// The one place sessions are created, changed and ended. Every change is atomic against every
// other (one writer at a time): admission (api.max_sessions, a free id), then the journal
// (the session store: a change it cannot keep is refused and nothing changes), then the live
// session. Parameters arrive checked (music::ValidParams); errors are typed (SessionError).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auralis/config/config.hpp"
#include "auralis/devices/clock.hpp"
#include "sessions/idle_reaper.hpp"
#include "sessions/render_chain.hpp"
#include "sessions/session.hpp"
#include "sessions/session_error.hpp"
#include "sessions/session_journal.hpp"
#include "sessions/session_json.hpp"
#include "sessions/session_registry.hpp"

namespace auralis::server {

// Where a session comes from decides what admission and the journal do with it.
enum class Origin {
  api,         // counted against api.max_sessions, may not take the configured id, journaled
  configured,  // the configuration's session (session.name): made at every start, not journaled
  restored,    // read back from the journal at start: not written again
};

struct SessionSpec {
  std::optional<std::string> id;  // drawn when absent
  std::string name;               // the id when empty
  music::ValidParams params;
  bool pinned = false;
  std::uint64_t first_phrase = 0;  // resume a stored session here
  std::optional<std::chrono::system_clock::time_point> created_at;
};

class SessionManager {
 public:
  SessionManager(const config::Config& config, boost::asio::io_context& media,
                 devices::Clock& clock);
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Sessions are journaled from now on (null: not kept). Set before serving.
  void set_journal(SessionJournal* journal) { journal_ = journal; }

  SessionResult<std::shared_ptr<Session>> create(const SessionSpec& spec,
                                                 Origin origin = Origin::api);
  // `read` reads the change against the session's current parameters (under the write lock,
  // so concurrent changes never overwrite each other's fields); the result is journaled, then
  // applied.
  using ReadChange = std::function<SessionResult<SessionFields>(const music::SessionParams&)>;
  struct Updated {
    std::shared_ptr<Session> session;
    std::uint64_t change = 0;  // the change events' id on the stream; 0: the sound is unchanged
  };
  SessionResult<Updated> update(const std::string& id, const ReadChange& read);
  // Journal first, then the session closes (listeners get a clean end). False when the id is
  // unknown or the journal could not forget it (logged; the session plays on).
  SessionResult<void> end(const std::string& id, const std::string& reason);
  bool remove(const std::string& id, const std::string& reason) { return bool(end(id, reason)); }
  // At shutdown: every session closes; the journal keeps them for the next start.
  void close_all(const std::string& reason);

  std::shared_ptr<Session> find(const std::string& id) const { return registry_.find(id); }
  std::vector<std::shared_ptr<Session>> all() const { return registry_.all(); }
  std::size_t size() const { return registry_.size(); }

  const std::vector<EngineSummary>& engines() const { return chain_.engines(); }
  std::shared_ptr<devices::RenderMetrics> metrics() const { return chain_.metrics(); }
  // Per-format listeners, encoders and encode CPU of all sessions (for /metrics).
  const std::shared_ptr<FormatMetrics>& format_metrics() const { return format_metrics_; }
  // Sessions whose stream is running (for /readyz).
  bool ready() const;
  // The journal's state (for /readyz and /metrics); empty when sessions are not kept.
  std::optional<JournalHealth> journal_health() const;
  // The record the journal keeps of `session` now (phrase reached included).
  SessionRecord record_of(const Session& session) const;

 private:
  std::shared_ptr<Session> start_session(const SessionSpec& spec, const std::string& id);
  SessionResult<void> journal(const SessionRecord& record);
  void log_change(const std::string& id);  // under writes_

  const config::Config& config_;
  boost::asio::io_context& media_;
  devices::Clock& clock_;
  RenderChain chain_;
  SessionRegistry registry_;
  SessionJournal* journal_ = nullptr;
  std::shared_ptr<FormatMetrics> format_metrics_ = std::make_shared<FormatMetrics>();
  std::mutex writes_;  // one create/update/end at a time: admission and journal order
  // Per session, under writes_: when a change was last logged, and changes since.
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, int>> change_log_;
  IdleReaper reaper_;
};

}  // namespace auralis::server
