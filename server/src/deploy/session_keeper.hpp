// Keeps API sessions across restarts in the SQLite session store: it is the session manager's
// journal (every create, change and end is written before it is applied), restores the stored
// sessions at start, and every 5 s writes the phrase each session reached (a restart resumes
// there). Tracks whether the store can write, for /readyz and /metrics.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "deploy/session_store.hpp"
#include "sessions/session_journal.hpp"

namespace auralis::server {

class SessionManager;

class SessionKeeper : public SessionJournal {
 public:
  SessionKeeper(std::unique_ptr<SessionStore> store, boost::asio::any_io_executor executor);

  // Creates the stored sessions in `sessions` (id, name, parameters, seed, creation time,
  // resuming at the stored phrase); a record that cannot be restored stays in the store. The
  // session `configured_id` comes from the configuration and is never stored.
  void restore_into(SessionManager& sessions, const std::string& configured_id);
  // Starts (and at shutdown stops, after a last write) the phrase writes.
  void start_phrase_writes(SessionManager& sessions, const std::string& configured_id);
  void stop();

  SessionResult<void> save(const SessionRecord& record) override;
  SessionResult<void> erase(const std::string& id) override;
  JournalHealth health() const override;

  const SessionStore& store() const { return *store_; }

 private:
  enum class Report { every_failure, first_failure };  // phrase writes: no log line each 5 s
  template <class Write>
  SessionResult<void> write(const std::string& what, Report report, Write&& write);
  void write_phrases();  // every 5 s, on the timer's strand
  void save_phrases();   // one pass; from any thread

  std::unique_ptr<SessionStore> store_;
  boost::asio::steady_timer phrase_timer_;  // its executor: a strand of the network loop
  SessionManager* sessions_ = nullptr;      // set before the timer starts
  std::string configured_id_;
  bool stopping_ = false;  // timer's strand only
  mutable std::mutex health_mutex_;
  JournalHealth health_;
};

}  // namespace auralis::server
